"""``tiketi:autoscaling``: resource metrics (metrics-server) and node autoscaling (Karpenter) on EKS.

The HPAs' replica ranges stay with the services (``tiketi:workloads.autoscaling``); this section
is what makes them work: metrics-server answers the Metrics API the HPAs read, and Karpenter adds
nodes when their pods do not fit. The NodePool's patterns and enums are the ones its CRD enforces
(aws/karpenter-provider-aws charts/karpenter-crd/templates/karpenter.sh_nodepools.yaml, chart 1.14.1),
checked here so a typo fails before the first resource rather than at the API server.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from components.config.base import Allowed, KeyProblemError, Section, VersionString, allowed, did_you_mean
from components.config.catalog import EC2_NODE_SIZES, EKS_NODE_INSTANCE_TYPES
from components.services import IMAGE_ARCHITECTURE

# The NodePool CRD's patterns (karpenter.sh_nodepools.yaml, chart 1.14.1).
DURATION_OR_NEVER = r"([0-9]+(s|m|h))+|Never"  # consolidateAfter, expireAfter
DURATION = r"([0-9]+(s|m|h))+"  # terminationGracePeriod
BUDGET_DURATION = r"(([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?"  # a budget's duration: minutes and hours only
BUDGET_NODES = r"(100|[0-9]{1,2})%|[0-9]+"
CRON = r"@(annually|yearly|monthly|weekly|daily|midnight|hourly)|\S+ \S+ \S+ \S+ \S+"
QUANTITY_CPU = r"[0-9]+m|[0-9]+(\.[0-9]+)?"
QUANTITY_MEMORY = r"[0-9]+(Mi|Gi)"
AMI_ALIAS = r"al2023@(latest|v[0-9]{8})"


def seconds(duration: str) -> float:
    """``1h30m`` -> 5400; ``Never`` -> infinity."""
    if duration == "Never":
        return float("inf")
    return sum(int(n) * {"s": 1, "m": 60, "h": 3600}[unit] for n, unit in re.findall(r"([0-9]+)(s|m|h)", duration))


def matching(pattern: str, what: str, allowed_text: str) -> Any:
    """A text type that must match ``pattern`` whole (``what`` names it in the error)."""
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"is not {what}")
        return value

    return Annotated[str, AfterValidator(check), Allowed(allowed_text)]


DurationOrNever = matching(DURATION_OR_NEVER, "a duration (e.g. 30s, 10m, 720h) or Never",
                           "duration (`30s`, `10m`, `720h`) or `Never`")
Duration = matching(DURATION, "a duration (e.g. 30m, 1h)", "duration (`1h`, `30m`)")
BudgetDuration = matching(BUDGET_DURATION, "a budget duration in hours and minutes (e.g. 4h, 90m, 1h30m)",
                          "hours and minutes: `4h`, `90m`, `1h30m`")
BudgetNodes = matching(BUDGET_NODES, "a node count (e.g. 1) or a percentage (e.g. 10%)",
                       "a count (`1`) or a percentage (`10%`)")
CronSchedule = matching(CRON, "a cron schedule (five fields in UTC, or @daily, @weekly, ...)",
                        "five-field cron or @daily etc., UTC")
AmiAlias = matching(AMI_ALIAS, "an AL2023 alias (al2023@v<YYYYMMDD>, or al2023@latest)",
                    "`al2023@v<YYYYMMDD>` or `al2023@latest`")
CpuQuantity = matching(QUANTITY_CPU, "a CPU quantity (e.g. 1, 500m)", "CPU quantity (`1`, `500m`)")
MemoryQuantity = matching(QUANTITY_MEMORY, "a memory quantity in Mi or Gi (e.g. 512Mi, 1Gi)",
                          "memory quantity (`1Gi`, `512Mi`)")


class FreezeWindow(Section):
    """``tiketi:autoscaling.nodePool.onSaleFreezes[]``: a window in which Karpenter disrupts no node."""

    schedule: CronSchedule = Field(description="when the window opens: cron in UTC (Karpenter has no time zones)")
    duration: BudgetDuration = Field(description="how long it stays open")


class NodePoolSettings(Section):
    """``tiketi:autoscaling.nodePool``: the Karpenter NodePool and EC2NodeClass the services' extra nodes come from."""

    instance_families: list[str] = Field(
        default=["m7g", "c7g", "m6g", "c6g"], min_length=1,
        description="EC2 families Karpenter may launch; Graviton only (the service images are linux/arm64)",
        json_schema_extra=allowed("Graviton families of components/config/catalog.py (t4g, m6g, m7g, c6g, c7g, "
                                  "r6g, r7g)"))
    capacity_types: list[Literal["on-demand", "spot"]] = Field(
        default=["on-demand"], min_length=1, description="purchase options Karpenter may use (it prefers spot when "
                                                         "both are allowed)")
    instance_cpu_min: int = Field(default=2, ge=1, le=64, description="smallest node Karpenter may launch, in vCPUs")
    instance_cpu_max: int = Field(default=16, ge=1, le=192, description="largest node Karpenter may launch, in vCPUs")
    cpu_limit: int = Field(default=32, ge=1, description="most vCPUs of all Karpenter nodes together (capacity, "
                                                         "not requests); the capacity check proves the HPA maximums "
                                                         "fit")
    memory_limit_gi: int = Field(default=128, ge=1, description="most memory of all Karpenter nodes together, GiB")
    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"] = Field(
        default="WhenEmptyOrUnderutilized", description="which nodes consolidation may remove")
    consolidate_after: DurationOrNever = Field(
        default="10m", description="how long a node must see no pod added or removed before consolidation; above "
                                   "the HPA scale-down window keeps nodes between on-sale waves")
    disruption_budget: BudgetNodes = Field(default="10%",
                                           description="most nodes consolidation and drift may disrupt at once")
    on_sale_freezes: list[FreezeWindow] = Field(
        default=[], description="windows (announced on-sales) in which Karpenter disrupts no node voluntarily",
        json_schema_extra=allowed("list of {schedule, duration}"))
    expire_after: DurationOrNever = Field(default="720h",
                                          description="replace nodes older than this (AMI and kernel updates)")
    termination_grace_period: Duration = Field(
        default="1h", description="most time a node drain may take (PDBs included) before Karpenter forces it")
    ami_alias: AmiAlias = Field(default="al2023@v20260714", description="EC2NodeClass AMI: a pinned AL2023 release "
                                                                        "(EKS best practice for production)")

    @model_validator(mode="after")
    def _sizes(self) -> NodePoolSettings:
        key = "tiketi:autoscaling.nodePool"
        known = list(EKS_NODE_INSTANCE_TYPES.families)
        for index, family in enumerate(self.instance_families):
            if family not in known:
                raise KeyProblemError(f"{key}.instanceFamilies[{index}]", family,
                                       f"is not an EC2 family this program knows; expected one of {', '.join(known)}"
                                       f"{did_you_mean(family, known)}")
            if family not in EKS_NODE_INSTANCE_TYPES.graviton:
                raise KeyProblemError(
                    f"{key}.instanceFamilies[{index}]", family,
                    f"is an x86_64 family, but the service images are built for linux/{IMAGE_ARCHITECTURE} only; "
                    f"use a Graviton family ({', '.join(sorted(EKS_NODE_INSTANCE_TYPES.graviton))})")
        if self.instance_cpu_min > self.instance_cpu_max:
            raise KeyProblemError(f"{key}.instanceCpuMin", self.instance_cpu_min,
                                   f"is above instanceCpuMax ({self.instance_cpu_max})")
        if not self.instance_types:
            raise KeyProblemError(f"{key}.instanceFamilies", self.instance_families,
                                   f"offer no instance type with {self.instance_cpu_min} to {self.instance_cpu_max} "
                                   "vCPUs (instanceCpuMin, instanceCpuMax)")
        smallest = min(EC2_NODE_SIZES[t].vcpu for t in self.instance_types)
        if smallest > self.cpu_limit:
            raise KeyProblemError(f"{key}.cpuLimit", self.cpu_limit,
                                   f"is below the smallest node Karpenter may launch ({smallest} vCPUs): it could "
                                   "never add a node")
        return self

    @property
    def instance_types(self) -> tuple[str, ...]:
        """Every instance type the NodePool's requirements allow (families x vCPU range)."""
        return tuple(name for name in EKS_NODE_INSTANCE_TYPES.names
                     if EKS_NODE_INSTANCE_TYPES.family_of(name) in self.instance_families
                     and name in EC2_NODE_SIZES
                     and self.instance_cpu_min <= EC2_NODE_SIZES[name].vcpu <= self.instance_cpu_max)


class AutoscalingSettings(Section):
    """``tiketi:autoscaling``: metrics-server and Karpenter (staging, prod)."""

    metrics_server_chart: VersionString = Field(
        default="3.13.1", description="metrics-server Helm chart (3.13.1 is app 0.8.1: 0.8.x serves Kubernetes "
                                      "1.31+, 0.9 needs 1.34)")
    karpenter_chart: VersionString = Field(default="1.14.1", description="Karpenter and karpenter-crd Helm charts "
                                                                         "(Kubernetes 1.35 needs 1.9 or later)")
    karpenter_cpu: CpuQuantity = Field(default="1", description="Karpenter controller CPU request and limit, per "
                                                                "replica (two replicas, on the fixed node group)")
    karpenter_memory: MemoryQuantity = Field(default="1Gi",
                                             description="Karpenter controller memory request and limit")
    node_pool: NodePoolSettings = Field(default=NodePoolSettings(), description="the NodePool")

