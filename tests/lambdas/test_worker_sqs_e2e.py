"""End to end on moto's SQS: FIFO queue -> (simulated) event source mapping -> worker -> ticket-service.

GIVEN a FIFO queue with a redrive policy to a FIFO dead-letter queue, and messages from
several groups, some of them poison
WHEN batches of up to 10 are received and handed to the handler the way Lambda's event
source mapping does (reported successes deleted, failures left for redelivery)
THEN each poison message ends in the DLQ after maxReceiveCount receives, and every other
message reached ticket-service exactly once, in its group's order.
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from tests.lambdas.events import EVENT_ID

MAX_RECEIVE_COUNT = 3
REGION = "ap-northeast-2"


def message(group: str, index: int, poison: str | None = None) -> tuple[str, str]:
    """(deduplication id, body) of the index-th message of a group."""
    key = f"{group}-{index}"
    if poison == "not-json":
        return key, "{this is not json"
    if poison == "unknown-action":
        return key, json.dumps({"action": "teleport", "eventId": EVENT_ID, "userId": key})
    user = "status-400" if poison == "rejected" else key
    return key, json.dumps({"action": "seat_reserve", "eventId": EVENT_ID, "userId": user,
                            "seatIds": [f"S-{key}"], "entryToken": "t"})


# group -> poison kind by position; everything else is a good message
PLAN = {
    "g-a": [None, None, None, None],
    "g-b": [None, "rejected", None, None],  # poison in the middle: the rest must still arrive, in order
    "g-c": ["not-json", None, None],  # poison first
    "g-d": [None, None, "unknown-action"],  # poison last
    "g-e": [None] * 6,
}


def lambda_event(messages: list[dict]) -> dict:
    """The SQS event Lambda builds from a ReceiveMessage answer."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
        "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:tiketi.fifo",
        "awsRegion": REGION,
    } for m in messages]}


@pytest.fixture
def queues():
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dlq = sqs.create_queue(QueueName="tiketi-ticket-events-dlq.fifo",
                               Attributes={"FifoQueue": "true", "MessageRetentionPeriod": "1209600"})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = sqs.create_queue(QueueName="tiketi-ticket-events.fifo", Attributes={
            "FifoQueue": "true", "VisibilityTimeout": "180", "MessageRetentionPeriod": "345600",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}),
        })["QueueUrl"]
        yield sqs, queue, dlq


def test_poison_messages_reach_the_dlq_and_the_rest_arrive_once_in_order(worker, ticket_server, queues, monkeypatch):
    sqs, queue, dlq = queues
    monkeypatch.setenv("MAX_RECEIVE_COUNT", str(MAX_RECEIVE_COUNT))
    expected_order: dict[str, list[str]] = {}
    poison: set[str] = set()
    # Interleave the groups the way producers would.
    for index in range(max(len(kinds) for kinds in PLAN.values())):
        for group, kinds in PLAN.items():
            if index < len(kinds):
                key, body = message(group, index, kinds[index])
                sqs.send_message(QueueUrl=queue, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=key)
                (poison.add(key) if kinds[index] else expected_order.setdefault(group, []).append(key))

    invocations = 0
    for _ in range(40):  # bounded: the queue drains in a handful of rounds
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                       MessageSystemAttributeNames=["All"]).get("Messages", [])
        if not received:
            break
        invocations += 1
        result = worker.handler(lambda_event(received), None)
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        by_id = {m["MessageId"]: m for m in received}
        assert failed <= set(by_id), "reported an id that was not in the batch"
        done = [by_id[mid] for mid in by_id if mid not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=queue, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        for mid in failed:  # the visibility timeout passes: failures become visible again
            sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=by_id[mid]["ReceiptHandle"],
                                          VisibilityTimeout=0)
    else:
        pytest.fail("the queue never drained")

    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
    dead_keys = {m["Attributes"]["MessageDeduplicationId"] for m in dead.get("Messages", [])}
    assert dead_keys == poison

    delivered = [c.body["seatIds"][0].removeprefix("S-") for c in ticket_server.calls
                 if c.body.get("userId") != "status-400"]
    assert sorted(delivered) == sorted(k for keys in expected_order.values() for k in keys)
    assert len(delivered) == len(set(delivered)), "a message reached ticket-service twice"
    for group, keys in expected_order.items():
        assert [k for k in delivered if k.startswith(group)] == keys, f"{group} out of order"
    # Idempotency keys are SQS message ids: one per delivered message, and a retried message
    # (the rejected poison, offered once per receive) repeats its own key.
    good_keys = [c.headers["idempotency-key"] for c in ticket_server.calls if c.body.get("userId") != "status-400"]
    assert len(set(good_keys)) == len(good_keys)
    retried = [c.headers["idempotency-key"] for c in ticket_server.calls if c.body.get("userId") == "status-400"]
    assert len(retried) == MAX_RECEIVE_COUNT and len(set(retried)) == 1
    assert invocations >= MAX_RECEIVE_COUNT + 1
