"""SQS FIFO consumer that calls ticket-service's internal API (spec section 8.2), in Python.

Message body (JSON object)::

    {"action": "seat_reserve",       "eventId": "...", "userId": "...", "seatIds": [...], "entryToken": "..."}
    {"action": "reservation_create", "eventId": "...", "userId": "...", "items":   [...], "entryToken": "..."}
    {"action": "admitted",           "eventId": "...", "userId": "..."}

``seat_reserve`` posts to ``/internal/seats/reserve``, ``reservation_create`` to
``/internal/reservations``; ``admitted`` is only logged (the queue service has already
issued the entry token). Requests carry ``Authorization: Bearer <internal API token>`` and
``Idempotency-Key: <messageId>``, so a redelivered message cannot reserve twice.

The token: read from Secrets Manager (``INTERNAL_API_TOKEN_SECRET_ARN``) with the runtime's
boto3 on the container's first invocation, kept for the container's life, and read again when
ticket-service answers 401 — after a rotation — and that request is retried once with the new
value. A token still refused is the message's failure (SQS redelivers it: nothing is lost while
ticket-service restarts with the new value). The environment holds no secret; for running the
handler outside AWS, ``INTERNAL_API_TOKEN`` may hold the token itself (never refreshed).

The handler returns a partial batch response (``ReportBatchItemFailures``). Everything
that did not demonstrably succeed is reported as failed, so SQS redelivers it and, after
the redrive count, moves it to the dead-letter queue: a non-2xx answer, a timeout, a
refused connection, a body that is not a JSON object, a missing field and an unknown
action (the Node.js original skipped unknown actions, losing them).

FIFO order: records are grouped by ``MessageGroupId``. Within a group they are sent in
order, and once one fails the group's later records are reported failed without being
sent, so they are retried after it. Groups run concurrently, so one slow group does not
hold the batch. Before starting a record the handler checks the time left: when it would
not cover one more request, the record is reported failed rather than cut off mid-flight.

Dead-lettering without collateral: SQS hands a group's records out together, so the
records behind a failing one are received (and counted) as often as it is. When the
deployment sets ``MAX_RECEIVE_COUNT`` (the queue's redrive ``maxReceiveCount``), a record
failing on its last receive is reported failed, goes to the dead-letter queue, and no
longer blocks its group: the records behind it are processed in order in the same
invocation instead of following it into the DLQ unprocessed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

REQUEST_TIMEOUT_SECONDS = 10.0
# Time kept back after the last request may finish, for returning the response.
SAFETY_MARGIN_MS = 1000
MAX_BATCH_SIZE = 10

ACTIONS = {
    # action: (internal API path or None for log-only, list field that must be non-empty)
    "seat_reserve": ("/internal/seats/reserve", "seatIds"),
    "reservation_create": ("/internal/reservations", "items"),
    "admitted": (None, None),
}

logger = logging.getLogger("ticket_worker")
logger.setLevel(logging.INFO)


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete; the whole batch is retried."""


class MessageError(Exception):
    """This message cannot be processed now; it is reported as a batch item failure."""


class UnauthorizedError(MessageError):
    """ticket-service refused the token (401)."""


class StaticToken:
    """A token given directly (``INTERNAL_API_TOKEN``, outside AWS): nothing to refresh."""

    def __init__(self, token: str):
        self._token = token

    def current(self) -> str:
        return self._token

    def refresh(self, rejected: str) -> str:
        return self._token


class SecretsManagerToken:
    """The internal API token from Secrets Manager: read once per container, again after a 401."""

    def __init__(self, secret_id: str):
        self._secret_id = secret_id
        self._lock = threading.Lock()
        self._token: str | None = None
        self._client = None

    def _read(self) -> str:
        if self._client is None:
            # boto3 ships with the python3.13 runtime ("Your code runs in an environment that includes
            # the SDK for Python (Boto3)", Lambda Developer Guide, lambda-python); imported on first use.
            import boto3

            self._client = boto3.client("secretsmanager")
        try:
            value = self._client.get_secret_value(SecretId=self._secret_id).get("SecretString") or ""
        except Exception as error:  # noqa: BLE001 - botocore's errors: the batch goes back, named, not the value
            raise ConfigurationError(f"ticket_worker: cannot read the internal API token from Secrets Manager "
                                     f"({type(error).__name__}); the batch is left on the queue") from None
        if not value.strip():
            raise ConfigurationError("ticket_worker: the internal API token secret is empty")
        return value.strip()

    def current(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._read()
            return self._token

    def refresh(self, rejected: str) -> str:
        """The token to retry with after ``rejected`` was refused: read again, unless another group already did."""
        with self._lock:
            if self._token in (None, rejected):
                self._token = self._read()
            return self._token


_token_sources: dict[str, SecretsManagerToken] = {}  # one per secret for the container's life


@dataclass(frozen=True)
class Settings:
    ticket_service_url: str
    token: StaticToken | SecretsManagerToken
    max_receive_count: int | None = None

    @classmethod
    def from_env(cls) -> Settings:
        secret_id = os.environ.get("INTERNAL_API_TOKEN_SECRET_ARN", "").strip()
        static = os.environ.get("INTERNAL_API_TOKEN", "").strip()
        if secret_id:
            token = _token_sources.setdefault(secret_id, SecretsManagerToken(secret_id))
        elif static:
            token = StaticToken(static)
        else:
            raise ConfigurationError(
                "ticket_worker: INTERNAL_API_TOKEN_SECRET_ARN is not set; the worker cannot authenticate to "
                "ticket-service, so the batch is left on the queue"
            )
        url = os.environ.get("TICKET_SERVICE_URL", "http://localhost:3002").strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"ticket_worker: TICKET_SERVICE_URL {url!r} is not an http(s) URL")
        raw_count = os.environ.get("MAX_RECEIVE_COUNT", "").strip()
        if raw_count and not (raw_count.isdigit() and int(raw_count) > 0):
            raise ConfigurationError(f"ticket_worker: MAX_RECEIVE_COUNT {raw_count!r} is not a positive integer")
        return cls(url, token, int(raw_count) if raw_count else None)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect from the internal API is not a success: surface it as an HTTPError (non-2xx)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No redirects and no proxies from the environment: the internal API is called directly.
_opener = urllib.request.build_opener(_RefuseRedirects, urllib.request.ProxyHandler({}))
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """One pool per container, reused by warm invocations (threads cost ~0.1 ms to start)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=MAX_BATCH_SIZE, thread_name_prefix="group")
        return _executor


# --- one message --------------------------------------------------------------------------------


def parse_message(body: object) -> tuple[str, dict]:
    """(action, payload) of a message body, or MessageError naming what is wrong."""
    if not isinstance(body, str):
        raise MessageError("body is not a string")
    try:
        message = json.loads(body)
    except ValueError:
        raise MessageError("body is not JSON") from None
    if not isinstance(message, dict):
        raise MessageError("body is not a JSON object")
    action = message.get("action")
    if action not in ACTIONS:
        raise MessageError(f"unknown action {str(action)[:40]!r}")
    for field in ("eventId", "userId"):
        value = message.get(field)
        if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, (dict, list, bool)):
            raise MessageError(f"{action}: missing or empty {field}")
    _, list_field = ACTIONS[action]
    if list_field is not None:
        values = message.get(list_field)
        if not isinstance(values, list) or not values:
            raise MessageError(f"{action}: {list_field} must be a non-empty list")
    return action, message


def request_body(action: str, message: dict) -> bytes:
    _, list_field = ACTIONS[action]
    payload = {
        "eventId": message["eventId"],
        "userId": message["userId"],
        list_field: message[list_field],
        "entryToken": message.get("entryToken"),
    }
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def post(settings: Settings, path: str, body: bytes, message_id: str, timeout: float, token: str) -> int:
    # Settings.from_env admits only http(s) URLs, so no file: or custom scheme reaches urllib.
    request = urllib.request.Request(  # noqa: S310
        settings.ticket_service_url + path,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": message_id,
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 401:
            raise UnauthorizedError("ticket-service answered 401") from None
        raise MessageError(f"ticket-service answered {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise MessageError(f"ticket-service unreachable: {type(reason).__name__}") from None


def process(settings: Settings, message_id: str, body: object) -> None:
    action, message = parse_message(body)
    path, _ = ACTIONS[action]
    if path is None:
        logger.info(json.dumps({"messageId": message_id, "action": action, "eventId": str(message["eventId"]),
                                "result": "logged"}))
        return
    body = request_body(action, message)
    token = settings.token.current()
    try:
        status = post(settings, path, body, message_id, REQUEST_TIMEOUT_SECONDS, token)
    except UnauthorizedError:
        # A rotation: read the token again and retry once. The same token again, or a refusal of the
        # new one (ticket-service not restarted yet), is this message's failure: SQS redelivers it.
        try:
            fresh = settings.token.refresh(token)
        except ConfigurationError as error:
            raise MessageError(str(error)) from None
        if fresh == token:
            raise
        logger.info(json.dumps({"messageId": message_id, "result": "token refreshed"}))
        status = post(settings, path, body, message_id, REQUEST_TIMEOUT_SECONDS, fresh)
    logger.info(json.dumps({"messageId": message_id, "action": action, "status": status, "result": "sent"}))


# --- a batch ------------------------------------------------------------------------------------


def _remaining_ms(context: object) -> float:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    try:
        return float(getter()) if callable(getter) else float("inf")
    except (TypeError, ValueError):
        return float("inf")


@dataclass(frozen=True)
class Record:
    message_id: str
    body: object
    receive_count: int


def _is_last_receive(settings: Settings, record: Record) -> bool:
    return settings.max_receive_count is not None and record.receive_count >= settings.max_receive_count


def _process_group(settings: Settings, records: list[Record], context: object) -> list[str]:
    """Send a group's records in order; return the ids that failed or were held back behind a failure."""
    failed: list[str] = []
    for index, record in enumerate(records):
        if _remaining_ms(context) < REQUEST_TIMEOUT_SECONDS * 1000 + SAFETY_MARGIN_MS:
            logger.warning(json.dumps({"messageId": record.message_id, "result": "deferred", "reason": "deadline"}))
            return failed + [r.message_id for r in records[index:]]
        try:
            process(settings, record.message_id, record.body)
            continue
        except MessageError as error:
            reason = str(error)
        except Exception as error:  # noqa: BLE001 - anything unexpected is still only this message's failure
            reason = f"unexpected {type(error).__name__}"
        failed.append(record.message_id)
        if _is_last_receive(settings, record):
            # Headed for the DLQ: it will never be retried here, so it no longer holds its group.
            logger.warning(json.dumps({"messageId": record.message_id, "result": "dead-lettered", "reason": reason}))
            continue
        logger.warning(json.dumps({"messageId": record.message_id, "result": "failed", "reason": reason}))
        return failed + [r.message_id for r in records[index + 1:]]
    return failed


def _receive_count(attributes: object) -> int:
    raw = attributes.get("ApproximateReceiveCount") if isinstance(attributes, dict) else None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 1


def handler(event: object, context: object = None) -> dict:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        return {"batchItemFailures": []}
    settings = Settings.from_env()  # raises ConfigurationError: the whole batch goes back to the queue
    settings.token.current()  # the first invocation reads it; unreadable: the whole batch goes back too

    groups: dict[str, list[Record]] = {}
    order: list[str] = []
    for position, record in enumerate(records):
        message_id = record.get("messageId") if isinstance(record, dict) else None
        if not isinstance(message_id, str) or not message_id:
            # A record we cannot name cannot be reported alone. An empty itemIdentifier makes
            # Lambda treat the whole batch as failed, so nothing is deleted and nothing lost.
            logger.error(json.dumps({"position": position, "result": "failed", "reason": "record without messageId"}))
            return {"batchItemFailures": [{"itemIdentifier": ""}]}
        attributes = record.get("attributes")
        group = attributes.get("MessageGroupId") if isinstance(attributes, dict) else None
        # Without a group id a record is ordered with nothing else: a group of its own.
        key = f"group:{group}" if isinstance(group, str) and group else f"message:{message_id}"
        groups.setdefault(key, []).append(Record(message_id, record.get("body"), _receive_count(attributes)))
        order.append(message_id)

    if len(groups) == 1:
        failed = set(_process_group(settings, next(iter(groups.values())), context))
    else:
        futures = [_pool().submit(_process_group, settings, group, context) for group in groups.values()]
        failed = {message_id for future in futures for message_id in future.result()}
    return {"batchItemFailures": [{"itemIdentifier": mid} for mid in order if mid in failed]}
