"""components/config/async_.py: tiketi:queue and tiketi:worker."""

from __future__ import annotations

from tests.support.config import parse, parse_aws, problem_with


def test_prod_async_config_is_the_defaults_but_log_retention():
    config = parse("prod")
    assert (config.queue.max_receive_count, config.queue.content_based_deduplication) == (5, False)
    assert config.queue.oldest_message_alarm_seconds == 600
    assert (config.worker.timeout_seconds, config.worker.memory_mb) == (30, 256)
    assert (config.worker.reserved_concurrency, config.worker.maximum_concurrency, config.worker.tracing) == (
        10, 10, True)
    assert (config.worker.log_retention_days, config.worker.errors_alarm_threshold) == (90, 5)


def test_staging_worker_is_smaller_and_retries_less():
    config = parse("staging")
    assert config.queue.max_receive_count == 3
    assert (config.worker.reserved_concurrency, config.worker.maximum_concurrency, config.worker.tracing) == (
        2, 2, True)


def test_worker_concurrency_cannot_exceed_its_reservation():  # WorkerSettings._concurrency_fits
    assert problem_with("worker", reservedConcurrency=5, maximumConcurrency=10) == (
        "tiketi:worker.maximumConcurrency: 10 is above tiketi:worker.reservedConcurrency (5); the event source "
        "mapping would be throttled by the function's own reservation")


def test_event_source_concurrency_floor_is_two():
    assert problem_with("worker", maximumConcurrency=1).startswith(
        "tiketi:worker.maximumConcurrency: 1 is invalid: input should be greater than or equal to 2")


def test_worker_timeout_bounds():
    assert problem_with("worker", timeoutSeconds=901).startswith(
        "tiketi:worker.timeoutSeconds: 901 is invalid: input should be less than or equal to 900")


def test_queue_receive_count_bounds():
    assert problem_with("queue", maxReceiveCount=0).startswith("tiketi:queue.maxReceiveCount: 0 is invalid")
    assert parse_aws(**{"tiketi:queue": {"maxReceiveCount": 1000}}).queue.max_receive_count == 1000


ROLE = "arn:aws:iam::123456789012:role/tiketi-operators"


def test_redrive_roles_default_to_none_and_take_role_arns():
    assert parse("prod").queue.redrive_role_arns == []
    assert parse_aws(**{"tiketi:queue": {"redriveRoleArns": [ROLE]}}).queue.redrive_role_arns == [ROLE]
    nested = "arn:aws:iam::123456789012:role/ops/sso/Redrive"
    assert parse_aws(**{"tiketi:queue": {"redriveRoleArns": [nested]}}).queue.redrive_role_arns == [nested]


def test_redrive_roles_must_be_role_arns():  # QueueSettings._role_arns
    user = "arn:aws:iam::123456789012:user/alice"
    assert problem_with("queue", redriveRoleArns=[ROLE, user]) == (
        f'tiketi:queue.redriveRoleArns: ["{ROLE}", "{user}"] has entry [1] \'{user}\', which is not an IAM role ARN '
        "(arn:aws:iam::<12-digit account>:role/<name>); the queue policy compares aws:PrincipalArn, which is the "
        "role's ARN for its sessions")
    assert problem_with("queue", redriveRoleArns=[ROLE, ROLE]) == (
        f'tiketi:queue.redriveRoleArns: ["{ROLE}", "{ROLE}"] names a role twice')
    session = "arn:aws:sts::123456789012:assumed-role/tiketi-operators/alice"
    assert "is not an IAM role ARN" in problem_with("queue", redriveRoleArns=[session])
