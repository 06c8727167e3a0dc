"""Dashboard: one CloudWatch dashboard per stack, ``<prefix>-operations``, for an on-sale.

Owns the ``aws.cloudwatch.Dashboard``. Its body is built from the outputs of the resources
the program created (``Watched``), in the order a request meets them: edge (CloudFront
requests and error rates, origin latency, WAF blocked requests, edge-function errors), ALB
(requests, 5xx, p95 target response time, healthy hosts per target group), EKS (node and pod
CPU/memory, restarts, pending pods), the services' own metrics (Tiketi/Services), database
(CPU, connections, latency, RDS Proxy clients and connections), cache (CPU, memory,
evictions, replication lag), queue (depth, oldest message, DLQ) and worker (errors, p95
duration, throttles), Amazon MSK when the stack builds it (controller, offline and
under-replicated partitions, broker CPU and disk), then the user-facing alarms.

Dashboards are global; each widget names its region (CloudFront and WAF: us-east-1). Body
format: CloudWatch API reference, "Dashboard Body Structure and Syntax" (24-column grid,
``metrics`` rows ``[namespace, metric, dim, value, ..., {options}]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.observability.collector import METRICS_NAMESPACE
from components.observability.watched import Watched

EDGE_REGION = "us-east-1"
WIDTH, HEIGHT = 8, 6  # three widgets a row


@dataclass(frozen=True)
class DashboardArgs:
    name_prefix: str
    watched: Watched


def _flatten(watched: Watched) -> dict[str, Any]:
    """Every input the body needs, by name, so one ``Output.all`` resolves them together."""
    values: dict[str, Any] = {
        "cluster": watched.cluster_name, "namespace": watched.workloads_namespace,
        "alb": watched.public_alb_arn_suffix, "queue": watched.queue_name, "dlq": watched.dead_letter_queue_name,
        "worker": watched.worker_function_name,
    }
    for index, group in enumerate(watched.target_groups):
        values[f"tg{index}"] = group.arn_suffix
        values[f"tg{index}_lb"] = group.load_balancer_arn_suffix
    if watched.proxy_name is not None:
        values["proxy"] = watched.proxy_name
    if watched.edge is not None:
        values["distribution"] = watched.edge.distribution_id
    for region, arns in watched.alarm_arns.items():
        for index, arn in enumerate(arns):
            values[f"alarm_{region}_{index}"] = arn
    return values


class _Layout:
    def __init__(self) -> None:
        self.widgets: list[dict] = []
        self._x = self._y = 0

    def text(self, markdown: str) -> None:
        self._newline()
        self.widgets.append({"type": "text", "x": 0, "y": self._y, "width": 24, "height": 2,
                             "properties": {"markdown": markdown}})
        self._y += 2

    def metric(self, title: str, region: str, metrics: list[list], stat: str = "Average", period: int = 60,
               **properties: Any) -> None:
        if self._x + WIDTH > 24:
            self._newline()
        self.widgets.append({"type": "metric", "x": self._x, "y": self._y, "width": WIDTH, "height": HEIGHT,
                             "properties": {"title": title, "region": region, "metrics": metrics, "stat": stat,
                                            "period": period, "view": "timeSeries", "stacked": False,
                                            **properties}})
        self._x += WIDTH

    def alarms(self, title: str, arns: list[str]) -> None:
        """An alarm status widget: the ARNs say each alarm's region (properties as CDK's AlarmStatusWidget)."""
        self._newline()
        self.widgets.append({"type": "alarm", "x": 0, "y": self._y, "width": 24, "height": 4,
                             "properties": {"title": title, "alarms": arns, "sortBy": "stateUpdatedTimestamp"}})
        self._y += 4

    def _newline(self) -> None:
        if self._x:
            self._x, self._y = 0, self._y + HEIGHT


def dashboard_body(watched: Watched, v: dict[str, Any]) -> dict:
    """The dashboard body from the resolved values of ``_flatten(watched)``."""
    region, layout = watched.region, _Layout()
    layout.text(f"# Tiketi on-sale view ({v['cluster']})\nEdge -> ALB -> EKS -> data -> queue -> worker. "
                "Logs: Logs Insights on `/aws/containerinsights/" + v["cluster"] + "/application` "
                "(`filter @message like /<traceId>/`); traces: X-Ray trace map. Runbook: docs/operations.md.")
    if watched.edge is not None:
        cf = ["DistributionId", v["distribution"], "Region", "Global"]
        layout.metric("CloudFront requests", EDGE_REGION, [["AWS/CloudFront", "Requests", *cf]], stat="Sum")
        layout.metric("CloudFront error rates (%)", EDGE_REGION, [
            ["AWS/CloudFront", "4xxErrorRate", *cf], ["AWS/CloudFront", "5xxErrorRate", *cf],
            ["AWS/CloudFront", "OriginLatency", *cf, {"stat": "p95", "yAxis": "right"}]])
        edge_errors = [["AWS/CloudFront", metric, *cf] for metric in
                       ("LambdaExecutionError", "LambdaValidationError", "LambdaLimitExceededErrors")]
        if watched.edge.web_acl_metric_name is not None:
            edge_errors.append(["AWS/WAFV2", "BlockedRequests", "WebACL", watched.edge.web_acl_metric_name,
                                "Rule", "ALL", {"yAxis": "right"}])
        layout.metric("Edge function errors, WAF blocked", EDGE_REGION, edge_errors, stat="Sum", period=300)
    alb = ["LoadBalancer", v["alb"]]
    layout.metric("ALB requests and 5xx", region, [
        ["AWS/ApplicationELB", "RequestCount", *alb], ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *alb],
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", *alb]], stat="Sum")
    groups = [(g.label, ["TargetGroup", v[f"tg{i}"], "LoadBalancer", v[f"tg{i}_lb"]])
              for i, g in enumerate(watched.target_groups)]
    layout.metric("Target p95 response time (s)", region, [
        ["AWS/ApplicationELB", "TargetResponseTime", *dims, {"label": label}] for label, dims in groups], stat="p95")
    layout.metric("Healthy targets", region, [
        ["AWS/ApplicationELB", "HealthyHostCount", *dims, {"label": label}] for label, dims in groups],
        stat="Minimum")
    cluster, pods = ["ClusterName", v["cluster"]], ["ClusterName", v["cluster"], "Namespace", v["namespace"]]
    layout.metric("Nodes: CPU and memory (%)", region, [
        ["ContainerInsights", "node_cpu_utilization", *cluster],
        ["ContainerInsights", "node_memory_utilization", *cluster]])
    layout.metric("Pods: CPU and memory (%)", region, [
        ["ContainerInsights", "pod_cpu_utilization", *pods], ["ContainerInsights", "pod_memory_utilization", *pods]])
    layout.metric("Restarts, pending pods, failed nodes", region, [
        ["ContainerInsights", "pod_number_of_container_restarts", *pods],
        ["ContainerInsights", "pod_status_pending", *cluster],
        ["ContainerInsights", "cluster_failed_node_count", *cluster]], stat="Maximum")
    for title, metric, stat in (("Service CPU", "process_cpu_usage", "Average"),
                                ("Service DB pool waiting", "hikaricp_connections_pending", "Maximum"),
                                ("Service heap (bytes)", "jvm_memory_used_bytes", "Maximum")):
        layout.metric(title, region, [[METRICS_NAMESPACE, metric, "Service", s] for s in watched.services],
                      stat=stat)
    db = ["DBInstanceIdentifier", watched.database_instance_id]
    layout.metric("Database CPU and connections", region, [
        ["AWS/RDS", "CPUUtilization", *db], ["AWS/RDS", "DatabaseConnections", *db, {"yAxis": "right"}]])
    layout.metric("Database latency (s)", region, [["AWS/RDS", "ReadLatency", *db], ["AWS/RDS", "WriteLatency", *db]])
    if watched.proxy_name is not None:
        proxy = ["ProxyName", v["proxy"]]
        layout.metric("RDS Proxy connections", region, [
            ["AWS/RDS", "ClientConnections", *proxy], ["AWS/RDS", "DatabaseConnections", *proxy],
            ["AWS/RDS", "MaxDatabaseConnectionsAllowed", *proxy]], stat="Maximum")
    nodes = [["CacheClusterId", node] for node in watched.cache_node_ids]
    layout.metric("Cache engine CPU and memory (%)", region, [
        ["AWS/ElastiCache", metric, *node] for metric in ("EngineCPUUtilization", "DatabaseMemoryUsagePercentage")
        for node in nodes])
    layout.metric("Cache evictions and replication lag", region, [
        ["AWS/ElastiCache", "Evictions", *node, {"stat": "Sum"}] for node in nodes]
        + [["AWS/ElastiCache", "ReplicationLag", *node, {"yAxis": "right"}] for node in nodes], stat="Maximum")
    queue, dlq = ["QueueName", v["queue"]], ["QueueName", v["dlq"]]
    layout.metric("Queue depth, oldest message (s)", region, [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", *queue, {"label": "queue"}],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", *dlq, {"label": "dead-letter queue"}],
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", *queue, {"yAxis": "right"}]], stat="Maximum")
    if watched.kafka_cluster_name is not None:
        kafka = ["Cluster Name", watched.kafka_cluster_name]
        brokers = [[*kafka, "Broker ID", broker] for broker in watched.kafka_broker_ids]
        layout.metric("Kafka controller, offline partitions", region, [
            ["AWS/Kafka", "ActiveControllerCount", *kafka], ["AWS/Kafka", "OfflinePartitionsCount", *kafka]],
            stat="Maximum")
        layout.metric("Kafka broker CPU (user %) and data disk (%)", region, [
            ["AWS/Kafka", "CpuUser", *broker] for broker in brokers]
            + [["AWS/Kafka", "KafkaDataLogsDiskUsed", *broker, {"yAxis": "right"}] for broker in brokers],
            stat="Maximum")
        layout.metric("Kafka under-replicated partitions", region, [
            ["AWS/Kafka", "UnderReplicatedPartitions", *broker] for broker in brokers], stat="Maximum")
    worker = ["FunctionName", v["worker"]]
    layout.metric("Worker errors and throttles", region, [
        ["AWS/Lambda", "Errors", *worker], ["AWS/Lambda", "Throttles", *worker]], stat="Sum")
    layout.metric("Worker duration p95 (ms)", region, [["AWS/Lambda", "Duration", *worker]], stat="p95")
    for alarm_region in watched.alarm_arns:
        arns = [value for key, value in sorted(v.items(), key=lambda item: item[0])
                if key.startswith(f"alarm_{alarm_region}_")]
        layout.alarms(f"User-facing alarms ({alarm_region})", arns)
    return {"start": "-PT3H", "periodOverride": "inherit", "widgets": layout.widgets}


class Dashboard(Component):
    TYPE = "tiketi:observability:Dashboard"
    name: pulumi.Output[str]

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        body = pulumi.Output.all(**_flatten(args.watched)).apply(
            lambda values: json.dumps(dashboard_body(args.watched, values), sort_keys=True))
        dashboard = aws.cloudwatch.Dashboard(f"{name}-dashboard", dashboard_name=f"{args.name_prefix}-operations",
                                             dashboard_body=body, opts=self._child())
        self.name = dashboard.dashboard_name
        self.register_outputs({"name": self.name})
