"""Alerts: the SNS topics every CloudWatch alarm notifies, and who hears them.

Owns, per region that has alarms, a topic, the customer-managed KMS key that encrypts it,
the topic policy and the email subscriptions from ``tiketi:alerts.emails``: one in the
stack's region, and with CloudFront a second in us-east-1 (an explicit provider carrying the
stack's default tags), because CloudFront, WAF and Lambda@Edge publish their metrics there
and an alarm's action must be a topic in the alarm's own region. With
``tiketi:alerts.discordWebhookUrl`` it also owns the forwarder Lambda
(``lambdas/alert_forwarder/``) subscribed to every topic, its log group and role. The
alarms themselves belong to the components whose resources they watch
(components/observability/alarms.py gives them one shape).

Why a customer-managed key: CloudWatch cannot publish to a topic encrypted with the AWS
managed ``alias/aws/sns`` key, whose policy cannot be changed to let CloudWatch use it.
Why a forwarder: SNS cannot post to a chat webhook itself (it sends a SubscriptionConfirmation
no webhook answers, and its envelope is not a Discord message). SNS delivers across regions
to Lambda (https://docs.aws.amazon.com/sns/latest/dg/sns-cross-region-delivery.html), so one
function in the stack's region serves both topics; the us-east-1 subscription is created there.

Email subscriptions are keyed by the address itself (``alerts-email-<address>``), so removing
one address never re-creates the others. The keys are ``protect``ed by config (messages a
topic holds in flight are encrypted with them); topics and the forwarder keep their names and
are deleted before a replacement is created; the forwarder's package names its file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.lambda_code import code_archive
from components.security import iam

EDGE_REGION = "us-east-1"
FORWARDER_CODE_FILES = ("handler.py",)  # lambdas/alert_forwarder/: stdlib only
FORWARDER_RUNTIME = "python3.13"


@dataclass(frozen=True)
class AlertsArgs:
    name_prefix: str
    emails: Sequence[str] = field(default_factory=tuple)
    # A second topic in us-east-1 for the alarms on CloudFront, WAF and Lambda@Edge metrics.
    edge_topic: bool = False
    default_tags: Mapping[str, str] = field(default_factory=dict)
    discord_webhook_url: pulumi.Input[str] | None = None
    log_retention_days: int = 30
    protect: bool = True  # tiketi:protection.stateful: the topics' KMS keys


class Alerts(Component):
    TYPE = "tiketi:observability:Alerts"
    topic_arn: pulumi.Output[str]
    edge_topic_arn: pulumi.Output[str] | None
    edge_provider: aws.Provider | None
    subscriptions: dict[str, pulumi.Output[bool]]

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        self.subscriptions = {}
        topics = {"": self._topic(name, None)}
        self.edge_provider = None
        if args.edge_topic:
            self.edge_provider = aws.Provider(
                f"{name}-{EDGE_REGION}", region=EDGE_REGION,
                default_tags=aws.ProviderDefaultTagsArgs(tags=dict(args.default_tags)), opts=self._child())
            topics[EDGE_REGION] = self._topic(f"{name}-{EDGE_REGION}", self.edge_provider)
        if args.discord_webhook_url is not None:
            self._build_forwarder(topics)

        self.topic_arn = topics[""].arn
        self.edge_topic_arn = topics[EDGE_REGION].arn if args.edge_topic else None
        self.register_outputs({"topicArn": self.topic_arn, "edgeTopicArn": self.edge_topic_arn})

    def _topic(self, name: str, provider: aws.Provider | None) -> aws.sns.Topic:
        args = self._args
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)).account_id
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
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.protect)),
        )
        aws.kms.Alias(f"{name}-key", name=f"alias/{args.name_prefix}-alerts", target_key_id=key.key_id, opts=child)
        topic = aws.sns.Topic(f"{name}-topic", name=f"{args.name_prefix}-alerts", kms_master_key_id=key.arn,
                              opts=pulumi.ResourceOptions.merge(
                                  child, pulumi.ResourceOptions(delete_before_replace=True)))
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
        for email in args.emails:
            key_name = f"{name}-email-{subscription_key(email)}"
            subscription = aws.sns.TopicSubscription(key_name, topic=topic.arn, protocol="email", endpoint=email,
                                                     opts=child)
            # Unconfirmed email subscriptions cannot be deleted by the provider: worth watching after a deploy.
            self.subscriptions[key_name] = subscription.pending_confirmation
        return topic

    def _build_forwarder(self, topics: dict[str, aws.sns.Topic]) -> None:
        name, args = self._name, self._args
        function_name = f"{args.name_prefix}-alert-forwarder"
        log_group = aws.cloudwatch.LogGroup(f"{name}-forwarder", name=f"/aws/lambda/{function_name}",
                                            retention_in_days=args.log_retention_days, opts=self._child())
        role = aws.iam.Role(f"{name}-forwarder", assume_role_policy=iam.trust("lambda.amazonaws.com"),
                            description="alert forwarder: write its own logs, nothing else", opts=self._child())
        # Its own log group only: the forwarder calls no AWS API.
        logs = aws.iam.RolePolicy(
            f"{name}-forwarder-logs", role=role.id,
            policy=iam.document(iam.allow(["logs:CreateLogStream", "logs:PutLogEvents"],
                                          pulumi.Output.concat(log_group.arn, ":*"), sid="WriteOwnLogs")),
            opts=self._child())
        function = aws.lambda_.Function(
            f"{name}-forwarder",
            name=function_name,
            description="Posts CloudWatch alarm notifications from the alert topics to Discord",
            runtime=FORWARDER_RUNTIME,
            architectures=["arm64"],
            handler="handler.handler",
            code=code_archive("alert_forwarder", FORWARDER_CODE_FILES),
            role=role.arn,
            timeout=15,
            memory_size=128,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={
                "DISCORD_WEBHOOK_URL": pulumi.Output.secret(args.discord_webhook_url)}),
            opts=self._child(depends_on=[log_group, logs], delete_before_replace=True),
        )
        for region, topic in topics.items():
            suffix = f"-{region}" if region else ""
            # SNS may invoke the function only for this topic (confused-deputy guard).
            permission = aws.lambda_.Permission(
                f"{name}-forwarder{suffix}", action="lambda:InvokeFunction", function=function.name,
                principal="sns.amazonaws.com", source_arn=topic.arn, opts=self._child())
            provider = self.edge_provider if region else None
            aws.sns.TopicSubscription(f"{name}-forwarder{suffix}", topic=topic.arn, protocol="lambda",
                                      endpoint=function.arn,
                                      opts=self._child(provider=provider, depends_on=[permission]))


def subscription_key(email: str) -> str:
    """A stable resource-name part for an address: ``Oncall@Tiketi.io`` -> ``oncall-at-tiketi-io``."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower().replace("@", "-at-")).strip("-")
