"""Queue: the ticket-events SQS FIFO queue, its dead-letter queue and their alarms (spec 4.6).

``Queue`` owns both queues (server-side encrypted, long polling, high-throughput FIFO
settings), the redrive policy (after ``maxReceiveCount`` receives a message moves to the
DLQ, kept 14 days), the DLQ's redrive-allow policy (only this queue may use it) and the
alarms on DLQ depth and on the age of the oldest message.

Both queues are ``protect``ed by config (messages in flight are data) and keep their names; a
replacement deletes first (``delete_before_replace``), which ``protect`` stops in prod.

Who may use the queue is QueueAccess's (components/async_/queue_access.py): it names roles
that exist only after the Workloads and the Worker.

Deduplication: content-based deduplication is off by default. With it on, SQS silently
merges identical bodies sent within 5 minutes, so producers must then put a unique id in
every message; with it off they must send a ``MessageDeduplicationId``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.config.async_ import QueueSettings
from components.observability.alarms import metric_alarm

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
