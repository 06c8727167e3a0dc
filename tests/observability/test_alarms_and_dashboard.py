"""UserAlarms and Dashboard: every alarm's metric, statistic, period, threshold and actions; every dashboard
dimension resolved against what the stack creates."""

from __future__ import annotations

import json

import pytest

from components.services import SERVICES
from tools.harness.mock_engine import Registration
from tools.harness.render import dashboard_body, write
from tools.harness.snapshot import Snapshot
from tools.ops import runbook

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FIRST_CHECK = " First check: "


def user_alarms(snap: Snapshot) -> dict[str, Registration]:
    return {a.name.removeprefix("user-alarms-"): a for a in snap.all(ALARM)
            if snap.component_of(a).type == "tiketi:observability:UserAlarms"}


def region_of(snap: Snapshot, alarm: Registration) -> str:
    return runbook._region(snap, alarm)


def single(alarm: Registration) -> tuple:
    i = alarm.inputs
    return (i["namespace"], i["metricName"], i.get("statistic") or i.get("extendedStatistic"), i["period"],
            i["comparisonOperator"], i["threshold"], i["evaluationPeriods"], i.get("datapointsToAlarm"),
            i["treatMissingData"])


def test_the_user_facing_alarms_by_value(prod):
    alarms = user_alarms(prod)
    assert sorted(alarms) == sorted([
        "alb-5xx-rate", "gateway-service-unhealthy", "frontend-unhealthy", "ticket-service-unhealthy",
        "alb-p95-latency", "proxy-saturation", "001-replication-lag", "002-replication-lag", "failed-nodes",
        "cloudfront-5xx-rate", "edge-function-errors", "waf-blocked"])
    alb = prod.one("aws:lb/loadBalancer:LoadBalancer", internal=False).outputs["arnSuffix"]
    gateway_tg = prod.one("aws:lb/targetGroup:TargetGroup", port=3001).outputs["arnSuffix"]
    distribution = prod.one("aws:cloudfront/distribution:Distribution").id
    assert single(alarms["alb-p95-latency"]) == (
        "AWS/ApplicationELB", "TargetResponseTime", "p95", 60, "GreaterThanThreshold", 1.5, 5, 3, "notBreaching")
    assert alarms["alb-p95-latency"].inputs["dimensions"] == {"TargetGroup": gateway_tg, "LoadBalancer": alb}
    assert single(alarms["gateway-service-unhealthy"]) == (
        "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", 60, "GreaterThanThreshold", 0, 3, None,
        "notBreaching")
    # The frontend's own target group (issue 16) on the public ALB.
    frontend_tg = prod.one("aws:lb/targetGroup:TargetGroup", port=3000).outputs["arnSuffix"]
    assert single(alarms["frontend-unhealthy"]) == single(alarms["gateway-service-unhealthy"])
    assert alarms["frontend-unhealthy"].inputs["dimensions"] == {"TargetGroup": frontend_tg, "LoadBalancer": alb}
    assert single(alarms["001-replication-lag"]) == (
        "AWS/ElastiCache", "ReplicationLag", "Maximum", 60, "GreaterThanThreshold", 5, 5, 3, "notBreaching")
    assert alarms["002-replication-lag"].inputs["dimensions"] == {"CacheClusterId": "tiketi-prod-redis-002"}
    assert single(alarms["failed-nodes"]) == (
        "ContainerInsights", "cluster_failed_node_count", "Maximum", 60, "GreaterThanThreshold", 0, 3, None,
        "notBreaching")
    assert single(alarms["cloudfront-5xx-rate"]) == (
        "AWS/CloudFront", "5xxErrorRate", "Average", 60, "GreaterThanThreshold", 5, 3, 2, "notBreaching")
    assert alarms["cloudfront-5xx-rate"].inputs["dimensions"] == {"DistributionId": distribution, "Region": "Global"}
    assert single(alarms["waf-blocked"]) == (
        "AWS/WAFV2", "BlockedRequests", "Sum", 300, "GreaterThanThreshold", 1000, 1, None, "notBreaching")
    assert alarms["waf-blocked"].inputs["dimensions"] == {"WebACL": "tiketi-prod-edge", "Rule": "ALL"}


def queries(alarm: Registration) -> tuple[str, dict]:
    returned = [q for q in alarm.inputs["metricQueries"] if q["returnData"]]
    assert len(returned) == 1 and "namespace" not in alarm.inputs and "statistic" not in alarm.inputs
    metrics = {q["id"]: (q["metric"]["namespace"], q["metric"]["metricName"], q["metric"]["stat"],
                         q["metric"]["period"], q["metric"]["dimensions"])
               for q in alarm.inputs["metricQueries"] if "metric" in q}
    return returned[0]["expression"], metrics


def test_rate_alarms_are_metric_math_on_the_real_dimensions(prod):
    alarms = user_alarms(prod)
    alb = {"LoadBalancer": prod.one("aws:lb/loadBalancer:LoadBalancer", internal=False).outputs["arnSuffix"]}
    expression, metrics = queries(alarms["alb-5xx-rate"])
    assert expression == "IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)"
    assert metrics == {"target5xx": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 60, alb),
                       "elb5xx": ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", 60, alb),
                       "requests": ("AWS/ApplicationELB", "RequestCount", "Sum", 60, alb)}
    assert (alarms["alb-5xx-rate"].inputs["threshold"], alarms["alb-5xx-rate"].inputs["datapointsToAlarm"]) == (5, 2)
    proxy = {"ProxyName": prod.one("aws:rds/proxy:Proxy").inputs["name"]}
    expression, metrics = queries(alarms["proxy-saturation"])
    assert expression == "100 * used / allowed"
    assert metrics == {"used": ("AWS/RDS", "DatabaseConnections", "Maximum", 60, proxy),
                       "allowed": ("AWS/RDS", "MaxDatabaseConnectionsAllowed", "Minimum", 60, proxy)}
    assert alarms["proxy-saturation"].inputs["threshold"] == 80
    expression, metrics = queries(alarms["edge-function-errors"])
    cf = {"DistributionId": prod.one("aws:cloudfront/distribution:Distribution").id, "Region": "Global"}
    assert expression == "FILL(execution, 0) + FILL(validation, 0) + FILL(limit, 0)"
    assert metrics == {"execution": ("AWS/CloudFront", "LambdaExecutionError", "Sum", 300, cf),
                       "validation": ("AWS/CloudFront", "LambdaValidationError", "Sum", 300, cf),
                       "limit": ("AWS/CloudFront", "LambdaLimitExceededErrors", "Sum", 300, cf)}


def test_every_alarm_notifies_a_topic_in_its_own_region_on_alarm_and_ok(aws_stack):
    topics = {t.outputs["arn"]: t.outputs["arn"].split(":")[3] for t in aws_stack.all("aws:sns/topic:Topic")}
    alarms = aws_stack.all(ALARM)
    assert len(alarms) >= 20
    for alarm in alarms:
        actions = alarm.inputs["alarmActions"]
        assert alarm.inputs["okActions"] == actions and len(actions) == 1, alarm.name
        # PutMetricAlarm: an SNS action must be in the alarm's region.
        assert topics[actions[0]] == region_of(aws_stack, alarm), alarm.name
    edge = [a.name for a in alarms if region_of(aws_stack, a) == "us-east-1"]
    assert sorted(edge) == ["user-alarms-cloudfront-5xx-rate", "user-alarms-edge-function-errors",
                            "user-alarms-waf-blocked"]


def test_every_alarm_says_what_it_means_and_what_to_check_first(aws_stack):
    for alarm in aws_stack.all(ALARM):
        meaning, _, first_check = alarm.inputs["alarmDescription"].partition(FIRST_CHECK)
        assert meaning and first_check, alarm.name


def test_staging_has_one_cache_node_so_no_replication_lag_alarm(staging):
    assert not [a for a in user_alarms(staging) if a.endswith("replication-lag")]


def test_cloudfront_additional_metrics_are_subscribed(aws_stack):
    subscription = aws_stack.one("aws:cloudfront/monitoringSubscription:MonitoringSubscription")
    assert subscription.inputs["distributionId"] == aws_stack.one("aws:cloudfront/distribution:Distribution").id
    assert subscription.inputs["monitoringSubscription"] == {
        "realtimeMetricsSubscriptionConfig": {"realtimeMetricsSubscriptionStatus": "Enabled"}}


# --- the dashboard --------------------------------------------------------------------------------


def dimension_values(snap: Snapshot) -> dict[str, set[str]]:
    """What each dimension may name: outputs and inputs of resources this stack registered."""
    def outputs(type_: str, key: str) -> set[str]:
        return {r.outputs[key] for r in snap.all(type_)}

    def inputs(type_: str, key: str) -> set[str]:
        return {r.inputs[key] for r in snap.all(type_) if key in r.inputs}

    acls = snap.all("aws:wafv2/webAcl:WebAcl")
    return {
        "DistributionId": {r.id for r in snap.all("aws:cloudfront/distribution:Distribution")},
        "Region": {"Global"},
        "WebACL": {a.inputs["visibilityConfig"]["metricName"] for a in acls},
        "Rule": {"ALL"} | {rule["visibilityConfig"]["metricName"] for a in acls for rule in a.inputs["rules"]},
        "LoadBalancer": outputs("aws:lb/loadBalancer:LoadBalancer", "arnSuffix"),
        "TargetGroup": outputs("aws:lb/targetGroup:TargetGroup", "arnSuffix"),
        "ClusterName": inputs("aws:eks/cluster:Cluster", "name"),
        "Namespace": {m["metadata"]["name"] for m in (r.inputs for r in snap.all("kubernetes:core/v1:Namespace"))},
        "Service": {r.inputs["metadata"]["name"] for r in snap.all("kubernetes:apps/v1:Deployment")
                    if r.inputs["metadata"].get("labels", {}).get("tier") == "backend"},
        "DBInstanceIdentifier": inputs("aws:rds/instance:Instance", "identifier"),
        "ProxyName": inputs("aws:rds/proxy:Proxy", "name"),
        "CacheClusterId": {node for r in snap.all("aws:elasticache/replicationGroup:ReplicationGroup")
                           for node in r.outputs["memberClusters"]},
        "QueueName": inputs("aws:sqs/queue:Queue", "name"),
        "FunctionName": inputs("aws:lambda/function:Function", "name"),
        "Cluster Name": inputs("aws:msk/cluster:Cluster", "clusterName"),
        "Broker ID": {str(b) for r in snap.all("aws:msk/cluster:Cluster")
                      for b in range(1, int(r.inputs["numberOfBrokerNodes"]) + 1)},
    }


def metric_rows(body: dict) -> list[tuple[str, list]]:
    rows = []
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            rows += [(widget["properties"]["region"], row) for row in widget["properties"]["metrics"]]
    return rows


def test_every_dashboard_dimension_names_a_resource_the_stack_creates(aws_stack):
    allowed = dimension_values(aws_stack)
    rows = metric_rows(dashboard_body(aws_stack))
    assert len(rows) > 40
    seen = set()
    for region, row in rows:
        fields = [f for f in row if not isinstance(f, dict)]
        namespace, _metric, dims = fields[0], fields[1], fields[2:]
        assert len(dims) % 2 == 0 and dims, row
        for name, value in zip(dims[::2], dims[1::2], strict=True):
            assert value in allowed[name], (name, value)
            seen.add(name)
        # CloudFront and WAF metrics exist only in us-east-1, everything else in the stack's region.
        assert region == ("us-east-1" if namespace in ("AWS/CloudFront", "AWS/WAFV2") else "ap-northeast-2"), row
    assert seen == set(allowed)  # and every kind of resource is on it


def test_the_dashboard_covers_every_row_the_issue_asks_for(prod):
    metrics = {(row[0], row[1]) for _, row in metric_rows(dashboard_body(prod))}
    for expected in [("AWS/CloudFront", "Requests"), ("AWS/CloudFront", "5xxErrorRate"),
                     ("AWS/WAFV2", "BlockedRequests"), ("AWS/CloudFront", "LambdaExecutionError"),
                     ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"), ("AWS/ApplicationELB", "TargetResponseTime"),
                     ("AWS/ApplicationELB", "HealthyHostCount"), ("ContainerInsights", "node_cpu_utilization"),
                     ("ContainerInsights", "pod_memory_utilization"), ("ContainerInsights", "pod_status_pending"),
                     ("AWS/RDS", "CPUUtilization"), ("AWS/RDS", "ClientConnections"), ("AWS/RDS", "ReadLatency"),
                     ("AWS/ElastiCache", "Evictions"), ("AWS/ElastiCache", "ReplicationLag"),
                     ("AWS/SQS", "ApproximateAgeOfOldestMessage"), ("AWS/Lambda", "Throttles"),
                     ("Tiketi/Services", "hikaricp_connections_pending"), ("AWS/Kafka", "UnderReplicatedPartitions"),
                     ("AWS/Kafka", "KafkaDataLogsDiskUsed")]:
        assert expected in metrics, expected
    services = {row[3] for _, row in metric_rows(dashboard_body(prod)) if row[0] == "Tiketi/Services"}
    assert services == {s.name for s in SERVICES if s.is_backend}


def test_the_dashboard_lists_the_user_facing_alarms_per_region(prod):
    widgets = [w for w in dashboard_body(prod)["widgets"] if w["type"] == "alarm"]
    by_region = {w["properties"]["title"].split("(")[1].rstrip(")"): set(w["properties"]["alarms"]) for w in widgets}
    assert all(arn.split(":")[3] == region for region, arns in by_region.items() for arn in arns)
    alarms = user_alarms(prod).values()
    assert by_region == {region: {a.outputs["arn"] for a in alarms if region_of(prod, a) == region}
                         for region in ("ap-northeast-2", "us-east-1")}


def test_widgets_sit_on_the_24_column_grid_without_overlap(aws_stack):
    cells = set()
    for widget in dashboard_body(aws_stack)["widgets"]:
        assert widget["x"] + widget["width"] <= 24
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells
                cells.add((x, y))


def test_render_writes_the_dashboard_body(prod, tmp_path):
    write(prod, tmp_path / "prod")
    dashboard = prod.one("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == "tiketi-prod-operations"
    assert json.loads((tmp_path / "prod" / "dashboard.json").read_text()) == json.loads(
        dashboard.inputs["dashboardBody"])
    assert prod.outputs["dashboardName"] == "tiketi-prod-operations"


def test_the_local_stack_has_no_dashboard(local, tmp_path):
    write(local, tmp_path / "local")
    assert not (tmp_path / "local" / "dashboard.json").exists()


# --- the runbook -----------------------------------------------------------------------------------


def test_the_committed_runbook_is_the_alarms(prod):
    text = runbook.OPERATIONS.read_text()
    assert text == runbook.rewrite(text, prod), "docs/operations.md's runbook is stale: run `make docs`"
    for alarm in prod.all(ALARM):
        assert f"| `{alarm.name}` |" in text


def test_a_changed_threshold_makes_the_runbook_stale(prod):
    text = runbook.OPERATIONS.read_text()
    assert "| > 1000, 1 period |" in text  # the WAF alarm's row
    assert runbook.rewrite(text.replace("| > 1000, 1 period |", "| > 500, 1 period |"), prod) == text


def test_the_runbook_needs_its_markers(prod):
    with pytest.raises(ValueError, match="no runbook markers"):
        runbook.rewrite("# no markers here\n", prod)
