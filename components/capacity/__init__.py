"""Will a stack hold its own maximums? The arithmetic of the capacity check, in one place.

Two readers share it: config validation (``components/config/stack.py`` builds a ``Plan`` from the
stack's config, so a stack that cannot hold its maximums fails before anything is registered,
naming the key to change) and the offline render (``tools/harness/capacity.py`` builds the same
``Plan`` from the rendered objects and prints the figures in the summary). Everything is counted
in **requests** (what the scheduler reserves), never limits, and conservatively:

1. *controllers*: the fixed node group at its minimum size holds the pods that must never wait
   for Karpenter (Karpenter itself, CoreDNS, metrics-server, the EBS CSI controller, the Load
   Balancer Controller) plus the DaemonSets every node runs;
2. *maximums*: every Deployment at its HPA maximum (or replicas) plus its surge pod (a rollout at
   the peak) fits in what the fixed group has left plus what Karpenter may add under its NodePool
   limits. The limits cap *capacity* (instance vCPUs and memory); what a node leaves to pods is
   less (kube-reserved, eviction threshold, DaemonSets), and the check takes, for CPU and for
   memory separately, the way of filling the limits that leaves pods the least;
3. *connections*: every database-using service at its maximum (plus surge) holding its whole
   HikariCP pool fits in the RDS Proxy's budget (``max_connections`` x the proxy's
   ``MaxConnectionsPercent``, less the connections RDS reserves for superusers);
4. *worker fan-out*: the worker's peak in-flight calls (maximum concurrency x the records one
   invocation posts in parallel) fit in the database connections ticket-service holds at its
   maximum (each call is a transaction).

``model`` holds the figures' shapes and the room arithmetic, ``checks`` the four checks and their
wording, ``system`` the system pods' requests (each figure says where it comes from; estimates of
what EKS installs, whose add-ons ship the upstream manifests: the render names any add-on they miss)
and the plan a stack's config describes.
"""

from components.capacity.checks import DEFAULT_KEYS, check
from components.capacity.model import (
    RDS_RESERVED_CONNECTIONS,
    ConnectionBudget,
    Finding,
    NodePoolLimits,
    Plan,
    Report,
    Resources,
    SystemPods,
    WorkerFanOut,
    Workload,
    at_maximum,
    at_minimum,
    cpu_millis,
    fixed_group_free,
    memory_mebibytes,
    node_share,
    pool_usable,
    requests,
    total,
)
from components.capacity.system import (
    ADDON_CONTROLLERS,
    ADDON_DAEMONSETS,
    CLUSTER_ADDONS,
    CONTROLLER_REPLICAS,
    LOAD_BALANCER_CONTROLLER_REQUESTS,
    METRICS_SERVER_REQUESTS,
    OBSERVABILITY_WORKLOADS,
    TELEMETRY_ADDON,
    UNKNOWN_ADDON_DAEMONSET,
    addon_pods,
    plan_from_config,
    smallest_node,
    system_pods,
)

__all__ = ["ADDON_CONTROLLERS", "ADDON_DAEMONSETS", "CLUSTER_ADDONS", "CONTROLLER_REPLICAS", "DEFAULT_KEYS",
           "LOAD_BALANCER_CONTROLLER_REQUESTS", "METRICS_SERVER_REQUESTS", "OBSERVABILITY_WORKLOADS",
           "RDS_RESERVED_CONNECTIONS", "TELEMETRY_ADDON", "UNKNOWN_ADDON_DAEMONSET", "ConnectionBudget", "Finding",
           "NodePoolLimits", "Plan", "Report", "Resources", "SystemPods", "WorkerFanOut", "Workload",
           "addon_pods", "at_maximum", "at_minimum", "check", "cpu_millis", "fixed_group_free",
           "memory_mebibytes", "node_share", "plan_from_config", "pool_usable", "requests", "smallest_node",
           "system_pods", "total"]
