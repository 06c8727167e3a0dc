"""Kubernetes tier (``tiketi:kubernetes:*``): ECR, EKS, scaling, the eight services and their network policies."""

from components.kubernetes.cluster import Cluster, ClusterArgs
from components.kubernetes.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.kubernetes.container_registry import ContainerRegistry, ContainerRegistryArgs
from components.kubernetes.network_policies import (
    AwsEgress,
    KafkaEgress,
    NetworkPolicies,
    NetworkPoliciesArgs,
    local_platform_policies,
)
from components.kubernetes.node_autoscaling import NodeAutoscaling, NodeAutoscalingArgs
from components.kubernetes.workloads import (
    Connections,
    Credentials,
    KafkaSecurity,
    SqsProducer,
    Workloads,
    WorkloadsArgs,
)

__all__ = ["AwsEgress", "Cluster", "ClusterAddons", "ClusterAddonsArgs", "ClusterArgs", "Connections",
           "ContainerRegistry", "ContainerRegistryArgs", "Credentials", "KafkaEgress", "KafkaSecurity",
           "NetworkPolicies", "NetworkPoliciesArgs", "NodeAutoscaling", "NodeAutoscalingArgs", "SqsProducer",
           "Workloads", "WorkloadsArgs", "local_platform_policies"]
