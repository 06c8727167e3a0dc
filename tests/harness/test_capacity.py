"""The capacity check (tools/harness/capacity.py over components/capacity/): the figures of the committed
stacks, agreement with config validation, and every check failing on a stack that cannot hold its maximums."""

from __future__ import annotations

import copy
import dataclasses

from components import capacity
from components.capacity import ConnectionBudget, NodePoolLimits, Plan, Resources, SystemPods, WorkerFanOut, Workload
from components.config.catalog import EC2_NODE_SIZES
from components.services import SERVICES
from tests.support.config import parse
from tools.harness import capacity as rendered
from tools.harness import inventory, render
from tools.harness.snapshot import Snapshot


def edited(snap: Snapshot, type_: str, name: str, change) -> Snapshot:
    """The snapshot with one registration's inputs changed (a deep copy; the session snapshot stays as it is)."""
    registrations = []
    for r in snap.registrations:
        if r.type == type_ and (r.inputs.get("metadata", {}).get("name") == name or r.name == name):
            inputs = copy.deepcopy(r.inputs)
            change(inputs)
            r = dataclasses.replace(r, inputs=inputs)
        registrations.append(r)
    return Snapshot(dataclasses.replace(snap.run, registrations=registrations))


# --- the committed stacks -------------------------------------------------------------------------------------


def test_the_render_reads_the_same_plan_the_config_describes(aws_stack):
    assert rendered.plan_of(aws_stack) == capacity.plan_from_config(parse(aws_stack.stack))


def test_staging_figures(staging):
    report = rendered.report(staging)
    assert report.problems == []
    assert report.lines == [
        "controllers: 1.62 vCPU, 2.0 GiB on the fixed node group's 2 x m7g.large (2.90 vCPU, 12.9 GiB after "
        "DaemonSets)",
        "workloads at their minimums: 1.50 vCPU, 2.2 GiB (Karpenter adds 0.22 vCPU, 0.0 GiB beyond the fixed node "
        "group even at rest); at their maximums plus a surge pod each: 4.40 vCPU, 6.6 GiB",
        "room: fixed node group 1.28 vCPU, 10.8 GiB left after the controllers + Karpenter at least 5.80 vCPU, "
        "10.9 GiB under its limits (8 vCPU, 32 GiB) = 7.08 vCPU, 21.8 GiB",
        "maximums: need 4.40 vCPU, 6.6 GiB, room 7.08 vCPU, 21.8 GiB (headroom 2680m CPU, 15490Mi memory)",
        "connections: need 160 (auth-service 3x10 + community-service 3x10 + payment-service 3x10 + stats-service "
        "3x10 + ticket-service 4x10), RDS Proxy allows 400 (max_connections 405 x 100% - 5 reserved)",
        "worker: 2 concurrent invocations x 10 parallel calls = 20 in flight; ticket-service holds 30 database "
        "connections at its maximum",
        "shutdown: frontend sleeps 40 s in preStop (target group deregistration delay 30 s), grace 75 s",
        "shutdown: gateway-service sleeps 40 s in preStop (target group deregistration delay 30 s), grace 75 s",
        "shutdown: ticket-service sleeps 40 s in preStop (target group deregistration delay 30 s), grace 75 s",
    ]


def test_prod_figures(prod):
    report = rendered.report(prod)
    assert report.problems == []
    assert report.lines[:6] == [
        "controllers: 2.62 vCPU, 3.0 GiB on the fixed node group's 3 x m7g.large (4.35 vCPU, 19.3 GiB after "
        "DaemonSets)",
        "workloads at their minimums: 3.20 vCPU, 4.9 GiB (Karpenter adds 1.47 vCPU, 0.0 GiB beyond the fixed node "
        "group even at rest); at their maximums plus a surge pod each: 10.20 vCPU, 15.1 GiB",
        "room: fixed node group 1.73 vCPU, 16.3 GiB left after the controllers + Karpenter at least 23.20 vCPU, "
        "43.7 GiB under its limits (32 vCPU, 128 GiB) = 24.93 vCPU, 60.0 GiB",
        "maximums: need 10.20 vCPU, 15.1 GiB, room 24.93 vCPU, 60.0 GiB (headroom 14730m CPU, 45925Mi memory)",
        "connections: need 350 (auth-service 7x10 + community-service 5x10 + payment-service 7x10 + stats-service "
        "5x10 + ticket-service 11x10), RDS Proxy allows 1617 (max_connections 1622 x 100% - 5 reserved)",
        "worker: 10 concurrent invocations x 10 parallel calls = 100 in flight; ticket-service holds 100 database "
        "connections at its maximum",
    ]


def test_the_kind_stack_has_nothing_to_check(local):
    assert rendered.report(local).lines == ["no node autoscaling: nothing to check"]


def test_the_summary_ends_with_the_capacity_figures_before_its_total(staging):
    text = render.full_summary(inventory.document(staging), rendered.report(staging))
    lines = text.splitlines()
    start = lines.index("capacity (requests; tools/harness/capacity.py)")
    assert lines[start + 1] == ("  controllers: 1.62 vCPU, 2.0 GiB on the fixed node group's 2 x m7g.large "
                                "(2.90 vCPU, 12.9 GiB after DaemonSets)")
    assert lines[-1].startswith("total: ") and start > lines.index("stack outputs")


# --- what the render reads ------------------------------------------------------------------------------------


def test_system_pods_come_from_the_add_ons_and_the_charts_values(staging):
    system = rendered.system_pods_of(staging)
    assert dict(system.controllers) == {
        "karpenter": Resources(1000, 1024), "metrics-server": Resources(200, 400),
        "aws-load-balancer-controller": Resources(0, 0), "coredns": Resources(200, 140),
        "aws-ebs-csi-driver": Resources(120, 464), "amazon-cloudwatch-observability": Resources(100, 64),
        # The secret operators' charts set no requests (their values.yaml); counted, not assumed per node.
        "external-secrets": Resources(0, 0), "reloader": Resources(0, 0)}
    assert dict(system.daemonsets) == {"vpc-cni": Resources(50, 0), "kube-proxy": Resources(100, 0),
                                       "aws-ebs-csi-driver": Resources(30, 104),
                                       "amazon-cloudwatch-observability": Resources(300, 153)}
    assert system.assumed == ()


def test_deployments_besides_the_services_count_too(prod):
    others = {w.name: w for w in rendered.workloads_of(prod)} .keys() - {s.name for s in SERVICES}
    assert others == {"adot-collector", "adot-metrics"}
    scraper = next(w for w in rendered.workloads_of(prod) if w.name == "adot-metrics")
    assert (scraper.min_replicas, scraper.max_replicas, scraper.surge) == (1, 1, 0)  # Recreate: no surge pod


def test_an_add_on_the_table_does_not_know_is_counted_on_every_node_and_named(staging):
    snap = edited(staging, "aws:eks/addon:Addon", "cluster-coredns",
                  lambda inputs: inputs.update(addonName="aws-guardduty-agent"))
    system = rendered.system_pods_of(snap)
    assert system.daemonsets["aws-guardduty-agent"] == capacity.UNKNOWN_ADDON_DAEMONSET
    assert system.assumed == ("aws-guardduty-agent",)
    assert rendered.report(snap).lines[-4] == "assumed 0.10 vCPU, 0.1 GiB per node for: aws-guardduty-agent"


def test_a_pod_requests_the_larger_of_its_containers_and_any_init_container():
    pod = {"containers": [{"resources": {"requests": {"cpu": "200m", "memory": "256Mi"}}},
                          {"resources": {"requests": {"cpu": "50m"}}}],
           "initContainers": [{"resources": {"requests": {"cpu": "1", "memory": "64Mi"}}}]}
    assert rendered._pod_request(pod) == Resources(1000, 256)


def test_quantities():
    assert (capacity.cpu_millis("200m"), capacity.cpu_millis("1"), capacity.cpu_millis(0.5)) == (200, 1000, 500)
    assert (capacity.memory_mebibytes("256Mi"), capacity.memory_mebibytes("1Gi"),
            capacity.memory_mebibytes("1G")) == (256, 1024, 954)
    # every suffix Kubernetes defines (binary Ki..Ti, decimal K..G, plain bytes), rounded up to whole MiB
    assert [capacity.memory_mebibytes(q) for q in ("2048Ki", "1025Ki", "1Ti", "1500K", "1048576K", "500M", "2G",
                                                   "1048576", "1")] == [2, 2, 1048576, 2, 1000, 477, 1908, 1, 1]


# --- failing cases: the render fails a stack that cannot hold its own maximums -----------------------------


def test_an_hpa_maximum_beyond_the_node_pool_fails_the_render(prod):
    snap = edited(prod, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "gateway-service",
                  lambda inputs: inputs["spec"].update(maxReplicas=200))
    # Both limits: compute nodes carry 2 GiB a vCPU, so more CPU alone would not bring the memory.
    assert rendered.problems(rendered.report(snap)) == [
        "[capacity-maximums] tiketi:autoscaling.nodePool.cpuLimit: 32 lets Karpenter add only 23.20 vCPU for pods, "
        "but the workloads at their maximums (HPA maximums, plus a surge pod each) need 48.20 vCPU, of which the "
        "fixed node group holds 1.73 vCPU: raise cpuLimit to at least 66 and memoryLimitGi to at least 264",
        "[capacity-maximums] tiketi:autoscaling.nodePool.memoryLimitGi: 128 lets Karpenter add only 43.7 GiB for "
        "pods, but the workloads at their maximums (HPA maximums, plus a surge pod each) need 62.6 GiB, of which the "
        "fixed node group holds 16.3 GiB: raise cpuLimit to at least 66 and memoryLimitGi to at least 264"]


def test_a_node_pool_limit_cut_below_the_need_fails_the_render(staging):
    snap = edited(staging, "kubernetes:karpenter.sh/v1:NodePool", "tiketi",
                  lambda inputs: inputs["spec"]["limits"].update(cpu="2", memory="4Gi"))
    problems = rendered.problems(rendered.report(snap))
    assert [p.split(":")[0] for p in problems] == ["[capacity-maximums] tiketi"]
    # One 2-vCPU, 4 GiB compute node fits those limits: 1.45 vCPU for pods after its DaemonSets.
    assert "lets Karpenter add only 1.45 vCPU for pods" in problems[0]


def test_controllers_that_outgrow_the_fixed_group_fail_the_render(staging):
    snap = edited(staging, "kubernetes:helm.sh/v3:Release", "node-autoscaling-controller",
                  lambda inputs: inputs["values"]["controller"]["resources"]["requests"].update(cpu="2"))
    [problem] = rendered.problems(rendered.report(snap))
    assert problem.startswith("[capacity-controllers] tiketi:cluster.minSize: 2 m7g.large nodes leave 2.90 vCPU, "
                              "12.9 GiB to pods after DaemonSets, but the controllers that must run there")


def test_pools_beyond_the_proxy_fail_the_render(prod):
    snap = edited(prod, "kubernetes:core/v1:ConfigMap", "spring-config",
                  lambda inputs: inputs["data"].update(SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE="50"))
    [problem] = rendered.problems(rendered.report(snap))
    assert problem.startswith("[capacity-connections] tiketi:database.maxConnections: 1622 leaves 1617 connections "
                              "to the services, but at their maximums (plus one surge pod each) their HikariCP pools "
                              "hold 1750")


def test_a_service_without_a_pool_size_is_budgeted_at_hikaris_default(prod):
    snap = edited(prod, "kubernetes:core/v1:ConfigMap", "spring-config",
                  lambda inputs: inputs["data"].pop("SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE"))
    assert {w.name: w.pool_size for w in rendered.workloads_of(snap) if w.pool_size} == {
        "auth-service": 10, "community-service": 10, "payment-service": 10, "stats-service": 10, "ticket-service": 10}


def test_a_worker_beyond_ticket_service_fails_the_render(prod):
    snap = edited(prod, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "ticket-service",
                  lambda inputs: inputs["spec"].update(maxReplicas=5))
    assert rendered.problems(rendered.report(snap)) == [
        "[capacity-worker] tiketi:worker.maximumConcurrency: 10 lets the worker have 100 calls in flight (10 per "
        "invocation), but ticket-service at its maximum holds 50 database connections: lower it to at most 5 or "
        "raise ticket-service's maximum"]


def test_a_pre_stop_shorter_than_the_deregistration_delay_fails_the_render(staging):
    snap = edited(staging, "kubernetes:apps/v1:Deployment", "gateway-service",
                  lambda inputs: inputs["spec"]["template"]["spec"]["containers"][0]["lifecycle"]["preStop"]["sleep"]
                  .update(seconds=20))
    assert rendered.problems(rendered.report(snap)) == [
        "[capacity-shutdown] tiketi:workloads.preStopSeconds: 20 must exceed the deregistration delay of "
        "gateway-service's target group (30 s) and stay under its grace period (75 s): otherwise the ALB still "
        "sends requests to a pod that has stopped"]


def test_the_render_exits_1_on_a_capacity_problem(tmp_path, capsys, monkeypatch):
    failing = capacity.Report(findings=[capacity.Finding("maximums", False, "need more", "tiketi:x.y", 1, "is short")])
    monkeypatch.setattr(render.capacity, "report", lambda snap: failing)
    assert render.main(["local", "--out", str(tmp_path), "--quiet"]) == 1
    assert "[capacity-maximums] tiketi:x.y: 1 is short" in capsys.readouterr().err


# --- the arithmetic alone ----------------------------------------------------------------------------------


def plan(**changes) -> Plan:
    base = Plan(
        workloads=[Workload("web", Resources(500, 512), 2, 4, 1, 10)],
        system=SystemPods({"controller": Resources(500, 512)}, {"agent": Resources(100, 100)}),
        node_group_type="m7g.large", node_group_nodes=2,
        node_pool=NodePoolLimits(("c7g.large", "c7g.xlarge"), Resources(8000, 16384)),
        connections=ConnectionBudget(100, 100), worker=WorkerFanOut(2, 10, "web"))
    return dataclasses.replace(base, **changes)


def test_karpenter_counts_only_whole_nodes_under_the_limits_and_the_least_generous_type():
    # c7g.large: 4 nodes by CPU, 4 by memory -> 4 x (1930 - 100); c7g.xlarge: 2 x (3920 - 100).
    usable = capacity.pool_usable(NodePoolLimits(("c7g.large", "c7g.xlarge"), Resources(8000, 16384)),
                                  Resources(100, 100))
    large, xlarge = EC2_NODE_SIZES["c7g.large"], EC2_NODE_SIZES["c7g.xlarge"]
    assert usable == Resources(min(4 * 1830, 2 * 3820),
                               min(4 * (large.allocatable_memory_mi - 100), 2 * (xlarge.allocatable_memory_mi - 100)))
    # A type larger than the limits is never launched, so it does not count.
    assert capacity.pool_usable(NodePoolLimits(("c7g.4xlarge",), Resources(8000, 16384)), Resources()) == Resources()


def test_each_check_fails_alone():
    assert capacity.check(plan()).problems == []
    assert [f.check for f in capacity.check(plan(node_group_nodes=0)).problems] == ["controllers"]
    busy = [Workload("web", Resources(500, 512), 2, 40, 1, 0)]
    assert [f.key for f in capacity.check(plan(workloads=busy, worker=None)).problems] == [
        "tiketi:autoscaling.nodePool.cpuLimit"]
    hungry = [Workload("web", Resources(100, 4096), 2, 10, 1, 0)]
    [memory] = capacity.check(plan(workloads=hungry, worker=None)).problems
    assert (memory.key, memory.value) == ("tiketi:autoscaling.nodePool.memoryLimitGi", 16)
    # Compute nodes carry 2 GiB a vCPU: the 8-vCPU limit caps the memory Karpenter can add as well.
    assert memory.problem.endswith("raise cpuLimit to at least 22 and memoryLimitGi to at least 44")
    assert [f.check for f in capacity.check(plan(connections=ConnectionBudget(50, 100))).problems] == ["connections"]
    assert [f.check for f in capacity.check(plan(worker=WorkerFanOut(5, 10, "web"))).problems] == ["worker"]


def test_the_connection_budget_without_a_proxy_is_the_instances():
    assert ConnectionBudget(405, None).usable == 400
    assert ConnectionBudget(405, 50).usable == 202
