"""The capacity check's four checks, their summary lines and what each failure says to change."""

from __future__ import annotations

import math
from collections.abc import Mapping

from components.capacity.model import (
    RDS_RESERVED_CONNECTIONS,
    Finding,
    NodePoolLimits,
    Plan,
    Report,
    Resources,
    at_maximum,
    at_minimum,
    fixed_group_free,
    node_share,
    pool_usable,
)
from components.config.catalog import EC2_NODE_SIZES


def _first_fit(pool: NodePoolLimits, per_node: Resources, need: Resources, vary: str) -> tuple[int, int] | None:
    """The smallest (vCPUs, GiB) limits under which ``need`` fits, raising only ``vary`` ("cpu", "memory")
    or both in their current ratio ("both"), never below the current limits (None: not even at 4096).

    A binary search: more limit never leaves pods less room (more or larger nodes, less of the limit left
    unused)."""
    cpu, memory = math.ceil(pool.limit.cpu_m / 1000), math.ceil(pool.limit.memory_mi / 1024)

    def limits(step: int) -> tuple[int, int]:
        return {"cpu": (max(cpu, step), memory), "memory": (cpu, max(memory, step)),
                "both": (max(cpu, step), max(memory, math.ceil(step * memory / cpu)))}[vary]

    def fits(step: int) -> bool:
        cpus, gib = limits(step)
        return need.fits_in(pool_usable(NodePoolLimits(pool.instance_types, Resources(cpus * 1000, gib * 1024)),
                                        per_node))

    low, high = 1, 4096
    if not fits(high):
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle + 1, high)
    return limits(low)


def _fix(pool: NodePoolLimits, per_node: Resources, need: Resources, dimension: str) -> str:
    """What to raise, in words: this limit, else the other one (it caps the nodes), else both."""
    other = "memory" if dimension == "cpu" else "cpu"
    names = {"cpu": ("cpuLimit", 0, "vCPU"), "memory": ("memoryLimitGi", 1, "GiB")}
    alone = _first_fit(pool, per_node, need, dimension)
    if alone:
        return f"raise it to at least {alone[names[dimension][1]]} {names[dimension][2]}"
    instead = _first_fit(pool, per_node, need, other)
    if instead:
        key, index, unit = names[other]
        return f"{key} caps the nodes Karpenter may launch: raise {key} to at least {instead[index]} {unit}"
    both = _first_fit(pool, per_node, need, "both")
    if both:
        return f"raise cpuLimit to at least {both[0]} and memoryLimitGi to at least {both[1]}"
    return "no limits fit: raise the fixed node group"


def check(plan: Plan, keys: Mapping[str, str] | None = None) -> Report:
    """Every finding and the summary lines. ``keys`` names the config key behind each figure."""
    keys = {**DEFAULT_KEYS, **(keys or {})}
    report = Report()
    _check_controllers(plan, keys, report)
    _check_maximums(plan, keys, report)
    if plan.connections is not None:
        _check_connections(plan, keys, report)
    if plan.worker is not None:
        _check_worker(plan, keys, report)
    return report


DEFAULT_KEYS = {
    "minSize": "tiketi:cluster.minSize",
    "cpuLimit": "tiketi:autoscaling.nodePool.cpuLimit",
    "memoryLimitGi": "tiketi:autoscaling.nodePool.memoryLimitGi",
    "maxConnections": "tiketi:database.maxConnections",
    "maximumConcurrency": "tiketi:worker.maximumConcurrency",
}


def _check_controllers(plan: Plan, keys: Mapping[str, str], report: Report) -> None:
    size = EC2_NODE_SIZES[plan.node_group_type]
    room = node_share(size, plan.system.per_node) * plan.node_group_nodes
    need = plan.system.controller_total
    summary = (f"controllers: {need} on the fixed node group's {plan.node_group_nodes} x {plan.node_group_type} "
               f"({room} after DaemonSets)")
    report.lines.append(summary)
    names = ", ".join(sorted(plan.system.controllers))
    report.findings.append(Finding(
        "controllers", need.fits_in(room), summary, keys["minSize"], plan.node_group_nodes,
        f"{plan.node_group_type} nodes leave {room} to pods after DaemonSets, but the controllers that must "
        f"run there ({names}) request {need}: raise minSize or the node group's instance size"))


def _check_maximums(plan: Plan, keys: Mapping[str, str], report: Report) -> None:
    free = fixed_group_free(plan)
    usable = pool_usable(plan.node_pool, plan.system.per_node)
    peak, floor_ = at_maximum(plan.workloads), at_minimum(plan.workloads)
    room = free + usable
    baseline = ("the fixed node group holds them" if floor_.fits_in(free)
                else f"Karpenter adds {floor_.beyond(free)} beyond the fixed node group even at rest")
    report.lines.append(f"workloads at their minimums: {floor_} ({baseline}); at their maximums plus a surge "
                        f"pod each: {peak}")
    report.lines.append(f"room: fixed node group {free} left after the controllers + Karpenter at least {usable} "
                        f"under its limits ({plan.node_pool.limit.cpu_m // 1000} vCPU, "
                        f"{plan.node_pool.limit.memory_mi // 1024} GiB) = {room}")
    summary = (f"maximums: need {peak}, room {room} "
               f"(headroom {room.cpu_m - peak.cpu_m}m CPU, {room.memory_mi - peak.memory_mi}Mi memory)")
    report.lines.append(summary)
    beyond = peak - free
    for dimension, key in (("cpu", "cpuLimit"), ("memory", "memoryLimitGi")):
        def of(resources: Resources, dimension: str = dimension) -> int:
            return resources.cpu_m if dimension == "cpu" else resources.memory_mi

        limit = of(plan.node_pool.limit) // (1000 if dimension == "cpu" else 1024)
        if of(peak) <= of(room):
            report.findings.append(Finding("maximums", True, summary, keys[key], limit))
            continue
        fix = _fix(plan.node_pool, plan.system.per_node, beyond.beyond(Resources()), dimension)
        report.findings.append(Finding(
            "maximums", False, summary, keys[key], limit,
            f"lets Karpenter add only {_amount(of(usable), dimension)} for pods, but the workloads at their "
            f"maximums (HPA maximums, plus a surge pod each) need {_amount(of(peak), dimension)}, of which the "
            f"fixed node group holds {_amount(of(free), dimension)}: {fix}"))


def _amount(value: int, dimension: str) -> str:
    return f"{value / 1000:.2f} vCPU" if dimension == "cpu" else f"{value / 1024:.1f} GiB"


def _check_connections(plan: Plan, keys: Mapping[str, str], report: Report) -> None:
    budget = plan.connections
    users = [w for w in plan.workloads if w.pool_size]
    need = sum((w.max_replicas + w.surge) * w.pool_size for w in users)
    via = "RDS Proxy" if budget.proxy_percent is not None else "the instance"
    detail = " + ".join(f"{w.name} {w.max_replicas + w.surge}x{w.pool_size}" for w in users)
    summary = (f"connections: need {need} ({detail}), {via} allows {budget.usable} "
               f"(max_connections {budget.max_connections}"
               + (f" x {budget.proxy_percent}%" if budget.proxy_percent is not None else "")
               + f" - {RDS_RESERVED_CONNECTIONS} reserved)")
    report.lines.append(summary)
    report.findings.append(Finding(
        "connections", need <= budget.usable, summary, keys["maxConnections"], budget.max_connections,
        f"leaves {budget.usable} connections to the services, but at their maximums (plus one surge pod each) "
        f"their HikariCP pools hold {need} ({detail}): raise it, lower tiketi:workloads.databasePoolSize or the "
        "HPA maximums"))


def _check_worker(plan: Plan, keys: Mapping[str, str], report: Report) -> None:
    fan_out = plan.worker
    target = next((w for w in plan.workloads if w.name == fan_out.target), None)
    in_flight = fan_out.concurrency * fan_out.per_invocation
    held = target.max_replicas * target.pool_size if target is not None and target.pool_size else 0
    summary = (f"worker: {fan_out.concurrency} concurrent invocations x {fan_out.per_invocation} parallel calls = "
               f"{in_flight} in flight; {fan_out.target} holds {held} database connections at its maximum")
    report.lines.append(summary)
    report.findings.append(Finding(
        "worker", in_flight <= held, summary, keys["maximumConcurrency"], fan_out.concurrency,
        f"lets the worker have {in_flight} calls in flight ({fan_out.per_invocation} per invocation), but "
        f"{fan_out.target} at its maximum holds {held} database connections: lower it to at most "
        f"{held // fan_out.per_invocation} or raise {fan_out.target}'s maximum"))
