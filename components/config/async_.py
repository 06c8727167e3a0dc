"""``tiketi:queue`` and ``tiketi:worker``: the ticket-events FIFO queue and the worker Lambda (spec 4.6, 8.2)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from components.config.base import KeyProblemError, RetentionDays, Section, allowed

_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")

# Records per worker invocation (the event source mapping's batch size); the handler posts them in
# parallel, one thread per message group (lambdas/ticket_worker/handler.py MAX_BATCH_SIZE).
WORKER_BATCH_SIZE = 10


class QueueSettings(Section):
    """``tiketi:queue``: the ticket-events FIFO queue and its dead-letter queue (spec 4.6, 8.2)."""

    max_receive_count: int = Field(default=5, ge=1, le=1000,
                                   description="receives before a message moves to the dead-letter queue")
    # Off by default: with it on, SQS drops a second message with the same body sent within
    # five minutes, so producers would have to put a unique id in every body.
    content_based_deduplication: bool = Field(
        default=False, description="let SQS deduplicate by body (then every body must carry a unique id)")
    oldest_message_alarm_seconds: int = Field(default=600, ge=60,
                                              description="alarm when the oldest message is older than this")
    # The queue policy denies sending to every principal but the producer; these roles are let
    # through too, so an operator can move messages back from the dead-letter queue
    # (StartMessageMoveTask sends as the caller) or replay one by hand. Attach the policy in the
    # `queueRedrivePolicyArn` output to them (docs/operations.md, "Redrive the dead-letter queue").
    redrive_role_arns: list[str] = Field(
        default=[], description="IAM roles the queue policy lets send to the queue (DLQ redrive, replay)",
        json_schema_extra=allowed("list of IAM role ARNs (`arn:aws:iam::<account>:role/<name>`)"))

    @field_validator("redrive_role_arns")
    @classmethod
    def _role_arns(cls, arns: list[str]) -> list[str]:
        for index, arn in enumerate(arns):
            if not _ROLE_ARN.match(arn):
                raise ValueError(f"has entry [{index}] {arn!r}, which is not an IAM role ARN "
                                 "(arn:aws:iam::<12-digit account>:role/<name>); the queue policy compares "
                                 "aws:PrincipalArn, which is the role's ARN for its sessions")
        if len(set(arns)) != len(arns):
            raise ValueError("names a role twice")
        return arns


class WorkerSettings(Section):
    """``tiketi:worker``: the ticket-worker Lambda and its event source mapping."""

    timeout_seconds: int = Field(default=30, ge=1, le=900,
                                 description="function timeout; the queue's visibility timeout is 6 times this")
    memory_mb: int = Field(default=256, ge=128, le=10240, description="function memory")
    reserved_concurrency: int = Field(default=10, ge=1, description="executions reserved for the worker")
    # The SQS mapping's floor is 2.
    maximum_concurrency: int = Field(default=10, ge=2, le=1000,
                                     description="event source mapping's ceiling; at most reservedConcurrency")
    tracing: bool = Field(default=True, description="X-Ray `Active` (else `PassThrough`)")
    log_retention_days: RetentionDays = Field(default=30, description="the function's log group")
    errors_alarm_threshold: int = Field(default=5, ge=0, description="alarm when errors in 5 minutes exceed this")

    @model_validator(mode="after")
    def _concurrency_fits(self) -> WorkerSettings:
        if self.maximum_concurrency > self.reserved_concurrency:
            raise KeyProblemError(
                "tiketi:worker.maximumConcurrency", self.maximum_concurrency,
                f"is above tiketi:worker.reservedConcurrency ({self.reserved_concurrency}); the event source "
                "mapping would be throttled by the function's own reservation",
            )
        return self
