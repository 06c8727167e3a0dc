"""The worker's internal API token: read from Secrets Manager (moto), cached, refreshed after a 401.

GIVEN the token in Secrets Manager and ticket-service (the loopback server) accepting it
WHEN it is rotated (a new version in Secrets Manager, ticket-service restarted with it)
THEN the worker's next call gets 401, it reads the secret again, retries once and succeeds;
nothing is lost, and while ticket-service still has the old value the message fails and SQS
redelivers it (moto's SQS FIFO queue below).
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from tests.lambdas.events import EVENT_ID
from tests.lambdas.test_worker_sqs_e2e import REGION, lambda_event

NAME = "tiketi-prod/internal-api-token"


@pytest.fixture
def secretsmanager(monkeypatch, worker_module):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    monkeypatch.setattr(worker_module, "_token_sources", {})  # a fresh container
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        arn = client.create_secret(Name=NAME, SecretString="token-1")["ARN"]
        yield client, arn


@pytest.fixture
def token_worker(worker, secretsmanager, monkeypatch):
    """The worker as deployed: the secret's ARN in its environment, no token."""
    _, arn = secretsmanager
    monkeypatch.delenv("INTERNAL_API_TOKEN")
    monkeypatch.setenv("INTERNAL_API_TOKEN_SECRET_ARN", arn)
    reads = []
    original = worker.SecretsManagerToken._read

    def counted(self):
        reads.append(self._secret_id)
        return original(self)

    monkeypatch.setattr(worker.SecretsManagerToken, "_read", counted)
    worker.reads = reads
    return worker


def reserve(message_id: str, group: str, user: str = "u-1") -> dict:
    return {"messageId": message_id, "body": json.dumps({
        "action": "seat_reserve", "eventId": EVENT_ID, "userId": user, "seatIds": [f"S-{message_id}"],
        "entryToken": "t"}), "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": "1"}}


def tokens(server) -> list[tuple[str, int]]:
    return [(c.headers["authorization"].removeprefix("Bearer "), c.status) for c in server.calls]


def test_the_token_is_read_once_per_container_and_sent_as_the_bearer(token_worker, ticket_server, secretsmanager):
    ticket_server.accepted_tokens = {"token-1"}
    for index in range(3):
        assert token_worker.handler({"Records": [reserve(f"m-{index}", "g")]}) == {"batchItemFailures": []}
    assert token_worker.reads == [secretsmanager[1]]  # once, for three invocations
    assert tokens(ticket_server) == [("token-1", 200)] * 3


def test_a_rotation_is_picked_up_on_the_first_401_and_nothing_is_lost(token_worker, ticket_server, secretsmanager):
    client, arn = secretsmanager
    ticket_server.accepted_tokens = {"token-1"}
    assert token_worker.handler({"Records": [reserve("before", "g-a")]}) == {"batchItemFailures": []}
    # Rotation: a new version in Secrets Manager, and ticket-service restarted with it (Reloader).
    client.put_secret_value(SecretId=arn, SecretString="token-2")
    ticket_server.accepted_tokens = {"token-2"}
    batch = [reserve(f"after-{i}", group) for i, group in enumerate(["g-a", "g-b", "g-c", "g-a"])]
    assert token_worker.handler({"Records": batch}) == {"batchItemFailures": []}
    succeeded = {c.body["seatIds"][0] for c in ticket_server.calls if c.status == 200}
    assert succeeded == {"S-before", *(f"S-after-{i}" for i in range(4))}  # every message, once
    assert [t for t in tokens(ticket_server) if t[1] == 401] and all(
        token == "token-1" for token, status in tokens(ticket_server) if status == 401)
    # One more read for the rotation, however many groups saw the 401 at the same time.
    assert len(token_worker.reads) == 2


def test_a_token_ticket_service_does_not_know_yet_fails_the_message_for_redelivery(token_worker, ticket_server,
                                                                                   secretsmanager):
    client, arn = secretsmanager
    ticket_server.accepted_tokens = {"token-1"}
    token_worker.handler({"Records": [reserve("warm", "g")]})
    # Secrets Manager rotated, ticket-service not restarted yet: the retry with the new token is refused too.
    client.put_secret_value(SecretId=arn, SecretString="token-2")
    ticket_server.accepted_tokens = {"token-0-unrelated"}
    result = token_worker.handler({"Records": [reserve("m-1", "g"), reserve("m-2", "g")]})
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}
    # It retried exactly once, and the held-back record was not sent.
    assert [t for t in tokens(ticket_server)][1:] == [("token-1", 401), ("token-2", 401)]
    # ticket-service restarts with the new value: the redelivered messages go through.
    ticket_server.accepted_tokens = {"token-2"}
    assert token_worker.handler({"Records": [reserve("m-1", "g"), reserve("m-2", "g")]}) == {"batchItemFailures": []}


def test_an_unreadable_secret_leaves_the_whole_batch_on_the_queue(token_worker, ticket_server, secretsmanager,
                                                                  monkeypatch):
    monkeypatch.setenv("INTERNAL_API_TOKEN_SECRET_ARN", secretsmanager[1].replace("token", "missing"))
    with pytest.raises(token_worker.ConfigurationError, match="cannot read the internal API token from Secrets "
                                                              "Manager \\(ResourceNotFoundException\\)"):
        token_worker.handler({"Records": [reserve("m-1", "g")]})
    assert ticket_server.calls == []


def test_a_rotation_mid_stream_on_sqs_loses_nothing(token_worker, ticket_server, secretsmanager):
    """The event source mapping's loop on moto's FIFO queue, rotated between two batches."""
    client, arn = secretsmanager
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="ticket-events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    keys = [f"k-{i}" for i in range(12)]
    for i, key in enumerate(keys):
        body = json.dumps({"action": "seat_reserve", "eventId": EVENT_ID, "userId": key, "seatIds": [f"S-{key}"]})
        sqs.send_message(QueueUrl=queue, MessageBody=body, MessageGroupId=f"g-{i % 3}", MessageDeduplicationId=key)
    ticket_server.accepted_tokens = {"token-1"}
    rounds = 0
    while rounds < 20:
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=5,
                                       MessageSystemAttributeNames=["All"]).get("Messages", [])
        if not received:
            break
        rounds += 1
        if rounds == 2:  # rotated between batches
            client.put_secret_value(SecretId=arn, SecretString="token-2")
            ticket_server.accepted_tokens = {"token-2"}
        failed = {f["itemIdentifier"] for f in token_worker.handler(lambda_event(received))["batchItemFailures"]}
        for m in received:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    delivered = [c.body["seatIds"][0].removeprefix("S-") for c in ticket_server.calls if c.status == 200]
    assert sorted(delivered) == sorted(keys) and len(delivered) == len(set(delivered))
    assert len(token_worker.reads) == 2
