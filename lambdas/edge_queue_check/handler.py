"""CloudFront viewer-request check of the queue-entry token (spec section 8.1), in Python.

Requests to the protected APIs (reservations, tickets, seats, admin) must carry a valid
HS256 queue-entry token, from the ``tiketi-entry-token`` cookie or the
``x-queue-entry-token`` header. Without one the viewer is sent, with a 302 that nobody
caches, to the waiting room of the event the path names (``/queue/<eventId>``) or to ``/``.

Compared with the Node.js original this version:

- pins the algorithm to HS256 and compares the signature in constant time against the
  HMAC of the exact ``header.payload`` bytes received (no re-encoding, no malleable
  base64: the expected signature is compared in its canonical base64url form);
- decodes base64url strictly, requires and enforces ``exp``, rejects ``nbf``/``iat`` in
  the future (30 s leeway for the issuer's clock running ahead) and, when the path names
  an event, requires ``sub`` to be that event;
- classifies the path only after normalising it the way an origin would (percent
  decoding, ``;`` path parameters, backslashes, repeated slashes, dot segments), so
  ``/api/events/../seats/<id>/reserve`` is a seats request, not an events one;
- refuses tokens over 4 KB before any crypto, never raises (a malformed event yields a
  pass-through or a redirect) and never logs a token.

Standard library only: Lambda@Edge viewer-request functions get no layers and no
environment variables, and must stay small (1 MB zip). The secret is written into the
deployment archive as ``config.json`` (``{"secret": "..."}``) at deploy time;
``QUEUE_ENTRY_TOKEN_SECRET`` is a fallback for local runs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import time
from collections import OrderedDict
from urllib.parse import unquote

COOKIE_NAME = "tiketi-entry-token"
HEADER_NAME = "x-queue-entry-token"
MAX_TOKEN_BYTES = 4096
CLOCK_SKEW_LEEWAY_SECONDS = 30
CACHE_SIZE = 1024

_API_PREFIXES = ("/api/", "/api/v1/")
PROTECTED_PREFIXES = tuple(p + name for p in _API_PREFIXES for name in ("reservations", "tickets", "seats", "admin"))
BYPASS_PREFIXES = (*(p + name for p in _API_PREFIXES for name in ("queue", "auth", "events", "stats")),
                   "/health", "/actuator")

# The event a protected path is about: /api[/v1]/(seats|reservations|tickets)/<uuid>[/...]
_EVENT_IN_PATH = re.compile(
    r"^/api/(?:v1/)?(?:seats|reservations|tickets)/"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:/|$)"
)
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_NO_CACHE = [{"key": "Cache-Control", "value": "no-store, no-cache, must-revalidate"}]


def _load_secret() -> bytes:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.json")
    secret = None
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as handle:
                secret = json.load(handle).get("secret")
        except (OSError, ValueError, AttributeError) as error:
            raise RuntimeError(f"edge_queue_check: {path} is not a JSON object with a \"secret\": {error}") from None
    if not secret:
        secret = os.environ.get("QUEUE_ENTRY_TOKEN_SECRET")
    if not isinstance(secret, str) or not secret:
        raise RuntimeError(
            'edge_queue_check: no token secret. Deploy config.json ({"secret": "..."}) beside handler.py '
            "or set QUEUE_ENTRY_TOKEN_SECRET."
        )
    return secret.encode("utf-8")


# HMAC key schedule done once; each verification copies the keyed state.
_KEYED_MAC = hmac.new(_load_secret(), digestmod=hashlib.sha256)
# token -> (exp, sub, nbf, iat) of tokens whose signature and header already verified:
# an admitted user's browser sends the same token on every API call, so the HMAC and JSON
# work is done once per token and container. Bounded (oldest out first) so memory cannot grow; only
# tokens signed with our secret get in, and the time and sub checks still run every time.
_verified: OrderedDict[str, tuple[float, str | None, float | None, float | None]] = OrderedDict()


# --- path ---------------------------------------------------------------------------------------


def normalise_path(uri: str) -> str:
    """The path an origin would route: decoded, without dot segments or empty segments, lower-case."""
    path = uri
    # Plain substring tests: a clean path (the common case) costs a few C-level scans.
    if not path.startswith("/") or "%" in path or "//" in path or "/." in path or "\\" in path or ";" in path:
        for _ in range(3):  # double-encoded dots ("%252e") must not survive as "%2e"
            decoded = unquote(path, errors="strict") if "%" in path else path
            if decoded == path:
                break
            path = decoded
        segments: list[str] = []
        for segment in path.replace("\\", "/").split("/"):
            segment = segment.split(";", 1)[0]  # servlet containers drop ";params" before routing
            if segment in ("", "."):
                continue
            if segment == "..":
                if segments:
                    segments.pop()
                continue
            segments.append(segment)
        path = "/" + "/".join(segments)
    return path.lower()


def _has_prefix(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def classify(path: str) -> str:
    """``protected`` | ``bypass`` | ``other`` for a normalised path.

    Protected prefixes match as plain string prefixes (``/api/seats.json`` is protected too:
    when in doubt, ask for a token); bypass prefixes must match whole segments.
    """
    if path.startswith(PROTECTED_PREFIXES):
        return "protected"
    if any(_has_prefix(path, prefix) for prefix in BYPASS_PREFIXES):
        return "bypass"
    return "other"


def event_id_of(path: str) -> str | None:
    match = _EVENT_IN_PATH.match(path)
    return match.group(1) if match else None


# --- token --------------------------------------------------------------------------------------


def token_from_headers(headers: object) -> str | None:
    """The entry token from the exact cookie name (any cookie header), else the custom header."""
    if not isinstance(headers, dict):
        return None
    for entry in headers.get("cookie") or ():
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(value, str) or COOKIE_NAME not in value:
            continue
        token = _entry_cookie(value)
        if token:
            return token
    for entry in headers.get(HEADER_NAME) or ():
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _entry_cookie(header: str) -> str | None:
    """The value of the exact cookie name in one Cookie header ("a=1; tiketi-entry-token=...")."""
    start = 0
    while (index := header.find(COOKIE_NAME, start)) >= 0:
        start = index + len(COOKIE_NAME)
        before = header[:index].rstrip(" \t")
        rest = header[start:].lstrip(" \t")
        # A whole cookie name: at the start of a pair, followed by "=" (not "x-tiketi-entry-token").
        if (not before or before.endswith(";")) and rest.startswith("="):
            token = rest[1:].split(";", 1)[0].strip()
            if token:
                return token
    return None


def _b64url_json(segment: str) -> object:
    if len(segment) % 4 == 1 or not _BASE64URL.match(segment):
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != segment.encode("ascii"):
        raise ValueError("non-canonical base64url")  # stray bits in the last character
    return json.loads(raw)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _verify_signature_and_header(token: str) -> tuple[float, str | None, float | None, float | None] | None:
    """(exp, sub, nbf, iat) of a token signed with our secret as HS256, else None."""
    if not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header, payload, signature = parts
    mac = _KEYED_MAC.copy()
    mac.update(f"{header}.{payload}".encode("ascii"))
    expected = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")
    if not hmac.compare_digest(expected, signature.encode("ascii")):
        return None
    try:
        head, claims = _b64url_json(header), _b64url_json(payload)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(head, dict) or head.get("alg") != "HS256" or "crit" in head:
        return None
    if not isinstance(claims, dict) or not _is_number(claims.get("exp")):
        return None
    sub = claims.get("sub")
    nbf, iat = claims.get("nbf"), claims.get("iat")
    if (nbf is not None and not _is_number(nbf)) or (iat is not None and not _is_number(iat)):
        return None
    return claims["exp"], sub if isinstance(sub, str) else None, nbf, iat


def token_is_valid(token: str, event_id: str | None, now: float) -> bool:
    if len(token) > MAX_TOKEN_BYTES:
        return False  # before any hashing or crypto
    claims = _verified.get(token)
    if claims is None:
        claims = _verify_signature_and_header(token)
        if claims is None:
            return False
        _verified[token] = claims
        if len(_verified) > CACHE_SIZE:
            _verified.popitem(last=False)
    exp, sub, nbf, iat = claims
    if now >= exp:  # exp is enforced to the second; the leeway only forgives clocks running behind
        return False
    if (nbf is not None and nbf > now + CLOCK_SKEW_LEEWAY_SECONDS) or (
        iat is not None and iat > now + CLOCK_SKEW_LEEWAY_SECONDS
    ):
        return False
    return event_id is None or (sub is not None and sub.lower() == event_id)


# --- handler ------------------------------------------------------------------------------------


def redirect(event_id: str | None) -> dict:
    location = f"/queue/{event_id}" if event_id else "/"
    return {
        "status": "302",
        "statusDescription": "Found",
        "headers": {"location": [{"key": "Location", "value": location}], "cache-control": _NO_CACHE},
    }


def check_request(request: dict, now: float) -> dict:
    uri = request.get("uri")
    if not isinstance(uri, str):
        return redirect(None)  # no path to classify: fail closed
    try:
        path = normalise_path(uri)
    except UnicodeDecodeError:
        return redirect(None)  # percent-encoded bytes that are not UTF-8: no origin route either
    # Bypass and unlisted paths are both passed through unchanged, so only "protected?" is
    # decided per request (classify() spells out all three classes).
    if not path.startswith(PROTECTED_PREFIXES):
        return request
    event_id = event_id_of(path)
    token = token_from_headers(request.get("headers"))
    if token is not None and token_is_valid(token, event_id, now):
        return request
    return redirect(event_id)


def handler(event: object, context: object = None) -> dict:
    try:
        request = event["Records"][0]["cf"]["request"]  # type: ignore[index]
        if not isinstance(request, dict):
            return redirect(None)
        return check_request(request, time.time())
    except Exception:  # noqa: BLE001 - a viewer request must never see a 5xx from this check
        return redirect(None)
