"""Alerts: the stack's one SNS topic that every CloudWatch alarm notifies.

Owns the topic, the customer-managed KMS key that encrypts it, the topic policy and the
email subscriptions from ``tiketi:alerts.emails``. The alarms themselves belong to the
components whose resources they watch (components/observability/alarms.py gives them one shape).

Why a customer-managed key: CloudWatch cannot publish to a topic encrypted with the AWS
managed ``alias/aws/sns`` key, whose policy cannot be changed to let CloudWatch use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.security import iam


@dataclass(frozen=True)
class AlertsArgs:
    name_prefix: str
    emails: Sequence[str] = field(default_factory=tuple)


class Alerts(Component):
    TYPE = "tiketi:observability:Alerts"
    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.name_prefix} alert topic encryption (CloudWatch alarms may use it)",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=iam.key_policy(
                account_id,
                {
                    "Sid": "CloudWatchAlarmsEncrypt",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
            ),
            opts=child,
        )
        aws.kms.Alias(f"{name}-key", name=f"alias/{args.name_prefix}-alerts", target_key_id=key.key_id, opts=child)
        topic = aws.sns.Topic(f"{name}-topic", name=f"{args.name_prefix}-alerts", kms_master_key_id=key.arn,
                              opts=child)
        aws.sns.TopicPolicy(
            f"{name}-topic",
            arn=topic.arn,
            policy=iam.document(
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic.arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": topic.arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ),
            opts=child,
        )
        for index, email in enumerate(args.emails):
            aws.sns.TopicSubscription(f"{name}-email-{index}", topic=topic.arn, protocol="email", endpoint=email,
                                      opts=child)

        self.topic_arn = topic.arn
        self.register_outputs({"topicArn": self.topic_arn})
