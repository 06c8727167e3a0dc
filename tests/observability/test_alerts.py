"""Alerts (a topic per alarm region, subscriptions, the Discord forwarder), EdgeLogs, and the database's
Enhanced Monitoring and upgrade log group."""

from __future__ import annotations

import json

import pytest

from components.config.observability import EDGE_LOG_REGIONS
from tests.conftest import ALERT_SUBSCRIBERS
from tools.harness.fake_cloud import ACCOUNT_ID
from tools.harness.snapshot import Snapshot, is_secret, unwrap

WEBHOOK, EMAILS = ALERT_SUBSCRIBERS["discordWebhookUrl"], ALERT_SUBSCRIBERS["emails"]
TAGS = {"Project": "Tiketi", "Environment": "staging", "ManagedBy": "Pulumi"}


@pytest.fixture(scope="module")
def with_subscribers(staging_without_proxy_or_waf) -> Snapshot:
    """Staging with on-call emails and a Discord webhook (the committed stacks have neither)."""
    return staging_without_proxy_or_waf


def topics(snap: Snapshot) -> dict[str, object]:
    return {t.outputs["arn"].split(":")[3]: t for t in snap.all("aws:sns/topic:Topic")}


def test_with_cloudfront_there_is_a_second_topic_in_us_east_1_with_its_own_key(aws_stack):
    found = topics(aws_stack)
    assert sorted(found) == ["ap-northeast-2", "us-east-1"]
    edge = found["us-east-1"]
    [provider] = [p for p in aws_stack.providers("aws") if edge.provider.startswith(p.urn)]
    assert provider.inputs["region"] == "us-east-1"
    assert json.loads(provider.inputs["defaultTags"]) == {"tags": {**TAGS, "Environment": aws_stack.stack}}
    key = next(k for k in aws_stack.all("aws:kms/key:Key") if k.outputs["arn"] == edge.inputs["kmsMasterKeyId"])
    assert key.outputs["arn"].split(":")[3] == "us-east-1" and key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["CloudWatchAlarmsEncrypt"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    policy = aws_stack.one("aws:sns/topicPolicy:TopicPolicy", arn=edge.outputs["arn"])
    publish = json.loads(policy.inputs["policy"])["Statement"][0]
    assert (publish["Principal"], publish["Action"], publish["Resource"]) == (
        {"Service": "cloudwatch.amazonaws.com"}, "sns:Publish", edge.outputs["arn"])
    assert aws_stack.outputs["edgeAlertTopicArn"] == edge.outputs["arn"]


def test_every_email_is_subscribed_to_both_topics(with_subscribers):
    snap = with_subscribers
    arns = {region: t.outputs["arn"] for region, t in topics(snap).items()}
    emails = snap.all("aws:sns/topicSubscription:TopicSubscription", protocol="email")
    assert sorted((s.inputs["topic"], s.inputs["endpoint"]) for s in emails) == sorted(
        (arn, email) for arn in arns.values() for email in EMAILS)
    assert len(snap.outputs["alertSubscriptionsPending"]) == 4


def test_the_discord_forwarder_is_subscribed_to_both_topics_with_its_own_permission(with_subscribers):
    snap = with_subscribers
    [function] = snap.all("aws:lambda/function:Function", name="tiketi-staging-alert-forwarder")
    assert (function.inputs["runtime"], function.inputs["architectures"], function.inputs["handler"]) == (
        "python3.13", ["arm64"], "handler.handler")
    env = function.inputs["environment"]
    assert is_secret(env) and unwrap(env)["variables"] == {"DISCORD_WEBHOOK_URL": WEBHOOK}
    subscriptions = snap.all("aws:sns/topicSubscription:TopicSubscription", protocol="lambda")
    assert sorted(s.inputs["topic"] for s in subscriptions) == sorted(t.outputs["arn"] for t in topics(snap).values())
    assert all(s.inputs["endpoint"] == function.outputs["arn"] for s in subscriptions)
    permissions = snap.all("aws:lambda/permission:Permission", function=function.inputs["name"])
    assert sorted((p.inputs["principal"], p.inputs["sourceArn"], p.inputs["action"]) for p in permissions) == sorted(
        ("sns.amazonaws.com", t.outputs["arn"], "lambda:InvokeFunction") for t in topics(snap).values())
    # The us-east-1 subscription is created in the topic's region (SNS cross-region delivery rule).
    edge_subscription = next(s for s in subscriptions if ":us-east-1:" in s.inputs["topic"])
    assert edge_subscription.provider and "us-east-1" in edge_subscription.provider


def test_the_forwarder_may_only_write_its_own_logs(with_subscribers):
    snap = with_subscribers
    role = snap.one("aws:iam/role:Role", description=lambda d: d.startswith("alert forwarder"))
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}
    [policy] = snap.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    group = snap.one("aws:cloudwatch/logGroup:LogGroup", name="/aws/lambda/tiketi-staging-alert-forwarder")
    assert json.loads(policy.inputs["policy"])["Statement"] == [{
        "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": group.outputs["arn"] + ":*", "Sid": "WriteOwnLogs"}]
    assert snap.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment", role=role.outputs["name"]) == []
    assert group.inputs["retentionInDays"] == 14


def test_the_committed_stacks_have_no_forwarder(aws_stack):
    assert aws_stack.all("aws:lambda/function:Function", name=f"tiketi-{aws_stack.stack}-alert-forwarder") == []


# --- Lambda@Edge log groups ----------------------------------------------------------------------


def test_edge_function_log_groups_exist_with_retention_in_every_listed_region(aws_stack):
    # The edge function is auto-named (a replacement must not collide with the retained old one).
    [function] = [f for f in aws_stack.all("aws:lambda/function:Function") if f.name == "cdn-edge"]
    groups = [g for g in aws_stack.all("aws:cloudwatch/logGroup:LogGroup")
              if g.inputs["name"] == f"/aws/lambda/us-east-1.{function.outputs['name']}"]
    regions = {}
    for group in groups:
        [provider] = [p for p in aws_stack.providers("aws") if group.provider.startswith(p.urn)]
        assert json.loads(provider.inputs["defaultTags"]) == {"tags": {**TAGS, "Environment": aws_stack.stack}}
        regions[provider.inputs["region"]] = group.inputs["retentionInDays"]
    assert regions == dict.fromkeys(EDGE_LOG_REGIONS, {"staging": 14, "prod": 30}[aws_stack.stack])


# --- RDS: upgrade log group, Enhanced Monitoring --------------------------------------------------


def test_rds_exports_into_log_groups_with_retention_it_waits_for(aws_stack):
    instance = aws_stack.one("aws:rds/instance:Instance")
    identifier = instance.inputs["identifier"]
    retention = {"staging": 14, "prod": 90}[aws_stack.stack]
    for kind in ("postgresql", "upgrade"):
        group = aws_stack.one("aws:cloudwatch/logGroup:LogGroup", name=f"/aws/rds/instance/{identifier}/{kind}")
        assert group.inputs["retentionInDays"] == retention
        assert group.urn in instance.all_dependencies
    assert instance.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]


def test_rds_enhanced_monitoring_every_minute_through_its_own_role(aws_stack):
    instance = aws_stack.one("aws:rds/instance:Instance")
    assert instance.inputs["monitoringInterval"] == 60
    role = next(r for r in aws_stack.all("aws:iam/role:Role") if r.outputs["arn"] == instance.inputs[
        "monitoringRoleArn"])
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement == {"Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                         "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount":
                                                                                    ACCOUNT_ID}}}
    [attachment] = aws_stack.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment", role=role.outputs["name"])
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    assert attachment.urn in instance.all_dependencies
