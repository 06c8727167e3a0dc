"""Create-time preconditions of the observability resources (issue 17), as deploy-order rules.

Imported into ``aws.py`` and ``kubernetes.py`` (``OBSERVABILITY_AWS_RULES``,
``OBSERVABILITY_KUBERNETES_RULES``); each rule cites where the check or the behaviour is
documented and has a synthetic failing case in tests/harness/test_deploy_order_observability.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from tools.harness.deploy_order import aws_refs as refs
from tools.harness.deploy_order.graph import OrderRule
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot, unwrap

ADDON = "aws:eks/addon:Addon"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _is_cloudwatch_addon(resource: Registration) -> bool:
    return resource.inputs.get("addonName") == "amazon-cloudwatch-observability"


def _container_insights_groups(snap: Snapshot, addon: Registration) -> Iterable[Registration]:
    if not _is_cloudwatch_addon(addon):
        return []
    return [g for g in snap.all(LOG_GROUP) if str(unwrap(g.inputs.get("name", ""))).startswith(
        "/aws/containerinsights/")]


def _addon_role_policies(snap: Snapshot, addon: Registration) -> list[Registration]:
    if not _is_cloudwatch_addon(addon) or "serviceAccountRoleArn" not in addon.inputs:
        return []
    return refs.role_policies(snap, addon.inputs["serviceAccountRoleArn"])


def _addon_nodes(snap: Snapshot, addon: Registration) -> list[Registration]:
    return snap.all("aws:eks/nodeGroup:NodeGroup") if _is_cloudwatch_addon(addon) else []


def _exported_log_groups(snap: Snapshot, instance: Registration) -> list[Registration]:
    identifier = instance.inputs.get("identifier")
    return refs.log_groups_named(snap, *(f"/aws/rds/instance/{identifier}/{kind}"
                                         for kind in instance.inputs.get("enabledCloudwatchLogsExports", [])))


def _monitoring_role_policies(snap: Snapshot, instance: Registration) -> list[Registration]:
    if not instance.inputs.get("monitoringInterval") or "monitoringRoleArn" not in instance.inputs:
        return []
    return refs.role_policies(snap, instance.inputs["monitoringRoleArn"])


def _lambda_permission(snap: Snapshot, subscription: Registration) -> list[Registration]:
    if subscription.inputs.get("protocol") != "lambda":
        return []
    functions = [f for f in snap.all("aws:lambda/function:Function")
                 if f.outputs.get("arn") == subscription.inputs.get("endpoint")]
    names = {f.inputs.get("name") for f in functions}
    return [p for p in snap.all("aws:lambda/permission:Permission")
            if p.inputs.get("function") in names and p.inputs.get("sourceArn") == subscription.inputs.get("topic")]


def _service_account(snap: Snapshot, deployment: Registration) -> list[Registration]:
    template = deployment.inputs.get("spec", {}).get("template", {})
    account = template.get("spec", {}).get("serviceAccountName")
    namespace = deployment.inputs.get("metadata", {}).get("namespace")
    return [a for a in snap.all("kubernetes:core/v1:ServiceAccount")
            if a.inputs.get("metadata", {}).get("name") == account
            and a.inputs.get("metadata", {}).get("namespace") == namespace
            and "eks.amazonaws.com/role-arn" in a.inputs.get("metadata", {}).get("annotations", {})]


OBSERVABILITY_AWS_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "container-insights-log-groups-first", (ADDON,), _container_insights_groups,
        why="Fluent Bit (auto_create_group) and the CloudWatch agent create a missing group with no retention, "
            "and a later CreateLogGroup by Pulumi fails with ResourceAlreadyExistsException",
        source="aws-observability/helm-charts amazon-cloudwatch-observability values.yaml (fluent-bit outputs); "
               "CloudWatch Logs CreateLogGroup API"),
    OrderRule(
        "cloudwatch-addon-after-its-role-policy", (ADDON,), _addon_role_policies,
        why="the agent and Fluent Bit start as soon as the add-on is created and fail their first PutMetricData "
            "and PutLogEvents without the policy on their IRSA role",
        source="Amazon CloudWatch User Guide, Install the CloudWatch Observability EKS add-on (IAM prerequisites)"),
    OrderRule(
        "cloudwatch-addon-after-nodes", (ADDON,), _addon_nodes,
        why="the add-on's agent DaemonSet and operator Deployment need nodes; created first it reports DEGRADED and "
            "Pulumi's create times out",
        source="Amazon EKS User Guide, Amazon EKS add-ons (add-on health, DEGRADED status)"),
    OrderRule(
        "rds-log-groups-first", ("aws:rds/instance:Instance",), _exported_log_groups,
        why="RDS creates /aws/rds/instance/<id>/<log type> itself when it first exports, with no retention",
        source="Amazon RDS User Guide, Publishing PostgreSQL logs to Amazon CloudWatch Logs"),
    OrderRule(
        "rds-monitoring-role-policy-first", ("aws:rds/instance:Instance",), _monitoring_role_policies,
        why="CreateDBInstance/ModifyDBInstance with MonitoringInterval > 0 fails when RDS cannot assume the "
            "monitoring role and use AmazonRDSEnhancedMonitoringRole",
        source="Amazon RDS User Guide, Setting up and enabling Enhanced Monitoring (USER_Monitoring.OS.Enabling)"),
    OrderRule(
        "sns-lambda-subscription-after-permission", ("aws:sns/topicSubscription:TopicSubscription",),
        _lambda_permission,
        why="SNS invokes the function from the first notification on; without the resource policy for that topic "
            "the invocation is refused and the notification is lost",
        source="Amazon SNS Developer Guide, Fanout to Lambda functions (add the lambda:InvokeFunction permission)"),
)

OBSERVABILITY_KUBERNETES_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "irsa-pods-after-their-service-account", ("kubernetes:apps/v1:Deployment",), _service_account,
        why="the EKS pod identity webhook injects the role's web identity token when a pod is admitted, reading the "
            "service account's role annotation then; a pod admitted before it runs without AWS credentials",
        source="aws/amazon-eks-pod-identity-webhook README (mutating webhook on pod creation)"),
)
