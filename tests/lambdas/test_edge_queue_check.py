"""Edge queue check (spec 8.1): every rule, and every hole of the Node.js original, closed.

GIVEN a viewer request  WHEN the handler runs  THEN the request passes or a 302 comes back.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.lambdas.conftest import load_handler, packaged_edge_function
from tests.lambdas.events import EVENT_ID, OTHER_EVENT_ID, SECRET, b64url, sign, viewer_request

NOW = time.time()
PROTECTED = f"/api/seats/{EVENT_ID}/reserve"


def valid_claims(**overrides) -> dict:
    claims = {"sub": EVENT_ID, "iat": int(NOW) - 10, "exp": int(NOW) + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def cookie(token: str) -> dict:
    return {"Cookie": f"tiketi-entry-token={token}"}


def run(edge, uri: str, headers: dict | None = None) -> dict:
    return edge.handler(viewer_request(uri, headers), None)


def passed(edge, response: dict) -> bool:
    return "uri" in response and "status" not in response


def assert_redirect(response: dict, location: str) -> None:
    assert response["status"] == "302"
    assert response["headers"]["location"] == [{"key": "Location", "value": location}]
    assert response["headers"]["cache-control"] == [
        {"key": "Cache-Control", "value": "no-store, no-cache, must-revalidate"}
    ]


# --- classification -----------------------------------------------------------------------------


@pytest.mark.parametrize("uri", ["/api/reservations", "/api/tickets/mine", "/api/seats/x", "/api/admin/users",
                                 "/api/v1/reservations", "/api/v1/tickets", "/api/v1/seats/x", "/api/v1/admin"])
def test_protected_paths_without_a_token_are_redirected(edge, uri):
    assert_redirect(run(edge, uri), "/")


@pytest.mark.parametrize("uri", ["/api/queue/status", "/api/auth/login", "/api/events", "/api/stats/daily",
                                 "/health", "/actuator/prometheus", "/api/v1/queue", "/api/v1/auth/refresh",
                                 "/api/v1/events/list", "/api/v1/stats"])
def test_bypass_paths_pass_unchanged(edge, uri):
    event = viewer_request(uri)
    response = edge.handler(event, None)
    assert response is event["Records"][0]["cf"]["request"]
    assert edge.classify(edge.normalise_path(uri)) == "bypass"


@pytest.mark.parametrize("uri", ["/", "/index.html", "/queue/abc", "/static/app.js", "/_next/static/x.js",
                                 "/api/community/posts", "/api/payments"])
def test_everything_else_passes_unchanged(edge, uri):
    event = viewer_request(uri)
    assert edge.handler(event, None) is event["Records"][0]["cf"]["request"]


# --- tokens -------------------------------------------------------------------------------------


def test_valid_token_in_the_cookie_passes_the_request_unchanged(edge):
    event = viewer_request(PROTECTED, cookie(sign(valid_claims())))
    assert edge.handler(event, None) is event["Records"][0]["cf"]["request"]


def test_valid_token_in_the_header_passes(edge):
    response = run(edge, PROTECTED, {"x-queue-entry-token": sign(valid_claims())})
    assert passed(edge, response)


def test_cookie_is_found_among_several_cookie_headers_and_pairs(edge):
    token = sign(valid_claims())
    headers = {"Cookie": ["theme=dark; lang=ko", f"session=abc; tiketi-entry-token={token}; other=1"]}
    assert passed(edge, run(edge, PROTECTED, headers))


def test_only_the_exact_cookie_name_counts(edge):
    token = sign(valid_claims())
    for name in ("x-tiketi-entry-token", "tiketi-entry-token-old", "Tiketi-Entry-Token"):
        assert_redirect(run(edge, PROTECTED, {"Cookie": f"{name}={token}"}), f"/queue/{EVENT_ID}")


def test_cookie_wins_over_the_header(edge):
    headers = {"Cookie": "tiketi-entry-token=garbage", "x-queue-entry-token": sign(valid_claims())}
    assert_redirect(run(edge, PROTECTED, headers), f"/queue/{EVENT_ID}")


def test_invalid_token_redirects_to_the_events_queue(edge):
    assert_redirect(run(edge, PROTECTED, cookie("not.a.token")), f"/queue/{EVENT_ID}")


def test_v1_paths_name_the_event_too(edge):
    assert_redirect(run(edge, f"/api/v1/reservations/{EVENT_ID}"), f"/queue/{EVENT_ID}")
    assert_redirect(run(edge, f"/api/tickets/{EVENT_ID.upper()}"), f"/queue/{EVENT_ID}")


# --- holes closed -------------------------------------------------------------------------------


def test_signature_from_another_secret_is_refused(edge):
    assert_redirect(run(edge, PROTECTED, cookie(sign(valid_claims(), secret="other-secret"))), f"/queue/{EVENT_ID}")


def test_algorithm_is_pinned_to_hs256(edge):
    for header in ({"alg": "none"}, {"alg": "HS512", "typ": "JWT"}, {"typ": "JWT"}, {"alg": "hs256"}):
        token = sign(valid_claims(), header=header)  # even correctly HMAC-SHA256-signed
        assert_redirect(run(edge, PROTECTED, cookie(token)), f"/queue/{EVENT_ID}")


def test_unsigned_none_token_is_refused(edge):
    head = b64url(json.dumps({"alg": "none"}).encode())
    body = b64url(json.dumps(valid_claims()).encode())
    assert_redirect(run(edge, PROTECTED, cookie(f"{head}.{body}.")), f"/queue/{EVENT_ID}")


def test_header_with_critical_extensions_is_refused(edge):
    token = sign(valid_claims(), header={"alg": "HS256", "crit": ["b64"], "b64": False})
    assert_redirect(run(edge, PROTECTED, cookie(token)), f"/queue/{EVENT_ID}")


def test_base64url_is_strict(edge):
    head, body, signature = sign(valid_claims()).split(".")
    tampered = [
        f"{head}.{body}.{signature}=",  # padding
        f"{head}.{body}.{signature[:-1]}+",  # standard alphabet
        f"{head}.{body}.{signature} ",  # whitespace
        f"{head}.{body}.{signature[:-1]}{chr(ord(signature[-1]) ^ 1)}",  # other bits in the last char
        f"{head}={body}.{signature}",
    ]
    for token in tampered:
        assert not edge.token_is_valid(token, EVENT_ID, NOW), token


def test_signature_covers_the_exact_bytes(edge):
    head, _, signature = sign(valid_claims()).split(".")
    reencoded = b64url(json.dumps(valid_claims(), indent=1).encode())  # same claims, other bytes
    assert not edge.token_is_valid(f"{head}.{reencoded}.{signature}", EVENT_ID, NOW)


def test_exp_is_required_and_enforced(edge):
    assert not edge.token_is_valid(sign(valid_claims(exp=None)), EVENT_ID, NOW)
    assert not edge.token_is_valid(sign(valid_claims(exp="9999999999")), EVENT_ID, NOW)
    assert not edge.token_is_valid(sign(valid_claims(exp=True)), EVENT_ID, NOW)
    expiring = sign(valid_claims(exp=int(NOW) + 5))
    assert edge.token_is_valid(expiring, EVENT_ID, NOW)
    assert not edge.token_is_valid(expiring, EVENT_ID, NOW + 5)  # cached as verified, still expires


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_future_nbf_and_iat_are_refused_beyond_the_leeway(edge, claim):
    leeway = edge.CLOCK_SKEW_LEEWAY_SECONDS
    assert leeway <= 60
    assert edge.token_is_valid(sign(valid_claims(**{claim: int(NOW) + leeway})), EVENT_ID, NOW)
    assert not edge.token_is_valid(sign(valid_claims(**{claim: int(NOW) + leeway + 2})), EVENT_ID, NOW)
    assert not edge.token_is_valid(sign(valid_claims(**{claim: "soon"})), EVENT_ID, NOW)


def test_sub_must_name_the_event_in_the_path(edge):
    other_event = sign(valid_claims(sub=OTHER_EVENT_ID))
    assert_redirect(run(edge, PROTECTED, cookie(other_event)), f"/queue/{EVENT_ID}")
    no_sub = sign(valid_claims(sub=None))
    assert_redirect(run(edge, PROTECTED, cookie(no_sub)), f"/queue/{EVENT_ID}")
    upper = sign(valid_claims(sub=EVENT_ID.upper()))
    assert passed(edge, run(edge, PROTECTED, cookie(upper)))


def test_without_an_event_in_the_path_any_signed_token_passes(edge):
    assert passed(edge, run(edge, "/api/tickets/mine", cookie(sign(valid_claims(sub=OTHER_EVENT_ID)))))


@pytest.mark.parametrize("uri", [
    f"/api/events/../seats/{EVENT_ID}/reserve",
    f"/api/events/%2e%2e/seats/{EVENT_ID}/reserve",
    f"/api/events/%252e%252e/seats/{EVENT_ID}/reserve",
    f"/api/events/..%2fseats/{EVENT_ID}/reserve",
    f"//api//seats/{EVENT_ID}/reserve",
    f"/api/./seats/{EVENT_ID}/reserve",
    f"/api/events;x=1/../seats/{EVENT_ID}/reserve",
    f"/api/events\\..\\seats/{EVENT_ID}/reserve",
    f"/API/Seats/{EVENT_ID}/reserve",
    f"/api/%73eats/{EVENT_ID}/reserve",
    f"/health/../api/seats/{EVENT_ID}",
])
def test_path_tricks_do_not_slip_through_the_bypass_list(edge, uri):
    assert_redirect(run(edge, uri), f"/queue/{EVENT_ID}")


def test_tokens_over_4kb_are_refused_before_any_crypto(edge, monkeypatch):
    big = sign(valid_claims(padding="x" * 4096))
    assert len(big) > 4096

    def no_crypto(*_):
        raise AssertionError("HMAC computed for an oversized token")

    monkeypatch.setattr(edge, "_verify_signature_and_header", no_crypto)
    assert_redirect(run(edge, PROTECTED, cookie(big)), f"/queue/{EVENT_ID}")


def test_redirect_location_comes_only_from_a_well_formed_uuid(edge):
    assert_redirect(run(edge, "/api/seats/not-a-uuid/reserve"), "/")
    assert_redirect(run(edge, "/api/seats/%0d%0aSet-Cookie:x/reserve"), "/")


# --- never raises -------------------------------------------------------------------------------


@pytest.mark.parametrize("event", [None, {}, [], "x", {"Records": []}, {"Records": [{}]},
                                   {"Records": [{"cf": {"request": None}}]},
                                   {"Records": [{"cf": {"request": {"uri": 5}}}]}])
def test_malformed_events_get_a_redirect_not_an_exception(edge, event):
    assert_redirect(edge.handler(event, None), "/")


def test_malformed_headers_count_as_no_token(edge):
    event = viewer_request(PROTECTED)
    request = event["Records"][0]["cf"]["request"]
    for headers in (None, [], {"cookie": "tiketi-entry-token=x"}, {"cookie": [None, 5, {"value": 7}]},
                    {"x-queue-entry-token": [{"key": "x"}]}):
        request["headers"] = headers
        assert_redirect(edge.handler(event, None), f"/queue/{EVENT_ID}")


def test_bad_percent_encoding_redirects(edge):
    assert_redirect(run(edge, "/api/%ff%fe/seats"), "/")


# --- the secret ---------------------------------------------------------------------------------


def test_secret_falls_back_to_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("QUEUE_ENTRY_TOKEN_SECRET", "env-secret")
    module = load_handler(packaged_edge_function(tmp_path, secret=None), "edge_env_secret")
    assert module.token_is_valid(sign(valid_claims(), secret="env-secret"), EVENT_ID, NOW)
    assert not module.token_is_valid(sign(valid_claims()), EVENT_ID, NOW)


def test_config_json_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("QUEUE_ENTRY_TOKEN_SECRET", "env-secret")
    module = load_handler(packaged_edge_function(tmp_path), "edge_config_secret")
    assert module.token_is_valid(sign(valid_claims(), secret=SECRET), EVENT_ID, NOW)


def test_import_fails_clearly_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("QUEUE_ENTRY_TOKEN_SECRET", raising=False)
    with pytest.raises(RuntimeError, match=r"no token secret. Deploy config.json"):
        load_handler(packaged_edge_function(tmp_path, secret=None), "edge_no_secret")


def test_import_fails_clearly_on_a_broken_config_json(tmp_path):
    directory = packaged_edge_function(tmp_path)
    (directory / "config.json").write_text("{not json")
    with pytest.raises(RuntimeError, match=r"config.json is not a JSON object"):
        load_handler(directory, "edge_bad_config")


def test_the_handler_never_logs(edge, capsys, caplog):
    run(edge, PROTECTED, cookie(sign(valid_claims())))
    run(edge, PROTECTED, cookie("bad.token.here"))
    captured = capsys.readouterr()
    assert captured.out == captured.err == "" and caplog.records == []
