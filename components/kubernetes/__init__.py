"""Kubernetes tier (``tiketi:kubernetes:*``): ECR, EKS, scaling, the secret operators, the database bootstrap,
the eight services and their network policies."""

from components.kubernetes.cluster import Cluster, ClusterArgs
from components.kubernetes.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.kubernetes.container_registry import ContainerRegistry, ContainerRegistryArgs
from components.kubernetes.database_bootstrap import DatabaseBootstrap, DatabaseBootstrapArgs
from components.kubernetes.external_secrets_operator import ExternalSecretsOperator, ExternalSecretsOperatorArgs
from components.kubernetes.network_policies import (
    AwsEgress,
    KafkaEgress,
    NetworkPolicies,
    NetworkPoliciesArgs,
    local_platform_policies,
)
from components.kubernetes.node_autoscaling import NodeAutoscaling, NodeAutoscalingArgs
from components.kubernetes.reloader import Reloader, ReloaderArgs
from components.kubernetes.service_secrets import LiteralServiceSecrets, SyncedServiceSecrets
from components.kubernetes.workloads import Connections, KafkaSecurity, SqsProducer, Workloads, WorkloadsArgs

__all__ = ["AwsEgress", "Cluster", "ClusterAddons", "ClusterAddonsArgs", "ClusterArgs", "Connections",
           "ContainerRegistry", "ContainerRegistryArgs", "DatabaseBootstrap", "DatabaseBootstrapArgs",
           "ExternalSecretsOperator", "ExternalSecretsOperatorArgs", "KafkaEgress", "KafkaSecurity",
           "LiteralServiceSecrets", "NetworkPolicies", "NetworkPoliciesArgs", "NodeAutoscaling", "NodeAutoscalingArgs",
           "Reloader", "ReloaderArgs", "SqsProducer", "SyncedServiceSecrets", "Workloads", "WorkloadsArgs",
           "local_platform_policies"]
