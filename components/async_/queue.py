"""Queue: the ticket-events SQS FIFO queue, its dead-letter queue and their alarms (spec 4.6).

``Queue`` owns both queues (server-side encrypted, long polling, high-throughput FIFO
settings), the redrive policy (after ``maxReceiveCount`` receives a message moves to the
DLQ, kept 14 days), the DLQ's redrive-allow policy (only this queue may use it) and the
alarms on DLQ depth and on the age of the oldest message.

Both queues are ``protect``ed by config (messages in flight are data) and keep their names; a
replacement deletes first (``delete_before_replace``), which ``protect`` stops in prod.

``QueueAccess`` owns the queue policy. It is a separate component because it names the
producer's and the consumer's roles, which exist only after the Workloads (ticket-service)
and the Worker: ticket-service may send, the worker may receive, delete, change
visibility and read attributes, and every other principal is denied sending, receiving,
deleting and changing visibility (reading attributes stays open to the account's admins).
The operators' redrive roles (``tiketi:queue.redriveRoleArns``) may send too: a dead-letter
redrive (``StartMessageMoveTask``) puts the messages back with the caller's permissions, and a
replay is a send. QueueAccess also owns the managed policy those roles need
(``queueRedrivePolicyArn``): move-task actions and receive/delete on the DLQ, send on the queue.

Deduplication: content-based deduplication is off by default. With it on, SQS silently
merges identical bodies sent within 5 minutes, so producers must then put a unique id in
every message; with it off they must send a ``MessageDeduplicationId``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.config.async_ import QueueSettings
from components.observability.alarms import metric_alarm
from components.security import iam

MESSAGE_RETENTION_SECONDS = 4 * 24 * 3600  # spec: 4 days
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum, time to inspect and redrive
# AWS: a queue's visibility timeout should be at least six times its consumer's timeout, so
# a batch that is retried inside Lambda does not reappear while still being processed.
VISIBILITY_PER_CONSUMER_TIMEOUT = 6
# Message actions: each is allowed to its one role and denied to every other principal.
CONSUMER_MESSAGE_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
# The worker also reads attributes; that is not denied to others, or Pulumi and operators
# could no longer read the queue they manage.
CONSUMER_ACTIONS = [*CONSUMER_MESSAGE_ACTIONS, "sqs:GetQueueAttributes"]
PRODUCER_ACTIONS = ["sqs:SendMessage"]


@dataclass(frozen=True)
class QueueArgs:
    name_prefix: str
    settings: QueueSettings
    consumer_timeout_seconds: int
    alarm_topic_arn: pulumi.Input[str]
    protect: bool = True  # tiketi:protection.stateful


class Queue(Component):
    TYPE = "tiketi:async:Queue"
    url: pulumi.Output[str]
    arn: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    dlq_arn: pulumi.Output[str]
    name: pulumi.Output[str]
    dlq_name: pulumi.Output[str]
    max_receive_count: int

    def __init__(self, name: str, args: QueueArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings
        stateful = self._child(protect=args.protect, delete_before_replace=True)

        dlq = aws.sqs.Queue(
            f"{name}-dlq", name=f"{args.name_prefix}-ticket-events-dlq.fifo", fifo_queue=True,
            sqs_managed_sse_enabled=True, message_retention_seconds=DLQ_RETENTION_SECONDS, opts=stateful,
        )
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=f"{args.name_prefix}-ticket-events.fifo",
            fifo_queue=True,
            content_based_deduplication=settings.content_based_deduplication,
            # High-throughput FIFO: ordering and deduplication per message group.
            deduplication_scope="messageGroup",
            fifo_throughput_limit="perMessageGroupId",
            sqs_managed_sse_enabled=True,
            receive_wait_time_seconds=20,  # long polling
            message_retention_seconds=MESSAGE_RETENTION_SECONDS,
            visibility_timeout_seconds=VISIBILITY_PER_CONSUMER_TIMEOUT * args.consumer_timeout_seconds,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": settings.max_receive_count}),
            opts=stateful,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow", queue_url=dlq.url,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [queue.arn]}),
            opts=self._child(),
        )
        metric_alarm(f"{name}-dlq-messages", parent=self, topic_arn=args.alarm_topic_arn, namespace="AWS/SQS",
                     metric="ApproximateNumberOfMessagesVisible", dimensions={"QueueName": dlq.name},
                     statistic="Maximum", comparison="GreaterThanThreshold", threshold=0, evaluation_periods=1,
                     missing_data="notBreaching",
                     description="ticket events in the dead-letter queue: they failed maxReceiveCount times",
                     first_check="the ticket-worker log group for the failing messageId, then redrive the DLQ")
        metric_alarm(f"{name}-oldest-message", parent=self, topic_arn=args.alarm_topic_arn, namespace="AWS/SQS",
                     metric="ApproximateAgeOfOldestMessage", dimensions={"QueueName": queue.name},
                     statistic="Maximum", comparison="GreaterThanThreshold",
                     threshold=settings.oldest_message_alarm_seconds, evaluation_periods=1,
                     missing_data="notBreaching",
                     description=f"a ticket event has waited over {settings.oldest_message_alarm_seconds} s",
                     first_check="worker errors and throttles on the dashboard; ticket-service health behind the "
                                 "internal ALB")

        self.url, self.arn = queue.url, queue.arn
        self.dlq_url, self.dlq_arn = dlq.url, dlq.arn
        self.name, self.dlq_name = queue.name, dlq.name  # CloudWatch's QueueName dimension
        self.max_receive_count = settings.max_receive_count
        self.register_outputs({"url": self.url, "arn": self.arn, "dlqUrl": self.dlq_url})


# What a dead-letter redrive needs (SQS Developer Guide, "Configure queue permissions for dead-letter
# queue redrive"): start/list/cancel the move task and receive, delete and read attributes on the
# DLQ (the source), send and read attributes on the destination queue. SSE-SQS needs no KMS action.
REDRIVE_SOURCE_ACTIONS = ["sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks", "sqs:CancelMessageMoveTask",
                          "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
REDRIVE_DESTINATION_ACTIONS = ["sqs:SendMessage", "sqs:GetQueueAttributes"]


@dataclass(frozen=True)
class QueueAccessArgs:
    name_prefix: str
    queue_url: pulumi.Input[str]
    queue_arn: pulumi.Input[str]
    dlq_arn: pulumi.Input[str]
    producer_role_arns: Sequence[pulumi.Input[str]]
    consumer_role_arn: pulumi.Input[str]
    redrive_role_arns: Sequence[str] = ()


class QueueAccess(Component):
    """The queue policy: each action to its one role, denied to every other principal."""

    TYPE = "tiketi:async:QueueAccess"
    redrive_policy_arn: pulumi.Output[str]

    def __init__(self, name: str, args: QueueAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        producers = list(args.producer_role_arns)
        redrivers = list(args.redrive_role_arns)
        consumers = [args.consumer_role_arn]
        statements = []
        for sid, allowed, denied, principals in (
                ("Producers", PRODUCER_ACTIONS, PRODUCER_ACTIONS, producers + redrivers),
                ("Consumer", CONSUMER_ACTIONS, CONSUMER_MESSAGE_ACTIONS, consumers)):
            if sid == "Producers" and redrivers:
                # Listed apart so the policy reads who sends in production and who only redrives.
                statements.append({"Sid": "AllowRedrive", "Effect": "Allow", "Principal": {"AWS": redrivers},
                                   "Action": REDRIVE_DESTINATION_ACTIONS, "Resource": args.queue_arn})
                allowed_principals = producers
            else:
                allowed_principals = principals
            statements.append({"Sid": f"Allow{sid}", "Effect": "Allow", "Principal": {"AWS": allowed_principals},
                               "Action": allowed, "Resource": args.queue_arn})
            # Same-account identity policies would otherwise grant these actions on their own.
            statements.append({"Sid": f"DenyOtherThan{sid}", "Effect": "Deny", "Principal": "*",
                               "Action": denied, "Resource": args.queue_arn,
                               "Condition": {"ArnNotEquals": {"aws:PrincipalArn": principals}}})
        aws.sqs.QueuePolicy(f"{name}-policy", queue_url=args.queue_url, policy=iam.document(*statements),
                            opts=pulumi.ResourceOptions(parent=self))
        redrive = aws.iam.Policy(
            f"{name}-redrive", name=f"{args.name_prefix}-ticket-events-redrive",
            description="Move ticket events back from the dead-letter queue (attach to a role in "
                        "tiketi:queue.redriveRoleArns)",
            policy=iam.document(iam.allow(REDRIVE_SOURCE_ACTIONS, args.dlq_arn, sid="MoveFromTheDeadLetterQueue"),
                                iam.allow(REDRIVE_DESTINATION_ACTIONS, args.queue_arn, sid="SendBackToTheQueue")),
            # A fixed name (operators attach it by name): a replacement (name, path or description change,
            # tools/harness/review/replacements.py) deletes the old policy first. IAM refuses to delete one
            # still attached (DeleteConflict), so detach it from the redrive roles before such a change.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True))
        self.redrive_policy_arn = redrive.arn
        self.register_outputs({"redrivePolicyArn": self.redrive_policy_arn})
