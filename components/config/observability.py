"""``tiketi:alerts`` and ``tiketi:observability``: who hears about alarms, and what the AWS stacks watch.

``tiketi:alerts`` holds the people (email subscribers, an optional Discord webhook). The
webhook URL carries its token, so a stack sets it with ``pulumi config set --secret``; a
``secure:`` value marks its whole top-level key secret, which is why it lives here and not
in ``tiketi:observability``, whose thresholds should stay readable in error messages.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from components.config.base import KeyProblemError, RetentionDays, Section, VersionString, allowed

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
_IMAGE_TAG = re.compile(r"^v\d+\.\d+\.\d+$")
# Discord's incoming-webhook URLs (discord.com or the older discordapp.com).
_DISCORD_WEBHOOK = re.compile(r"^https://(discord|discordapp)\.com/api/webhooks/\d+/[\w-]+$")
# Regions with CloudFront Regional Edge Caches, where Lambda@Edge replicas run and write their
# logs. AWS does not publish the list; this is Gruntwork's (lambda-edge-log-group module, 2022):
# https://docs.gruntwork.io/reference/modules/terraform-aws-lambda/lambda-edge-log-group/
EDGE_LOG_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
                    "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "eu-central-1", "eu-west-1", "eu-west-2",
                    "sa-east-1"]


class AlertsSettings(Section):
    """``tiketi:alerts``: who hears about alarms (the stack's SNS topics)."""

    emails: list[str] = Field(default=[], description="SNS email subscribers; each must confirm the subscription "
                                                      "(twice with CloudFront: the us-east-1 topic has its own)",
                              json_schema_extra=allowed("list of email addresses"))
    discord_webhook_url: str | None = Field(
        default=None, description="Discord channel webhook that a forwarder Lambda posts every alarm and recovery "
                                  "to; set it with `pulumi config set --secret`",
        json_schema_extra=allowed("`https://discord.com/api/webhooks/<id>/<token>`, a secret"))
    require_subscribers: bool = Field(
        default=True, description="refuse a stack whose alarms reach no one (no email and no Discord webhook); only "
                                  "a stack nobody watches turns this off")

    @field_validator("emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for index, email in enumerate(emails):
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise ValueError(f"has entry [{index}], which is not an email address")
        return emails

    @model_validator(mode="after")
    def _someone_listens(self) -> AlertsSettings:
        if self.require_subscribers and not self.emails and self.discord_webhook_url is None:
            raise KeyProblemError(
                "tiketi:alerts.emails", self.emails,
                "is empty and there is no discordWebhookUrl, so every alarm of this stack would notify no one; "
                "list at least one on-call address (or set tiketi:alerts.requireSubscribers: false for a stack "
                "nobody watches)",
            )
        return self

    @field_validator("discord_webhook_url")
    @classmethod
    def _webhook(cls, url: str | None) -> str | None:
        # SNS cannot post to a chat webhook itself (it would never confirm the subscription), so the
        # forwarder does; a Slack or other URL would receive a Discord payload it cannot read.
        if url is not None and not _DISCORD_WEBHOOK.match(url):
            raise ValueError("is not a Discord webhook URL; expected https://discord.com/api/webhooks/<id>/<token> "
                             "(for Slack, connect AWS Chatbot to the alert topics: docs/operations.md)")
        return url


class AlarmThresholds(Section):
    """``tiketi:observability.alarms``: thresholds of the alarms on what users feel."""

    alb_5xx_percent: float = Field(default=5, gt=0, le=100,
                                   description="ALB 5xx responses (target and load balancer) as % of requests, "
                                               "2 of 3 minutes")
    alb_p95_latency_seconds: float = Field(default=1.5, gt=0, le=60,
                                           description="gateway target p95 response time, 3 of 5 minutes")
    cloudfront_5xx_percent: float = Field(default=5, gt=0, le=100,
                                          description="CloudFront 5xx error rate, 2 of 3 minutes")
    edge_function_errors: int = Field(default=10, ge=0,
                                      description="Lambda@Edge execution, validation and limit errors in 5 minutes")
    waf_blocked_requests: int = Field(default=1000, ge=1,
                                      description="requests the web ACL blocks in 5 minutes (an attack or a "
                                                  "rule that blocks real users)")
    proxy_connections_percent: float = Field(
        default=80, gt=0, le=100,
        description="RDS Proxy database connections as % of the most it may open, 3 of 5 minutes")
    redis_replication_lag_seconds: float = Field(default=5, gt=0,
                                                 description="a Redis replica's lag behind the primary, 3 of 5 "
                                                             "minutes")
    pod_restarts: int = Field(default=5, ge=1, description="container restarts in the workloads namespace in 5 "
                                                           "minutes (crash loops, OOM kills)")


class ObservabilitySettings(Section):
    """``tiketi:observability``: logs, traces, metrics, the dashboard and the user-facing alarms (staging, prod)."""

    cloudwatch_addon_version: str = Field(
        default="v4.10.3-eksbuild.1",
        description="`amazon-cloudwatch-observability` EKS add-on (Container Insights, Fluent Bit); check "
                    "`aws eks describe-addon-versions --addon-name amazon-cloudwatch-observability "
                    "--kubernetes-version <cluster version>` before changing it",
        json_schema_extra=allowed("`v<major>.<minor>.<patch>-eksbuild.<n>`"))
    adot_collector_version: VersionString = Field(
        default="v0.49.0", description="AWS Distro for OpenTelemetry collector image tag (traces and app metrics)",
        json_schema_extra=allowed("`v<major>.<minor>.<patch>` (public.ecr.aws/aws-observability/aws-otel-collector)"))
    trace_sampling_probability: float = Field(
        default=0.1, ge=0, le=1, description="share of requests the services trace "
                                             "(`MANAGEMENT_TRACING_SAMPLING_PROBABILITY`)")
    container_log_retention_days: RetentionDays = Field(
        default=30, description="Container Insights log groups (application, dataplane, host, performance, prometheus)")
    edge_log_regions: list[str] = Field(
        default=EDGE_LOG_REGIONS,
        description="regions where Lambda@Edge replicas may run; each gets the edge function's log group with "
                    "retention (elsewhere the replica creates one that never expires)",
        json_schema_extra=allowed("distinct AWS region names"))
    edge_log_retention_days: RetentionDays = Field(default=30, description="Lambda@Edge log groups")
    cloudfront_additional_metrics: bool = Field(
        default=True, description="CloudFront additional metrics (origin latency, per-code error rates, cache hit "
                                  "rate); billed per distribution")
    alarms: AlarmThresholds = Field(default=AlarmThresholds(), description="alarm thresholds")

    @field_validator("cloudwatch_addon_version")
    @classmethod
    def _addon_version(cls, version: str) -> str:
        if not _ADDON_VERSION.match(version):
            raise ValueError("is not an EKS add-on version; expected v<major>.<minor>.<patch>-eksbuild.<n>, "
                             "e.g. v4.10.3-eksbuild.1")
        return version

    @field_validator("adot_collector_version")
    @classmethod
    def _collector_tag(cls, tag: str) -> str:
        if not _IMAGE_TAG.match(tag):
            raise ValueError("is not a pinned collector release; expected v<major>.<minor>.<patch>, e.g. v0.49.0")
        return tag

    @field_validator("edge_log_regions")
    @classmethod
    def _regions(cls, regions: list[str]) -> list[str]:
        for index, region in enumerate(regions):
            if not _REGION.match(region):
                raise ValueError(f"has entry [{index}], which is not an AWS region name (e.g. ap-northeast-2)")
            if region in regions[:index]:
                raise ValueError(f"lists {region} twice")
        return regions
