"""UserAlarms: the alarms on what users feel, thresholds from ``tiketi:observability.alarms`` (staging, prod).

Owns the alarms on the public path (ALB 5xx rate, unhealthy targets, p95 latency; CloudFront
5xx rate; Lambda@Edge errors; a WAF blocked-request spike), on saturation behind it (RDS
Proxy connections against the most it may open, Redis replication lag, failed EKS nodes) and
CloudFront's additional-metrics subscription (origin latency and per-code rates for the
dashboard). The alarms on a single resource's health stay in the component that owns it
(database, cache, queue, worker); every alarm has the same shape (alarms.py).

CloudFront, WAF and Lambda@Edge metrics exist only in us-east-1, so their alarms are created
there (``edge_provider``) and notify the us-east-1 topic: an alarm's action must be a topic
in its own region. WAF's dimensions for a CLOUDFRONT-scope web ACL are ``WebACL`` and ``Rule``
with no ``Region`` (cdk-monitoring-constructs #681; compiler-explorer/infra #2357).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.config.observability import AlarmThresholds
from components.observability.alarms import Metric, math_alarm, metric_alarm
from components.observability.watched import Watched

ALB = "AWS/ApplicationELB"


@dataclass(frozen=True)
class UserAlarmsArgs:
    watched: Watched
    thresholds: AlarmThresholds
    topic_arn: pulumi.Input[str]
    edge_topic_arn: pulumi.Input[str] | None = None
    edge_provider: aws.Provider | None = None
    cloudfront_additional_metrics: bool = True


class UserAlarms(Component):
    TYPE = "tiketi:observability:UserAlarms"
    alarm_arns: dict[str, list[pulumi.Output[str]]]  # region -> ARNs, for the dashboard's alarm widgets

    def __init__(self, name: str, args: UserAlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        self.alarm_arns = {}
        watched = args.watched
        self._regional = {"parent": self, "topic_arn": args.topic_arn}
        self._add(watched.region, *self._load_balancer_alarms(), *self._data_alarms(), self._node_alarm())
        if watched.edge is not None:
            if args.edge_topic_arn is None or args.edge_provider is None:
                raise ValueError("UserAlarms: CloudFront alarms need the us-east-1 topic and provider")
            self._edge = {"parent": self, "topic_arn": args.edge_topic_arn, "provider": args.edge_provider}
            self._add("us-east-1", *self._edge_alarms(watched))
            if args.cloudfront_additional_metrics:
                # Origin latency, per-code error rates and cache hit rate; CloudFront bills it per distribution.
                aws.cloudfront.MonitoringSubscription(
                    f"{name}-cloudfront-metrics", distribution_id=watched.edge.distribution_id,
                    monitoring_subscription=aws.cloudfront.MonitoringSubscriptionMonitoringSubscriptionArgs(
                        realtime_metrics_subscription_config=aws.cloudfront.
                        MonitoringSubscriptionMonitoringSubscriptionRealtimeMetricsSubscriptionConfigArgs(
                            realtime_metrics_subscription_status="Enabled")),
                    opts=self._child())
        self.register_outputs({"alarmArns": self.alarm_arns})

    def _add(self, region: str, *alarms: aws.cloudwatch.MetricAlarm) -> None:
        self.alarm_arns.setdefault(region, []).extend(alarm.arn for alarm in alarms)

    def _load_balancer_alarms(self) -> list[aws.cloudwatch.MetricAlarm]:
        name, watched, limits = self._name, self._args.watched, self._args.thresholds
        public = {"LoadBalancer": watched.public_alb_arn_suffix}
        alarms = [math_alarm(
            f"{name}-alb-5xx-rate",
            expression="IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
            label="ALB 5xx % of requests",
            metrics=[Metric("target5xx", ALB, "HTTPCode_Target_5XX_Count", public, "Sum"),
                     Metric("elb5xx", ALB, "HTTPCode_ELB_5XX_Count", public, "Sum"),
                     Metric("requests", ALB, "RequestCount", public, "Sum")],
            comparison="GreaterThanThreshold", threshold=limits.alb_5xx_percent, evaluation_periods=3,
            datapoints_to_alarm=2, missing_data="notBreaching",
            description=f"public ALB: over {limits.alb_5xx_percent:g}% of requests answered 5xx in 2 of 3 minutes; "
                        "users see errors",
            first_check="the dashboard's ALB row (target or ELB 5xx?), then the gateway-service pods' logs in "
                        "/aws/containerinsights/<cluster>/application and recent deploys",
            **self._regional)]
        for group in watched.target_groups:
            dims = {"TargetGroup": group.arn_suffix, "LoadBalancer": group.load_balancer_arn_suffix}
            alarms.append(metric_alarm(
                f"{name}-{group.label}-unhealthy", namespace=ALB, metric="UnHealthyHostCount", dimensions=dims,
                statistic="Maximum", comparison="GreaterThanThreshold", threshold=0, period=60,
                evaluation_periods=3, missing_data="notBreaching",
                description=f"{group.label} target group: a target failed its health check for 3 minutes",
                first_check=f"kubectl get pods -l app={group.label} (restarts, readiness); the pod's logs",
                **self._regional))
        gateway = watched.target_groups[0]
        alarms.append(metric_alarm(
            f"{name}-alb-p95-latency", namespace=ALB, metric="TargetResponseTime",
            dimensions={"TargetGroup": gateway.arn_suffix, "LoadBalancer": gateway.load_balancer_arn_suffix},
            extended_statistic="p95", comparison="GreaterThanThreshold", threshold=limits.alb_p95_latency_seconds,
            period=60, evaluation_periods=5, datapoints_to_alarm=3, missing_data="notBreaching",
            description=f"{gateway.label}: p95 response time above {limits.alb_p95_latency_seconds:g} s in 3 of "
                        "5 minutes; pages feel slow",
            first_check="X-Ray traces of slow requests (which service, which query); pod CPU and pending pods",
            **self._regional))
        return alarms

    def _data_alarms(self) -> list[aws.cloudwatch.MetricAlarm]:
        name, watched, limits = self._name, self._args.watched, self._args.thresholds
        alarms = []
        if watched.proxy_name is not None:
            proxy = {"ProxyName": watched.proxy_name}
            alarms.append(math_alarm(
                f"{name}-proxy-saturation", expression="100 * used / allowed", label="proxy connections % of max",
                metrics=[Metric("used", "AWS/RDS", "DatabaseConnections", proxy, "Maximum"),
                         Metric("allowed", "AWS/RDS", "MaxDatabaseConnectionsAllowed", proxy, "Minimum")],
                comparison="GreaterThanThreshold", threshold=limits.proxy_connections_percent, evaluation_periods=5,
                datapoints_to_alarm=3, missing_data="notBreaching",
                description=f"RDS Proxy: database connections above {limits.proxy_connections_percent:g}% of the "
                            "most it may open in 3 of 5 minutes; requests will wait for a connection",
                first_check="proxy client connections and borrow latency on the dashboard; "
                            "the services' hikaricp_connections_pending",
                **self._regional))
        # Only replicas report ReplicationLag: one per node, since a failover swaps the roles.
        if len(watched.cache_node_ids) > 1:
            for node in watched.cache_node_ids:
                alarms.append(metric_alarm(
                    f"{name}-{node.rsplit('-', 1)[1]}-replication-lag", namespace="AWS/ElastiCache",
                    metric="ReplicationLag", dimensions={"CacheClusterId": node}, statistic="Maximum",
                    comparison="GreaterThanThreshold", threshold=limits.redis_replication_lag_seconds, period=60,
                    evaluation_periods=5, datapoints_to_alarm=3, missing_data="notBreaching",
                    description=f"{node}: replica more than {limits.redis_replication_lag_seconds:g} s behind the "
                                "primary in 3 of 5 minutes; reads from it are stale and a failover loses writes",
                    first_check="the primary's engine CPU and network on the dashboard (a write burst?)",
                    **self._regional))
        return alarms

    def _node_alarm(self) -> aws.cloudwatch.MetricAlarm:
        return metric_alarm(
            f"{self._name}-failed-nodes", namespace="ContainerInsights", metric="cluster_failed_node_count",
            dimensions={"ClusterName": self._args.watched.cluster_name}, statistic="Maximum",
            comparison="GreaterThanThreshold", threshold=0, period=60, evaluation_periods=3,
            missing_data="notBreaching",
            description="EKS: a node has been NotReady for 3 minutes; its pods are being rescheduled",
            first_check="kubectl get nodes; the node group's health in the EKS console (Spot interruption?)",
            **self._regional)

    def _edge_alarms(self, watched: Watched) -> list[aws.cloudwatch.MetricAlarm]:
        name, limits, edge = self._name, self._args.thresholds, watched.edge
        distribution = {"DistributionId": edge.distribution_id, "Region": "Global"}
        alarms = [
            metric_alarm(
                f"{name}-cloudfront-5xx-rate", namespace="AWS/CloudFront", metric="5xxErrorRate",
                dimensions=distribution, statistic="Average", comparison="GreaterThanThreshold",
                threshold=limits.cloudfront_5xx_percent, period=60, evaluation_periods=3, datapoints_to_alarm=2,
                missing_data="notBreaching",
                description=f"CloudFront: over {limits.cloudfront_5xx_percent:g}% of responses 5xx in 2 of 3 "
                            "minutes; users cannot load the site or the API",
                first_check="the ALB 5xx alarm (origin) and edge-function errors; 502/503/504 rates on the "
                            "dashboard's edge row",
                **self._edge),
            math_alarm(
                f"{name}-edge-function-errors",
                expression="FILL(execution, 0) + FILL(validation, 0) + FILL(limit, 0)",
                label="Lambda@Edge errors",
                metrics=[Metric(id_, "AWS/CloudFront", metric, distribution, "Sum", period=300)
                         for id_, metric in (("execution", "LambdaExecutionError"),
                                             ("validation", "LambdaValidationError"),
                                             ("limit", "LambdaLimitExceededErrors"))],
                comparison="GreaterThanThreshold", threshold=limits.edge_function_errors, evaluation_periods=1,
                missing_data="notBreaching",
                description=f"Lambda@Edge queue-token check: more than {limits.edge_function_errors} errors in 5 "
                            "minutes; viewers get 5xx before reaching the API",
                first_check="the /aws/lambda/us-east-1.<edgeFunctionName output> log group in the region nearest "
                            "the users (ap-northeast-2 first)",
                **self._edge),
        ]
        if edge.web_acl_metric_name is not None:
            alarms.append(metric_alarm(
                f"{name}-waf-blocked", namespace="AWS/WAFV2", metric="BlockedRequests",
                dimensions={"WebACL": edge.web_acl_metric_name, "Rule": "ALL"}, statistic="Sum",
                comparison="GreaterThanThreshold", threshold=limits.waf_blocked_requests, evaluation_periods=1,
                missing_data="notBreaching",
                description=f"WAF: more than {limits.waf_blocked_requests} requests blocked in 5 minutes: an attack, "
                            "or a rule blocking real buyers",
                first_check="the web ACL's sampled requests in the WAF console (which rule, which IPs)",
                **self._edge))
        return alarms
