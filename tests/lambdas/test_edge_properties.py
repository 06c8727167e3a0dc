"""Property-based checks of the edge function: nothing raises, nothing unsigned gets in."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lambdas.events import EVENT_ID, b64url, sign, viewer_request

PROTECTED = f"/api/seats/{EVENT_ID}/reserve"
RELAXED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
path_chars = st.sampled_from([*"/.%;\\abcdefsAPI0123456789-_~?#", "%2e", "%2f", "%25", "..", "//", "api",
                              "seats", "events", "v1", EVENT_ID])
uris = st.lists(path_chars, max_size=30).map("".join)


def is_response(result: object) -> bool:
    return isinstance(result, dict) and ("uri" in result or result.get("status") == "302")


@RELAXED
@given(event=json_values)
def test_arbitrary_json_never_raises(edge, event):
    assert is_response(edge.handler(event, None))


@RELAXED
@given(uri=uris, cookie_values=st.lists(json_values | st.text(max_size=60), max_size=3),
       header_value=json_values, querystring=json_values)
def test_arbitrary_requests_never_raise(edge, uri, cookie_values, header_value, querystring):
    event = viewer_request(uri)
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["cookie"] = [{"key": "Cookie", "value": v} for v in cookie_values]
    request["headers"]["x-queue-entry-token"] = header_value
    request["querystring"] = querystring
    assert is_response(edge.handler(event, None))


@RELAXED
@given(token=st.text(max_size=300))
def test_random_tokens_are_never_accepted(edge, token):
    assert not edge.token_is_valid(token, EVENT_ID, time.time())
    assert edge.handler(viewer_request(PROTECTED, {"x-queue-entry-token": token}), None)["status"] == "302"


@RELAXED
@given(secret=st.text(min_size=1, max_size=40), claims=st.fixed_dictionaries(
    {"sub": st.just(EVENT_ID), "exp": st.just(int(time.time()) + 600)},
    optional={"iat": st.integers(0, int(time.time())), "extra": json_values}))
def test_tokens_signed_with_another_secret_are_never_accepted(edge, secret, claims):
    token = sign(claims, secret=secret if secret != "test-queue-entry-token-secret-0123456789" else secret + "x")
    assert not edge.token_is_valid(token, EVENT_ID, time.time())


@RELAXED
@given(header=json_values, payload=json_values, signature=st.binary(max_size=40))
def test_forged_segments_are_never_accepted(edge, header, payload, signature):
    import json

    token = ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()), b64url(signature)])
    assert not edge.token_is_valid(token, EVENT_ID, time.time())


@RELAXED
@given(prefix_and_target=st.sampled_from([  # a bypass prefix, and the protected path one ".." above it
           ("/api/events/", "seats"), ("/api/queue/", "reservations"), ("/api/auth/", "tickets"),
           ("/api/v1/stats/", "seats"), ("/health/", "api/seats"), ("/actuator/", "api/v1/tickets")]),
       dots=st.sampled_from(["..", "%2e%2e", "%2E%2E", ".%2e", "%252e%252e"]),
       slashes=st.sampled_from(["/", "//", "%2f", "\\"]))
def test_dot_segment_escapes_from_bypass_prefixes_stay_protected(edge, prefix_and_target, dots, slashes):
    prefix, target = prefix_and_target
    uri = f"{prefix}{dots}{slashes}{target}/{EVENT_ID}/reserve"
    response = edge.handler(viewer_request(uri), None)
    assert response.get("status") == "302", uri
