"""Ticket worker (spec 8.2) against a real HTTP server on 127.0.0.1.

GIVEN a batch of SQS FIFO records  WHEN the handler runs  THEN ticket-service receives the
right calls, in group order, and everything that did not succeed is reported as failed.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.lambdas.conftest import closed_port
from tests.lambdas.events import EVENT_ID, reservation_create, seat_reserve, sqs_event, sqs_record


class Context:
    """The part of the Lambda context the worker uses: a deadline."""

    def __init__(self, remaining_ms: float):
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def failures(result: dict) -> list[str]:
    return [item["itemIdentifier"] for item in result["batchItemFailures"]]


# --- actions ------------------------------------------------------------------------------------


def test_seat_reserve_posts_to_the_internal_api_with_auth_and_idempotency(worker, ticket_server):
    record = sqs_record(seat_reserve(seats=["A-1", "A-2"]), message_id="m-1")
    assert worker.handler(sqs_event(record), Context(30000)) == {"batchItemFailures": []}
    [call] = ticket_server.calls
    assert call.path == "/internal/seats/reserve"
    assert call.headers["authorization"] == "Bearer internal-api-token-for-tests"
    assert call.headers["content-type"] == "application/json"
    assert call.headers["idempotency-key"] == "m-1"
    assert call.body == {"eventId": EVENT_ID, "userId": "user-1", "seatIds": ["A-1", "A-2"],
                         "entryToken": "entry-token-value"}


def test_reservation_create_posts_items(worker, ticket_server):
    record = sqs_record(reservation_create(items=[{"seatId": "B-7"}]), message_id="m-2")
    assert failures(worker.handler(sqs_event(record), Context(30000))) == []
    [call] = ticket_server.calls
    assert call.path == "/internal/reservations"
    assert call.body == {"eventId": EVENT_ID, "userId": "user-1", "items": [{"seatId": "B-7"}],
                         "entryToken": "entry-token-value"}
    assert call.headers["idempotency-key"] == "m-2"


def test_admitted_is_logged_and_not_sent(worker, ticket_server, caplog):
    record = sqs_record({"action": "admitted", "eventId": EVENT_ID, "userId": "u", "entryToken": "tok-123456"})
    with caplog.at_level("INFO", logger="ticket_worker"):
        assert failures(worker.handler(sqs_event(record), Context(30000))) == []
    assert ticket_server.calls == []
    assert any('"action": "admitted"' in r.getMessage() for r in caplog.records)
    assert not any("tok-123456" in r.getMessage() for r in caplog.records)  # tokens never logged


# --- everything that did not succeed is a failure ------------------------------------------------


@pytest.mark.parametrize("body", [
    "not json",
    "[1, 2]",
    json.dumps({"action": "refund_everything", "eventId": EVENT_ID, "userId": "u"}),  # unknown action
    json.dumps({"eventId": EVENT_ID, "userId": "u", "seatIds": ["A"]}),  # no action
    json.dumps({**seat_reserve(), "seatIds": []}),
    json.dumps({**seat_reserve(), "seatIds": "A-1"}),
    json.dumps({k: v for k, v in seat_reserve().items() if k != "eventId"}),
    json.dumps({**seat_reserve(), "userId": "  "}),
    json.dumps({k: v for k, v in reservation_create().items() if k != "items"}),
    json.dumps({"action": "admitted", "eventId": EVENT_ID}),
])
def test_unprocessable_messages_are_reported_not_dropped(worker, ticket_server, body):
    record = sqs_record(body, message_id="bad")
    assert failures(worker.handler(sqs_event(record), Context(30000))) == ["bad"]
    assert ticket_server.calls == []


@pytest.mark.parametrize("user", ["status-500", "status-400", "status-409", "status-302", "hang"])
def test_non_2xx_answers_and_timeouts_are_failures(worker, ticket_server, user):
    record = sqs_record(seat_reserve(user=user), message_id="m")
    assert failures(worker.handler(sqs_event(record), Context(30000))) == ["m"]
    assert len(ticket_server.calls) == 1


def test_refused_connection_is_a_failure(worker, monkeypatch):
    monkeypatch.setenv("TICKET_SERVICE_URL", f"http://127.0.0.1:{closed_port()}")
    record = sqs_record(seat_reserve(), message_id="m")
    assert failures(worker.handler(sqs_event(record), Context(30000))) == ["m"]


def test_missing_internal_token_is_a_clear_error_and_deletes_nothing(worker, ticket_server, monkeypatch):
    monkeypatch.delenv("INTERNAL_API_TOKEN")
    monkeypatch.delenv("INTERNAL_API_TOKEN_SECRET_ARN", raising=False)
    with pytest.raises(worker.ConfigurationError, match="INTERNAL_API_TOKEN_SECRET_ARN is not set"):
        worker.handler(sqs_event(sqs_record(seat_reserve())), Context(30000))
    assert ticket_server.calls == []


def test_default_ticket_service_url(worker_module, monkeypatch):
    monkeypatch.delenv("TICKET_SERVICE_URL", raising=False)
    monkeypatch.setenv("INTERNAL_API_TOKEN", "t")
    assert worker_module.Settings.from_env().ticket_service_url == "http://localhost:3002"


def test_record_without_message_id_fails_the_whole_batch(worker, ticket_server):
    good = sqs_record(seat_reserve(), message_id="good")
    nameless = sqs_record(seat_reserve())
    del nameless["messageId"]
    # An empty itemIdentifier makes Lambda treat the batch as failed: nothing is deleted.
    assert worker.handler(sqs_event(good, nameless), Context(30000)) == {"batchItemFailures": [{"itemIdentifier": ""}]}
    assert ticket_server.calls == []


@pytest.mark.parametrize("event", [None, {}, {"Records": None}, {"Records": []}, "x"])
def test_events_without_records_have_nothing_to_fail(worker, event):
    assert worker.handler(event, Context(30000)) == {"batchItemFailures": []}


# --- FIFO order and concurrency -----------------------------------------------------------------


def test_a_failure_stops_its_group_and_only_its_group(worker, ticket_server):
    batch = [
        sqs_record(seat_reserve(user="a1"), group="A", message_id="a1"),
        sqs_record(seat_reserve(user="status-500"), group="A", message_id="a2"),
        sqs_record(seat_reserve(user="a3"), group="A", message_id="a3"),
        sqs_record(seat_reserve(user="b1"), group="B", message_id="b1"),
        sqs_record(seat_reserve(user="b2"), group="B", message_id="b2"),
    ]
    assert failures(worker.handler(sqs_event(*batch), Context(30000))) == ["a2", "a3"]
    assert sorted(ticket_server.keys()) == ["a1", "a2", "b1", "b2"]  # a3 was never sent


def test_order_within_a_group_is_kept(worker, ticket_server):
    batch = [sqs_record(seat_reserve(user=f"slow-{30 - 5 * i}"), group="G", message_id=f"g{i}") for i in range(5)]
    assert failures(worker.handler(sqs_event(*batch), Context(30000))) == []
    assert ticket_server.keys() == ["g0", "g1", "g2", "g3", "g4"]
    starts = [c.started for c in ticket_server.calls]
    ends = [c.finished for c in ticket_server.calls]
    assert all(ends[i] <= starts[i + 1] for i in range(4))  # each waits for the one before


def test_groups_run_concurrently(worker, ticket_server, monkeypatch):
    # The server answers only when all five requests are in flight at once (a barrier): sent one
    # group after another they would all fail with 503. No timing involved, so load cannot flake it.
    monkeypatch.setattr(worker, "REQUEST_TIMEOUT_SECONDS", 30.0)
    batch = [sqs_record(seat_reserve(user="together-5"), group=f"g{i}", message_id=f"m{i}") for i in range(5)]
    assert failures(worker.handler(sqs_event(*batch), Context(60000))) == []
    calls = ticket_server.calls
    assert len(calls) == 5
    assert max(c.started for c in calls) < min(c.finished for c in calls), "calls did not overlap"


def test_records_without_a_group_are_independent(worker, ticket_server):
    batch = [sqs_record(seat_reserve(user="status-500"), group=None, message_id="x"),
             sqs_record(seat_reserve(), group=None, message_id="y")]
    assert failures(worker.handler(sqs_event(*batch), Context(30000))) == ["x"]
    assert sorted(ticket_server.keys()) == ["x", "y"]


def test_failures_are_reported_in_batch_order(worker, ticket_server):
    batch = [sqs_record("junk", group=f"g{i}", message_id=f"m{i}") for i in (3, 1, 2)]
    assert failures(worker.handler(sqs_event(*batch), Context(30000))) == ["m3", "m1", "m2"]


# --- deadline -----------------------------------------------------------------------------------


def test_records_that_cannot_finish_before_the_deadline_are_not_started(worker, ticket_server, monkeypatch):
    # Room for one request is timeout (800 ms) + margin (100 ms) = 900 ms. With 1800 ms left the
    # first record (600 ms) starts; ~1200 ms remain, enough for the second; ~600 ms then are
    # not, so the third is reported failed unsent. 300 ms of slack on each side of each check.
    monkeypatch.setattr(worker, "REQUEST_TIMEOUT_SECONDS", 0.8)
    batch = [sqs_record(seat_reserve(user="slow-600"), group="G", message_id=f"g{i}") for i in range(3)]
    result = worker.handler(sqs_event(*batch), Context(1800))
    assert failures(result) == ["g2"]
    assert ticket_server.keys() == ["g0", "g1"]


def test_nothing_starts_when_no_request_fits(worker, ticket_server):
    # 550 ms left, 600 ms needed (timeout 500 + margin 100): nothing is started.
    batch = [sqs_record(seat_reserve(), group=f"g{i}", message_id=f"m{i}") for i in range(3)]
    assert failures(worker.handler(sqs_event(*batch), Context(550))) == ["m0", "m1", "m2"]
    assert ticket_server.calls == []


def test_no_context_means_no_deadline(worker, ticket_server):
    assert failures(worker.handler(sqs_event(sqs_record(seat_reserve(), message_id="m")), None)) == []
    assert ticket_server.keys() == ["m"]


# --- dead-lettering without collateral ----------------------------------------------------------


def test_a_failure_on_its_last_receive_no_longer_blocks_its_group(worker, ticket_server, monkeypatch):
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    batch = [
        sqs_record(seat_reserve(user="status-400"), group="A", message_id="poison", receive_count=3),
        sqs_record(seat_reserve(user="a2"), group="A", message_id="a2", receive_count=3),
        sqs_record(seat_reserve(user="a3"), group="A", message_id="a3", receive_count=3),
    ]
    assert failures(worker.handler(sqs_event(*batch), Context(30000))) == ["poison"]
    assert ticket_server.keys() == ["poison", "a2", "a3"]


def test_a_failure_before_its_last_receive_still_blocks_its_group(worker, ticket_server, monkeypatch):
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    batch = [
        sqs_record(seat_reserve(user="status-400"), group="A", message_id="poison", receive_count=2),
        sqs_record(seat_reserve(user="a2"), group="A", message_id="a2", receive_count=2),
    ]
    assert failures(worker.handler(sqs_event(*batch), Context(30000))) == ["poison", "a2"]
    assert ticket_server.keys() == ["poison"]


def test_without_max_receive_count_a_failure_always_blocks(worker, ticket_server, monkeypatch):
    monkeypatch.delenv("MAX_RECEIVE_COUNT", raising=False)
    batch = [
        sqs_record("junk", group="A", message_id="poison", receive_count=50),
        sqs_record(seat_reserve(), group="A", message_id="a2", receive_count=50),
    ]
    assert failures(worker.handler(sqs_event(*batch), Context(30000))) == ["poison", "a2"]
    assert ticket_server.calls == []


@pytest.mark.parametrize("value", ["zero", "0", "-1", "2.5"])
def test_bad_max_receive_count_is_a_clear_error(worker, monkeypatch, value):
    monkeypatch.setenv("MAX_RECEIVE_COUNT", value)
    with pytest.raises(worker.ConfigurationError, match=f"MAX_RECEIVE_COUNT '{value}' is not a positive integer"):
        worker.handler(sqs_event(sqs_record(seat_reserve())), Context(30000))
