"""The system pods' requests (EKS add-ons, this program's Helm controllers, the observability
Deployments) and the capacity plan a stack's config describes."""

from __future__ import annotations

from collections.abc import Iterable

from components.capacity.model import (
    ConnectionBudget,
    NodePoolLimits,
    Plan,
    Resources,
    SystemPods,
    WorkerFanOut,
    Workload,
    requests,
)
from components.config.catalog import EC2_NODE_SIZES

# DaemonSet pods on every node, by the EKS add-on that installs them.
ADDON_DAEMONSETS: dict[str, Resources] = {
    # aws-node + aws-eks-nodeagent (network policies on): 25m each, no memory request
    # (aws/amazon-vpc-cni-k8s charts/aws-vpc-cni values.yaml and templates/daemonset.yaml@b5218838).
    "vpc-cni": requests("50m", 0),
    # kube-proxy: 100m CPU, no memory request (aws/containers-roadmap#1509); the CPU figure is the
    # upstream kube-proxy manifests', not read from the add-on's own manifest here.
    "kube-proxy": requests("100m", 0),
    # ebs-csi-node: ebs-plugin 10m/40Mi, node-driver-registrar and liveness-probe 10m/32Mi each
    # (kubernetes-sigs/aws-ebs-csi-driver charts values.yaml, templates/_node.tpl@429e202e).
    "aws-ebs-csi-driver": requests("30m", "104Mi"),
    # cloudwatch-agent 250m/128Mi and fluent-bit 50m/25Mi (aws-observability/helm-charts
    # charts/amazon-cloudwatch-observability/values.yaml@71a298f, chart 6.4.0: the add-on ships this
    # chart; the add-on version this program pins may differ slightly).
    "amazon-cloudwatch-observability": requests("300m", "153Mi"),
}
# Controllers EKS add-ons run as Deployments, per add-on: replicas x requests.
ADDON_CONTROLLERS: dict[str, Resources] = {
    # CoreDNS: 2 replicas x 100m/70Mi (the upstream CoreDNS manifest's requests, which EKS ships).
    "coredns": requests("100m", "70Mi") * 2,
    # ebs-csi-controller: 2 replicas x six containers at the chart's 10m/40Mi default (liveness
    # 10m/32Mi) (aws-ebs-csi-driver values.yaml controller.resources, templates/controller.yaml).
    "aws-ebs-csi-driver": requests("60m", "232Mi") * 2,
    # The CloudWatch agent operator: 1 replica x 100m/64Mi (the same values.yaml, manager.resources).
    "amazon-cloudwatch-observability": requests("100m", "64Mi"),
}
# An add-on this table does not know is counted with this per node (and the render says so).
UNKNOWN_ADDON_DAEMONSET = requests("100m", "128Mi")


# Replicas and requests of the controllers this program installs with Helm (their values say the
# same: components/kubernetes/cluster_addons.py, node_autoscaling.py, cluster.py).
CONTROLLER_REPLICAS = 2
# metrics-server chart 3.13.1 default requests (values.yaml "resources"), good "up to 100 nodes".
METRICS_SERVER_REQUESTS = requests("100m", "200Mi")
# The Load Balancer Controller chart sets no requests by default (values.yaml resources: {}).
LOAD_BALANCER_CONTROLLER_REQUESTS = Resources()
# The External Secrets Operator (chart 2.9.0: a controller, its webhook and cert controller, one replica
# each) and Reloader (chart 2.2.16, one replica) set no requests either (their values.yaml resources: {});
# components/kubernetes/external_secrets_operator.py and reloader.py keep the charts' defaults.
EXTERNAL_SECRETS_PODS = 3
EXTERNAL_SECRETS_REQUESTS = Resources()
RELOADER_REQUESTS = Resources()


def smallest_node(instance_types: Iterable[str]) -> str:
    """The type that leaves pods the least (a node group may launch any of its types)."""
    return min(instance_types, key=lambda t: (EC2_NODE_SIZES[t].allocatable_cpu_m,
                                              EC2_NODE_SIZES[t].allocatable_memory_mi))


def addon_pods(addons: Iterable[str]) -> SystemPods:
    """The controllers and DaemonSets these EKS add-ons run (an unknown add-on: assumed on every node)."""
    addons = list(addons)
    known = set(ADDON_DAEMONSETS) | set(ADDON_CONTROLLERS)
    assumed = tuple(sorted(a for a in addons if a not in known))
    return SystemPods({a: ADDON_CONTROLLERS[a] for a in addons if a in ADDON_CONTROLLERS},
                      {**{a: ADDON_DAEMONSETS[a] for a in addons if a in ADDON_DAEMONSETS},
                       **{a: UNKNOWN_ADDON_DAEMONSET for a in assumed}}, assumed)


def system_pods(karpenter: Resources, addons: Iterable[str]) -> SystemPods:
    """The system pods of a stack that installs these EKS add-ons and this program's Helm controllers."""
    base = addon_pods(addons)
    controllers = {"karpenter": karpenter * CONTROLLER_REPLICAS,
                   "metrics-server": METRICS_SERVER_REQUESTS * CONTROLLER_REPLICAS,
                   "aws-load-balancer-controller": LOAD_BALANCER_CONTROLLER_REQUESTS * CONTROLLER_REPLICAS,
                   "external-secrets": EXTERNAL_SECRETS_REQUESTS * EXTERNAL_SECRETS_PODS,
                   "reloader": RELOADER_REQUESTS,
                   **base.controllers}
    return SystemPods(controllers, base.daemonsets, base.assumed)


# The EKS add-ons components/kubernetes/cluster.py installs, and ClusterTelemetry's (observability).
CLUSTER_ADDONS = ("vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver")
TELEMETRY_ADDON = "amazon-cloudwatch-observability"
# Deployments besides the services that an AWS stack runs: the ADOT collector (2 replicas, rolling) and
# its metrics scraper (1, Recreate), 100m/128Mi each (components/observability/collector.py; the render
# reads them from the objects and tests/harness/test_capacity.py checks both agree).
OBSERVABILITY_WORKLOADS = (Workload("adot-collector", requests("100m", "128Mi"), 2, 2, 1),
                           Workload("adot-metrics", requests("100m", "128Mi"), 1, 1, 0))


def plan_from_config(config) -> Plan:  # config: components.config.StackConfig (an import here would be circular)
    """The capacity plan a stack's config describes (the render reads the same from its objects)."""
    from components.config.async_ import WORKER_BATCH_SIZE
    from components.config.data import PROXY_MAX_CONNECTIONS_PERCENT
    from components.config.kubernetes import ROLLOUT_SURGE
    from components.services import SERVICES

    workloads, autoscaling = config.workloads, config.autoscaling
    observability = getattr(config, "observability", None) is not None
    plan_workloads = sorted([
        *(Workload(s.name, requests(s.cpu_request, s.memory_request), workloads.min_replicas(s.name),
                   workloads.max_replicas(s.name), ROLLOUT_SURGE, workloads.database_pool_size if s.database else 0)
          for s in SERVICES),
        *(OBSERVABILITY_WORKLOADS if observability else ())], key=lambda w: w.name)
    pool = autoscaling.node_pool
    connections = None
    if config.database is not None:
        connections = ConnectionBudget(config.database.effective_max_connections,
                                       PROXY_MAX_CONNECTIONS_PERCENT if config.database.proxy else None)
    worker = WorkerFanOut(config.worker.maximum_concurrency, WORKER_BATCH_SIZE) if config.worker else None
    return Plan(
        workloads=plan_workloads,
        system=system_pods(requests(autoscaling.karpenter_cpu, autoscaling.karpenter_memory),
                           CLUSTER_ADDONS + ((TELEMETRY_ADDON,) if observability else ())),
        node_group_type=smallest_node(config.cluster.instance_types),
        node_group_nodes=config.cluster.min_size,
        node_pool=NodePoolLimits(tuple(sorted(pool.instance_types)),
                                 Resources(pool.cpu_limit * 1000, pool.memory_limit_gi * 1024)),
        connections=connections, worker=worker)
