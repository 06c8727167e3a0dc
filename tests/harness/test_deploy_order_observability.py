"""tools/harness/deploy_order/observability.py: each rule holds on the real stacks and fails on a synthetic one
where the wait it demands is cut."""

from __future__ import annotations

import dataclasses

import pytest

from tests.program.test_invariants import registration, synthetic
from tools.harness.deploy_order import ALL_RULES, check_rules
from tools.harness.deploy_order.observability import OBSERVABILITY_AWS_RULES, OBSERVABILITY_KUBERNETES_RULES
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot

RULES = {rule.name: rule for rule in OBSERVABILITY_AWS_RULES + OBSERVABILITY_KUBERNETES_RULES}


def test_the_rules_are_part_of_the_checked_set():
    assert set(RULES) <= {rule.name for rule in ALL_RULES}
    assert all(rule.source and rule.why for rule in RULES.values())


def test_every_observability_rule_holds_on_the_real_stacks(aws_stack):
    assert check_rules(aws_stack, RULES.values()) == []


def cut(snap: Snapshot, subject: Registration, targets: list[Registration]) -> Snapshot:
    """``snap`` with every direct edge from ``subject`` to ``targets`` removed (as if depends_on were dropped)."""
    drop = {t.urn for t in targets}
    changed = dataclasses.replace(
        subject, all_dependencies=tuple(u for u in subject.all_dependencies if u not in drop),
        dependencies={k: tuple(u for u in v if u not in drop) for k, v in subject.dependencies.items()})
    registrations = [changed if r.urn == subject.urn else r for r in snap.registrations]
    return Snapshot(dataclasses.replace(snap.run, registrations=registrations))


def violations(snap: Snapshot, rule: str) -> list[str]:
    return check_rules(snap, [RULES[rule]])


def test_the_addon_must_wait_for_its_log_groups_role_policy_and_nodes(prod):
    addon = prod.one("aws:eks/addon:Addon", addonName="amazon-cloudwatch-observability")
    groups = [g for g in prod.all("aws:cloudwatch/logGroup:LogGroup")
              if g.inputs["name"].startswith("/aws/containerinsights/")]
    problems = violations(cut(prod, addon, groups), "container-insights-log-groups-first")
    assert sorted(p.split(" does not wait for LogGroup ")[1].split(":")[0] for p in problems) == [
        f"cluster-telemetry-{kind}" for kind in ("application", "dataplane", "host", "performance", "prometheus")]
    attachment = prod.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                          policyArn="arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy")
    assert violations(cut(prod, addon, [attachment]), "cloudwatch-addon-after-its-role-policy") == [
        f"[cloudwatch-addon-after-its-role-policy] Addon {addon.name} does not wait for RolePolicyAttachment "
        f"{attachment.name}: {RULES['cloudwatch-addon-after-its-role-policy'].why} "
        f"({RULES['cloudwatch-addon-after-its-role-policy'].source})"]
    nodes = prod.one("aws:eks/nodeGroup:NodeGroup")
    assert len(violations(cut(prod, addon, [nodes]), "cloudwatch-addon-after-nodes")) == 1


def test_rds_must_wait_for_its_log_groups_and_monitoring_role_policy(prod):
    instance = prod.one("aws:rds/instance:Instance")
    upgrade = prod.one("aws:cloudwatch/logGroup:LogGroup", name="/aws/rds/instance/tiketi-prod-postgres/upgrade")
    [problem] = violations(cut(prod, instance, [upgrade]), "rds-log-groups-first")
    assert "does not wait for LogGroup database-upgrade-logs" in problem
    attachment = prod.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                          policyArn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
    [problem] = violations(cut(prod, instance, [attachment]), "rds-monitoring-role-policy-first")
    assert "does not wait for RolePolicyAttachment database-monitoring" in problem


def test_collector_pods_must_wait_for_their_irsa_service_accounts(prod):
    deployment = prod.one("kubernetes:apps/v1:Deployment", metadata={"name": "adot-collector"})
    account = prod.one("kubernetes:core/v1:ServiceAccount", metadata={"name": "adot-collector"})
    [problem] = violations(cut(prod, deployment, [account]), "irsa-pods-after-their-service-account")
    assert problem.startswith("[irsa-pods-after-their-service-account] Deployment collector-adot-collector does not "
                              "wait for ServiceAccount collector-adot-collector")


TOPIC_ARN = "arn:aws:sns:ap-northeast-2:123456789012:tiketi-prod-alerts"
FUNCTION_ARN = "arn:aws:lambda:ap-northeast-2:123456789012:function:forwarder"


@pytest.mark.parametrize("waits", [False, True])
def test_a_lambda_subscription_must_wait_for_the_invoke_permission(waits):
    function = dataclasses.replace(registration("forwarder", "aws:lambda/function:Function", inputs={
        "name": "forwarder"}), outputs={"arn": FUNCTION_ARN})
    permission = registration("permission", "aws:lambda/permission:Permission", inputs={
        "function": "forwarder", "sourceArn": TOPIC_ARN, "principal": "sns.amazonaws.com"})
    subscription = registration("subscription", "aws:sns/topicSubscription:TopicSubscription", inputs={
        "protocol": "lambda", "topic": TOPIC_ARN, "endpoint": FUNCTION_ARN})
    if waits:
        subscription = dataclasses.replace(subscription, all_dependencies=(permission.urn,))
    problems = check_rules(synthetic(function, permission, subscription),
                           [RULES["sns-lambda-subscription-after-permission"]])
    assert problems == ([] if waits else [
        "[sns-lambda-subscription-after-permission] TopicSubscription subscription does not wait for Permission "
        f"permission: {RULES['sns-lambda-subscription-after-permission'].why} "
        f"({RULES['sns-lambda-subscription-after-permission'].source})"])
