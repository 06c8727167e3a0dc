"""ClusterAddons: the resource metrics every HPA reads (metrics-server), on staging and prod.

EKS does not install metrics-server ("isn't deployed by default in Amazon EKS clusters", EKS User
Guide, "View resource usage with the Kubernetes Metrics Server"): without it every HPA reports
``<unknown>`` and never scales. The upstream chart is pinned (``tiketi:autoscaling.metricsServerChart``,
3.13.1 = metrics-server 0.8.1, which serves Kubernetes 1.31 and later; 0.9 needs 1.34) rather than
the EKS community add-on, whose versions per Kubernetes release could not be checked offline.

Two replicas (the chart's "High Availability" mode needs at least two nodes), on the fixed node
group like the other controllers (Karpenter's guide keeps metrics-server off Karpenter nodes, so
consolidation never takes the HPAs' metrics away mid-scale), one per node, a budget that always
allows one eviction, and the chart's hardened container (non-root, read-only root, no
capabilities, seccomp RuntimeDefault, priority ``system-cluster-critical``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from components.capacity import CONTROLLER_REPLICAS, METRICS_SERVER_REQUESTS

NAMESPACE = "kube-system"
REPOSITORY = "https://kubernetes-sigs.github.io/metrics-server/"
# On the managed node group only: Karpenter labels its nodes with their NodePool.
OFF_KARPENTER_NODES = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}]}}}


@dataclass(frozen=True)
class ClusterAddonsArgs:
    metrics_server_chart: str
    controller_nodes: pulumi.Resource  # the managed node group its pods run on


class ClusterAddons(Component):
    TYPE = "tiketi:kubernetes:ClusterAddons"
    metrics_server: k8s.helm.v3.Release

    def __init__(self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        labels = {"app.kubernetes.io/name": "metrics-server", "app.kubernetes.io/instance": "metrics-server"}
        self.metrics_server = k8s.helm.v3.Release(
            f"{name}-metrics-server", name="metrics-server", chart="metrics-server",
            version=args.metrics_server_chart, namespace=NAMESPACE,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPOSITORY),
            values={
                "replicas": CONTROLLER_REPLICAS,
                "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1,
                                        "unhealthyPodEvictionPolicy": "AlwaysAllow"},
                "resources": {"requests": {"cpu": f"{METRICS_SERVER_REQUESTS.cpu_m}m",
                                           "memory": f"{METRICS_SERVER_REQUESTS.memory_mi}Mi"}},
                "affinity": {**OFF_KARPENTER_NODES, "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": labels}}]}},
            },
            opts=self._child(depends_on=[args.controller_nodes]))
        self.register_outputs({"metricsServerRelease": self.metrics_server.name})
