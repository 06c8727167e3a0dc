"""What the dashboard and the user-facing alarms watch: the real outputs of the resources the program created.

Every value is an output of a resource the stack registered (an ``arn_suffix``, an id, a
name), never an ARN or name built by hand, so a dimension cannot point at something that
does not exist (tests/observability resolves each against the snapshot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi


@dataclass(frozen=True)
class TargetGroup:
    label: str
    load_balancer_arn_suffix: pulumi.Input[str]  # CloudWatch's LoadBalancer dimension (app/<name>/<id>)
    arn_suffix: pulumi.Input[str]  # CloudWatch's TargetGroup dimension (targetgroup/<name>/<id>)


@dataclass(frozen=True)
class Edge:
    """CloudFront and its WAF: their metrics exist in us-east-1 only."""

    distribution_id: pulumi.Input[str]
    web_acl_metric_name: str | None  # WAF's WebACL dimension; None without a web ACL


@dataclass(frozen=True)
class Watched:
    region: str
    cluster_name: pulumi.Input[str]
    workloads_namespace: pulumi.Input[str]
    services: Sequence[str]  # the Spring services whose metrics the Collector keeps (dimension Service)
    public_alb_arn_suffix: pulumi.Input[str]
    target_groups: Sequence[TargetGroup]
    database_instance_id: str
    proxy_name: pulumi.Input[str] | None
    cache_node_ids: Sequence[str]
    queue_name: pulumi.Input[str]
    dead_letter_queue_name: pulumi.Input[str]
    worker_function_name: pulumi.Input[str]
    edge: Edge | None = None
    kafka_cluster_name: str | None = None  # AWS/Kafka's "Cluster Name" (None: external Kafka)
    kafka_broker_ids: Sequence[str] = ()
    alarm_arns: dict[str, Sequence[pulumi.Input[str]]] = field(default_factory=dict)  # region -> alarm ARNs
