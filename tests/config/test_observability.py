"""components/config/observability.py: tiketi:alerts and tiketi:observability."""

from __future__ import annotations

import pytest

from components.config.observability import EDGE_LOG_REGIONS, AlertsSettings
from tests.support.config import aws_config, parse, parse_aws, problem_with, problems_of

WEBHOOK = "https://discord.com/api/webhooks/123456789012345678/AbC-dEf_123"


def test_alert_emails_default_to_none_which_only_an_unwatched_stack_may_keep():
    assert AlertsSettings.model_fields["emails"].default == []
    assert AlertsSettings.model_fields["require_subscribers"].default is True
    assert parse_aws().alerts.discord_webhook_url is None


def test_alert_emails_must_be_addresses():  # AlertsSettings._emails
    assert problems_of(aws_config(**{"tiketi:alerts": {"emails": ["oncall@tiketi.example", "nobody"]}})) == [
        'tiketi:alerts.emails: ["oncall@tiketi.example", "nobody"] has entry [1], which is not an email address']


def test_a_chat_webhook_must_be_discords_and_its_value_stays_hidden():  # AlertsSettings._webhook
    assert parse_aws(**{"tiketi:alerts": {"discordWebhookUrl": WEBHOOK}}).alerts.discord_webhook_url == WEBHOOK
    slack = "https://hooks.slack.com/services/T000/B000/XXXX"
    [problem] = problems_of(aws_config(**{"tiketi:alerts": {"discordWebhookUrl": slack}}),
                            secret_keys=("tiketi:alerts",))
    assert problem.startswith("tiketi:alerts.discordWebhookUrl: ")
    assert "is not a Discord webhook URL" in problem and "AWS Chatbot" in problem
    assert slack not in problem  # the key is secret: its value is never shown


def test_observability_defaults():
    settings = parse_aws().observability
    assert (settings.cloudwatch_addon_version, settings.adot_collector_version, settings.trace_sampling_probability,
            settings.container_log_retention_days, settings.edge_log_retention_days,
            settings.cloudfront_additional_metrics) == ("v4.10.3-eksbuild.1", "v0.49.0", 0.1, 30, 30, True)
    assert settings.edge_log_regions == EDGE_LOG_REGIONS and "ap-northeast-2" in EDGE_LOG_REGIONS
    alarms = settings.alarms
    assert (alarms.alb_5xx_percent, alarms.alb_p95_latency_seconds, alarms.cloudfront_5xx_percent,
            alarms.edge_function_errors, alarms.waf_blocked_requests, alarms.proxy_connections_percent,
            alarms.redis_replication_lag_seconds) == (5, 1.5, 5, 10, 1000, 80, 5)


def test_staging_traces_every_request_and_prod_one_in_ten():
    assert parse("staging").observability.trace_sampling_probability == 1.0
    assert parse("prod").observability.trace_sampling_probability == 0.1


@pytest.mark.parametrize("version", ["4.10.3", "v4.10.3", "latest"])
def test_addon_version_must_be_a_pinned_eks_build(version):  # ObservabilitySettings._addon_version
    assert problem_with("observability", cloudwatchAddonVersion=version) == (
        f'tiketi:observability.cloudwatchAddonVersion: "{version}" is not an EKS add-on version; expected '
        "v<major>.<minor>.<patch>-eksbuild.<n>, e.g. v4.10.3-eksbuild.1")


def test_collector_tag_must_be_a_release():  # ObservabilitySettings._collector_tag
    assert problem_with("observability", adotCollectorVersion="latest") == (
        'tiketi:observability.adotCollectorVersion: "latest" is not a pinned collector release; expected '
        "v<major>.<minor>.<patch>, e.g. v0.49.0")


def test_edge_log_regions_must_be_distinct_regions():  # ObservabilitySettings._regions
    assert problem_with("observability", edgeLogRegions=["us-east-1", "Seoul"]) == (
        'tiketi:observability.edgeLogRegions: ["us-east-1", "Seoul"] has entry [1], which is not an AWS region name '
        "(e.g. ap-northeast-2)")
    assert problem_with("observability", edgeLogRegions=["us-east-1", "us-east-1"]).endswith("lists us-east-1 twice")


@pytest.mark.parametrize("key,value", [("traceSamplingProbability", 1.5), ("containerLogRetentionDays", 8)])
def test_out_of_range_values_name_the_key(key, value):
    assert problem_with("observability", **{key: value}).startswith(f"tiketi:observability.{key}: {value}")


def test_observability_is_only_for_aws_stacks():
    from tests.support.config import KIND
    assert problems_of({**KIND, "tiketi:observability": "{}"}, "local") == [
        "tiketi:observability: is only for tiketi:platform aws, not kind; remove it"]


def test_an_empty_subscriber_list_is_refused_by_default():  # AlertsSettings._someone_listens
    assert problems_of(aws_config(**{"tiketi:alerts": {"emails": []}})) == [
        "tiketi:alerts.emails: [] is empty and there is no discordWebhookUrl, so every alarm of this stack would "
        "notify no one; list at least one on-call address (or set tiketi:alerts.requireSubscribers: false for a "
        "stack nobody watches)"]
    assert problems_of(aws_config(**{"tiketi:alerts": "null"})) == problems_of(
        aws_config(**{"tiketi:alerts": {"emails": []}}))


def test_a_stack_nobody_watches_says_so_explicitly():
    alerts = parse_aws(**{"tiketi:alerts": {"requireSubscribers": False}}).alerts
    assert (alerts.emails, alerts.require_subscribers) == ([], False)


def test_both_aws_stacks_name_a_subscriber():
    # Placeholders make preview/up refuse until the team's addresses replace them.
    assert parse("prod").alerts.emails == ["oncall@tiketi.example.com"]
    assert parse("staging").alerts.emails == ["platform-alerts@tiketi.example.com"]


def test_a_discord_webhook_alone_is_someone_listening():
    alerts = parse_aws(**{"tiketi:alerts": {"discordWebhookUrl": WEBHOOK}}).alerts
    assert (alerts.emails, alerts.discord_webhook_url) == ([], WEBHOOK)
