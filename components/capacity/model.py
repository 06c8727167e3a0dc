"""The capacity check's figures: resources, workloads, system pods, limits, budgets, and the room
the nodes leave pods (components/capacity/__init__.py says what the check is)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field

from components.config.catalog import EC2_NODE_SIZES, NodeSize


@dataclass(frozen=True)
class Resources:
    cpu_m: int = 0
    memory_mi: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu_m + other.cpu_m, self.memory_mi + other.memory_mi)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu_m - other.cpu_m, self.memory_mi - other.memory_mi)

    def __mul__(self, count: int) -> Resources:
        return Resources(self.cpu_m * count, self.memory_mi * count)

    def beyond(self, other: Resources) -> Resources:
        """What of ``self`` does not fit in ``other``, per dimension (never negative)."""
        return Resources(max(0, self.cpu_m - other.cpu_m), max(0, self.memory_mi - other.memory_mi))

    def fits_in(self, other: Resources) -> bool:
        return self.cpu_m <= other.cpu_m and self.memory_mi <= other.memory_mi

    def __str__(self) -> str:
        return f"{self.cpu_m / 1000:.2f} vCPU, {self.memory_mi / 1024:.1f} GiB"


def total(items: Iterable[Resources]) -> Resources:
    result = Resources()
    for item in items:
        result += item
    return result


def cpu_millis(quantity: str | int | float) -> int:
    """A Kubernetes CPU quantity (``"200m"``, ``"1"``, ``0.5``) in millicores."""
    text = str(quantity)
    return int(text[:-1]) if text.endswith("m") else round(float(text) * 1000)


_MEMORY_UNITS = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024, "K": 1000 / 1024 ** 2,
                 "M": 1000 ** 2 / 1024 ** 2, "G": 1000 ** 3 / 1024 ** 2, "": 1 / 1024 ** 2}


def memory_mebibytes(quantity: str | int | float) -> int:
    """A Kubernetes memory quantity (``"256Mi"``, ``"1Gi"``, ``"1G"``) in MiB, rounded up."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|)", str(quantity))
    if match is None:
        raise ValueError(f"{quantity!r} is not a Kubernetes memory quantity (e.g. 256Mi, 1Gi)")
    return math.ceil(float(match[1]) * _MEMORY_UNITS[match[2]])


def requests(cpu: str | int | float, memory: str | int | float) -> Resources:
    return Resources(cpu_millis(cpu), memory_mebibytes(memory))


# Connections RDS for PostgreSQL keeps from ordinary users: superuser_reserved_connections (3) and
# rds.rds_superuser_reserved_connections (2) (AWS Knowledge Center, "remaining connection slots are
# reserved for non replicate superuser connections").
RDS_RESERVED_CONNECTIONS = 5


@dataclass(frozen=True)
class Workload:
    """One Deployment: what each pod requests, its replica range and database pool."""

    name: str
    request: Resources
    min_replicas: int
    max_replicas: int
    surge: int = 1
    pool_size: int = 0  # database connections per pod (0: no database)


@dataclass(frozen=True)
class SystemPods:
    controllers: Mapping[str, Resources]  # name -> total requests, on the fixed node group
    daemonsets: Mapping[str, Resources]  # name -> requests per node
    assumed: tuple[str, ...] = ()  # add-ons counted with UNKNOWN_ADDON_DAEMONSET

    @property
    def per_node(self) -> Resources:
        return total(self.daemonsets.values())

    @property
    def controller_total(self) -> Resources:
        return total(self.controllers.values())


@dataclass(frozen=True)
class NodePoolLimits:
    instance_types: tuple[str, ...]  # every type the NodePool's requirements allow
    limit: Resources  # spec.limits: cpu (vCPUs) and memory, as capacity

    def sizes(self) -> list[NodeSize]:
        return [EC2_NODE_SIZES[t] for t in self.instance_types]


@dataclass(frozen=True)
class ConnectionBudget:
    max_connections: int
    proxy_percent: int | None  # RDS Proxy's MaxConnectionsPercent; None: clients reach the instance

    @property
    def usable(self) -> int:
        through = self.max_connections if self.proxy_percent is None else math.floor(
            self.max_connections * self.proxy_percent / 100)
        return min(through, self.max_connections - RDS_RESERVED_CONNECTIONS)


@dataclass(frozen=True)
class WorkerFanOut:
    concurrency: int  # the event source mapping's maximum concurrency
    per_invocation: int  # records one invocation posts in parallel (its batch size)
    target: str = "ticket-service"


@dataclass(frozen=True)
class Plan:
    workloads: Sequence[Workload]
    system: SystemPods
    node_group_type: str
    node_group_nodes: int  # the fixed group's minimum size
    node_pool: NodePoolLimits
    connections: ConnectionBudget | None = None
    worker: WorkerFanOut | None = None


@dataclass(frozen=True)
class Finding:
    check: str  # "controllers" | "maximums" | "connections" | "worker"
    ok: bool
    summary: str  # the figures, one line
    key: str = ""  # the config key to change when not ok
    value: object = None
    problem: str = ""  # what is wrong and what would fit, read after "<key>: <value> "


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the figures, for the render summary

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]


def node_share(size: NodeSize, per_node: Resources) -> Resources:
    """What one node leaves to pods after kube-reserved, eviction, VM overhead and DaemonSets."""
    return Resources(size.allocatable_cpu_m, size.allocatable_memory_mi) - per_node


def fixed_group_free(plan: Plan) -> Resources:
    """What the fixed node group leaves the workloads after the controllers (none when they do not fit:
    the controllers check reports that)."""
    size = EC2_NODE_SIZES[plan.node_group_type]
    room = node_share(size, plan.system.per_node) * plan.node_group_nodes
    return room.beyond(plan.system.controller_total)


def pool_usable(pool: NodePoolLimits, per_node: Resources) -> Resources:
    """The least CPU and the least memory Karpenter's nodes can offer pods under the limits.

    Karpenter launches while the limits leave room for an allowed type, so for each type it might
    favour the check takes as many of it as fit, then the smallest type in what is left, and keeps
    the worst case per dimension (a large node leaves little of the limit, small nodes lose more of
    themselves to kube-reserved and DaemonSets)."""
    sizes = pool.sizes()
    if not sizes:
        return Resources()
    smallest = min(sizes, key=lambda size: (size.vcpu, size.memory_mi))

    def fit(size: NodeSize, cpu_m: int, memory_mi: int) -> int:
        return min(cpu_m // (size.vcpu * 1000), memory_mi // size.memory_mi)

    cpus, memories = [], []
    for size in sizes:
        nodes = fit(size, pool.limit.cpu_m, pool.limit.memory_mi)
        if nodes < 1:
            continue
        left = pool.limit - Resources(nodes * size.vcpu * 1000, nodes * size.memory_mi)
        share = node_share(size, per_node) * nodes + node_share(smallest, per_node) * fit(smallest, *astuple(left))
        cpus.append(share.cpu_m)
        memories.append(share.memory_mi)
    return Resources(min(cpus, default=0), min(memories, default=0))


def at_maximum(workloads: Iterable[Workload]) -> Resources:
    return total(w.request * (w.max_replicas + w.surge) for w in workloads)


def at_minimum(workloads: Iterable[Workload]) -> Resources:
    return total(w.request * w.min_replicas for w in workloads)
