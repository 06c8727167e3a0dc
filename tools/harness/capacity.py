"""Capacity check at render time: does the stack, as rendered, hold its own maximums?

Reads the figures back from the rendered objects (not from config), so it checks what would be
deployed: each Deployment's requests, surge and database pool (the ConfigMap it reads, HikariCP's
default of 10 otherwise); its HPA's range; the managed node group's instance types and minimum;
the NodePool's requirements and limits; the controllers' Helm values and the EKS add-ons; the RDS
parameter group's ``max_connections`` and RDS Proxy's pool percentage; the worker's event source
mapping. The arithmetic is components/capacity/, shared with config validation (which stops
``pulumi up`` on the same problems, naming the key). Also checked here, because only the rendered
objects show both sides: every Deployment a TargetGroupBinding fills sleeps in ``preStop`` longer
than its target group's deregistration delay, and its grace period covers that sleep.

``make render`` prints the figures in the summary and fails on any problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from components import capacity
from components.capacity import Finding, Plan, Report, Resources, Workload
from components.config.catalog import EC2_NODE_SIZES
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot, unwrap

HIKARI_DEFAULT_POOL = 10  # HikariCP maximumPoolSize default (brettwooldridge/HikariCP README, HikariConfig.java)
POOL_KEY = "SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _inputs(resource: Registration) -> dict:
    return unwrap(resource.inputs)


def _pod_request(pod: dict) -> Resources:
    """The scheduler's view of a pod: the larger of the containers' sum and any one init container."""
    def of(container: dict) -> Resources:
        wanted = container.get("resources", {}).get("requests", {})
        return capacity.requests(wanted.get("cpu", 0), wanted.get("memory", 0))

    containers = capacity.total(of(c) for c in pod.get("containers", []))
    inits = [of(c) for c in pod.get("initContainers", [])]
    return Resources(max([containers.cpu_m, *(i.cpu_m for i in inits)]),
                     max([containers.memory_mi, *(i.memory_mi for i in inits)]))


def _pool_size(snap: Snapshot, namespace: str, pod: dict) -> int:
    """Connections per pod: 0 without a datasource, else the pool size its environment sets (HikariCP's default)."""
    containers = pod.get("containers", [])
    if not any(v.get("name") == "SPRING_DATASOURCE_URL" for c in containers for v in c.get("env", [])):
        return 0
    for container in containers:
        for variable in container.get("env", []):
            if variable.get("name") == POOL_KEY and "value" in variable:
                return int(variable["value"])
        for source in container.get("envFrom", []):
            name = source.get("configMapRef", {}).get("name")
            for config_map in snap.all("kubernetes:core/v1:ConfigMap"):
                meta = _inputs(config_map).get("metadata", {})
                if meta.get("name") == name and meta.get("namespace") == namespace:
                    value = _inputs(config_map).get("data", {}).get(POOL_KEY)
                    if value is not None:
                        return int(value)
    return HIKARI_DEFAULT_POOL


def _surge(value: int | str, replicas: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(replicas * int(value[:-1]) / 100)
    return int(value)


def workloads_of(snap: Snapshot) -> list[Workload]:
    hpas = {(_inputs(h)["metadata"].get("namespace"), _inputs(h)["spec"]["scaleTargetRef"]["name"]): _inputs(h)["spec"]
            for h in snap.all("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")}
    found = []
    for deployment in snap.all(DEPLOYMENT):
        inputs = _inputs(deployment)
        name, namespace = inputs["metadata"]["name"], inputs["metadata"].get("namespace")
        spec, hpa = inputs["spec"], hpas.get((inputs["metadata"].get("namespace"), inputs["metadata"]["name"]))
        low, high = (hpa["minReplicas"], hpa["maxReplicas"]) if hpa else (spec.get("replicas", 1),) * 2
        strategy = spec.get("strategy", {})
        # Recreate starts no pod before the old ones stop; RollingUpdate's maxSurge defaults to 25 % (rounded up).
        surge = 0 if strategy.get("type") == "Recreate" else _surge(
            strategy.get("rollingUpdate", {}).get("maxSurge", "25%"), int(high))
        pod = spec["template"]["spec"]
        found.append(Workload(name, _pod_request(pod), int(low), int(high), int(surge),
                              _pool_size(snap, namespace, pod)))
    return sorted(found, key=lambda w: w.name)


# What each controller chart's values call its replica count, and where its requests sit: one
# (replicas path, requests path) per Deployment the chart runs.
CHART_PODS = {"karpenter": ((("replicas",), ("controller", "resources", "requests")),),
              "metrics-server": ((("replicas",), ("resources", "requests")),),
              "aws-load-balancer-controller": ((("replicaCount",), ("resources", "requests")),),
              # external-secrets chart 2.9.0 values.yaml: the controller, its webhook and its cert controller.
              "external-secrets": ((("replicaCount",), ("resources", "requests")),
                                   (("webhook", "replicaCount"), ("webhook", "resources", "requests")),
                                   (("certController", "replicaCount"), ("certController", "resources", "requests"))),
              # reloader chart 2.2.16 values.yaml: reloader.deployment.replicas and .resources.
              "reloader": ((("reloader", "deployment", "replicas"),
                            ("reloader", "deployment", "resources", "requests")),)}


def _value(values: dict, path: tuple[str, ...], default: Any) -> Any:
    for key in path:
        values = values.get(key, {}) if isinstance(values, dict) else {}
    return values if values != {} else default
CHARTS_WITHOUT_PODS = ("karpenter-crd",)


def system_pods_of(snap: Snapshot) -> capacity.SystemPods:
    """The EKS add-ons' pods, the Helm controllers' (from their values) and any rendered DaemonSet.

    A chart this table does not know is assumed to run a pod on every node."""
    base = capacity.addon_pods(_inputs(a)["addonName"] for a in snap.all("aws:eks/addon:Addon"))
    controllers, daemonsets, assumed = dict(base.controllers), dict(base.daemonsets), list(base.assumed)
    for release in snap.all(RELEASE):
        inputs = _inputs(release)
        chart, values = inputs["chart"].rsplit("/", 1)[-1], inputs.get("values", {})
        if chart in CHARTS_WITHOUT_PODS:
            continue
        if chart not in CHART_PODS:
            daemonsets[chart] = capacity.UNKNOWN_ADDON_DAEMONSET
            assumed.append(chart)
            continue
        total = capacity.Resources()
        for replicas_path, requests_path in CHART_PODS[chart]:
            wanted = _value(values, requests_path, {})
            total = total + capacity.requests(wanted.get("cpu", 0), wanted.get("memory", 0)) * int(
                _value(values, replicas_path, 1))
        controllers[chart] = total
    for daemonset in snap.all("kubernetes:apps/v1:DaemonSet"):
        inputs = _inputs(daemonset)
        daemonsets[inputs["metadata"]["name"]] = _pod_request(inputs["spec"]["template"]["spec"])
    return capacity.SystemPods(controllers, daemonsets, tuple(sorted(assumed)))


def node_pool_of(snap: Snapshot) -> capacity.NodePoolLimits | None:
    pools = snap.all("kubernetes:karpenter.sh/v1:NodePool")
    if not pools:
        return None
    spec = _inputs(pools[0])["spec"]
    allowed: dict[str, set[str]] = {}
    above, below = 0, 10 ** 6
    for requirement in spec["template"]["spec"]["requirements"]:
        key, operator, values = requirement["key"], requirement["operator"], requirement.get("values", [])
        if operator == "In":
            allowed[key] = set(values)
        elif key == "karpenter.k8s.aws/instance-cpu" and operator == "Gt":
            above = int(values[0])
        elif key == "karpenter.k8s.aws/instance-cpu" and operator == "Lt":
            below = int(values[0])
    families = allowed.get("karpenter.k8s.aws/instance-family")
    arches = allowed.get("kubernetes.io/arch")
    types = tuple(sorted(name for name, size in EC2_NODE_SIZES.items()
                  if (families is None or name.rsplit(".", 1)[0] in families)
                  and (arches is None or size.arch in arches) and above < size.vcpu < below))
    limits = spec.get("limits", {})
    return capacity.NodePoolLimits(types, capacity.requests(limits.get("cpu", 0), limits.get("memory", 0)))


def connections_of(snap: Snapshot) -> capacity.ConnectionBudget | None:
    groups = snap.all("aws:rds/parameterGroup:ParameterGroup")
    if not groups:
        return None
    parameters = {p["name"]: p["value"] for p in _inputs(groups[0]).get("parameters", [])}
    if "max_connections" not in parameters:
        return None  # RDS's default formula: not a number the render can know
    pools = snap.all("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup")
    percent = (int(_inputs(pools[0]).get("connectionPoolConfig", {}).get("maxConnectionsPercent", 100))
               if pools else None)
    return capacity.ConnectionBudget(int(parameters["max_connections"]), percent)


def worker_of(snap: Snapshot) -> capacity.WorkerFanOut | None:
    mappings = snap.all("aws:lambda/eventSourceMapping:EventSourceMapping")
    if not mappings:
        return None
    inputs = _inputs(mappings[0])
    return capacity.WorkerFanOut(int(inputs.get("scalingConfig", {}).get("maximumConcurrency", 1000)),
                                 int(inputs.get("batchSize", 10)))


class Inventory:
    """A render's ``resources.json`` entries, queried as the functions above query a snapshot (by type)."""

    @dataclass(frozen=True)
    class Entry:
        type: str
        name: str
        inputs: dict[str, Any]
        outputs: dict[str, Any] = field(default_factory=dict)

    def __init__(self, resources: list[dict[str, Any]]):
        self._entries = [self.Entry(e["type"], e["name"], e["inputs"]) for e in resources if e.get("custom")]

    def all(self, type_: str) -> list[Entry]:
        return [e for e in self._entries if e.type == type_]


def baseline_nodes(resources: list[dict[str, Any]]) -> dict[str, int]:
    """How many nodes of each type Karpenter may launch the workloads at their minimums need beyond the fixed
    node group (read from a render's entries, for the cost estimate); empty without a NodePool."""
    plan = plan_of(Inventory(resources))  # type: ignore[arg-type]
    if plan is None:
        return {}
    need = capacity.at_minimum(plan.workloads).beyond(capacity.fixed_group_free(plan))
    counts = {}
    for size in plan.node_pool.sizes():
        share = capacity.node_share(size, plan.system.per_node)
        counts[size.name] = max(-(-need.cpu_m // share.cpu_m), -(-need.memory_mi // share.memory_mi))
    return counts


def plan_of(snap: Snapshot) -> Plan | None:
    """The capacity plan of a rendered stack; None where no node autoscaler runs (the kind stack)."""
    pool = node_pool_of(snap)
    groups = snap.all("aws:eks/nodeGroup:NodeGroup")
    if pool is None or not groups:
        return None
    group = _inputs(groups[0])
    return Plan(workloads=workloads_of(snap), system=system_pods_of(snap),
                node_group_type=capacity.smallest_node(group["instanceTypes"]),
                node_group_nodes=int(group["scalingConfig"]["minSize"]), node_pool=pool,
                connections=connections_of(snap), worker=worker_of(snap))


def shutdown_findings(snap: Snapshot) -> list[Finding]:
    """Every bound Deployment outlasts its target group's deregistration and its grace covers the sleep."""
    groups = {r.outputs.get("arn"): _inputs(r) for r in snap.all("aws:lb/targetGroup:TargetGroup")}
    deployments = {_inputs(d)["metadata"]["name"]: _inputs(d) for d in snap.all(DEPLOYMENT)}
    findings = []
    bindings = [_inputs(b) for b in snap.all("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")]
    # Registration order follows the event loop: sort, so two renders print the same lines.
    for binding in sorted(bindings, key=lambda b: b["spec"]["serviceRef"]["name"]):
        spec = binding["spec"]
        service, group = spec["serviceRef"]["name"], groups.get(spec["targetGroupARN"], {})
        deployment = deployments.get(service)
        if deployment is None:
            continue
        delay = int(group.get("deregistrationDelay", 300))  # the ELB default
        pod = deployment["spec"]["template"]["spec"]
        sleeps = [c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
                  for c in pod["containers"]]
        sleep, grace = int(min(sleeps)), int(pod.get("terminationGracePeriodSeconds", 30))
        summary = (f"shutdown: {service} sleeps {sleep} s in preStop (target group deregistration delay {delay} s), "
                   f"grace {grace} s")
        ok = sleep > delay and grace > sleep
        findings.append(Finding(
            "shutdown", ok, summary, "tiketi:workloads.preStopSeconds", sleep,
            f"must exceed the deregistration delay of {service}'s target group ({delay} s) and stay under its "
            f"grace period ({grace} s): otherwise the ALB still sends requests to a pod that has stopped"))
    return findings


def report(snap: Snapshot) -> Report:
    plan = plan_of(snap)
    result = capacity.check(plan) if plan is not None else Report(lines=["no node autoscaling: nothing to check"])
    if plan is not None and plan.system.assumed:
        assumed = ", ".join(plan.system.assumed)
        result.lines.append(f"assumed {capacity.UNKNOWN_ADDON_DAEMONSET} per node for: {assumed}")
    for finding in shutdown_findings(snap):
        result.findings.append(finding)
        result.lines.append(finding.summary)
    return result


def problems(result: Report) -> list[str]:
    return [f"[capacity-{f.check}] {f.key}: {f.value} {f.problem}" for f in result.problems]
