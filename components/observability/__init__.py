"""Observability tier (``tiketi:observability:*``): alert topics, cluster telemetry, the trace and metrics
collector, Lambda@Edge log groups, the user-facing alarms and the dashboard; alarms.py gives every alarm one shape."""

from components.observability.alerts import Alerts, AlertsArgs
from components.observability.cluster_telemetry import ClusterTelemetry, ClusterTelemetryArgs
from components.observability.collector import Collector, CollectorArgs
from components.observability.dashboard import Dashboard, DashboardArgs
from components.observability.edge_logs import EdgeLogs, EdgeLogsArgs
from components.observability.user_alarms import UserAlarms, UserAlarmsArgs
from components.observability.watched import Edge, TargetGroup, Watched

__all__ = ["Alerts", "AlertsArgs", "ClusterTelemetry", "ClusterTelemetryArgs", "Collector", "CollectorArgs",
           "Dashboard", "DashboardArgs", "Edge", "EdgeLogs", "EdgeLogsArgs", "TargetGroup", "UserAlarms",
           "UserAlarmsArgs", "Watched"]
