"""components/config/autoscaling.py: tiketi:autoscaling (metrics-server, Karpenter's NodePool)."""

from __future__ import annotations

import pytest

from components.config.autoscaling import NodePoolSettings, seconds
from tests.support.config import DATABASE, WORKER, WORKLOADS, aws_config, parse, parse_aws, problem_with, problems_of


def test_defaults_are_production_s():
    settings = parse_aws().autoscaling
    assert (settings.metrics_server_chart, settings.karpenter_chart) == ("3.13.1", "1.14.1")
    assert (settings.karpenter_cpu, settings.karpenter_memory) == ("1", "1Gi")
    pool = settings.node_pool
    assert pool.instance_families == ["m7g", "c7g", "m6g", "c6g"] and pool.capacity_types == ["on-demand"]
    assert (pool.instance_cpu_min, pool.instance_cpu_max, pool.cpu_limit, pool.memory_limit_gi) == (2, 16, 32, 128)
    assert (pool.consolidation_policy, pool.consolidate_after, pool.disruption_budget) == (
        "WhenEmptyOrUnderutilized", "10m", "10%")
    assert (pool.expire_after, pool.termination_grace_period, pool.ami_alias, pool.on_sale_freezes) == (
        "720h", "1h", "al2023@v20260714", [])


def test_staging_runs_spot_first_under_a_smaller_ceiling():
    settings = parse("staging").autoscaling
    assert (settings.karpenter_cpu, settings.karpenter_memory) == ("500m", "512Mi")
    assert (settings.node_pool.capacity_types, settings.node_pool.cpu_limit, settings.node_pool.memory_limit_gi) == (
        ["spot", "on-demand"], 8, 32)


def test_prod_takes_the_defaults():
    assert parse("prod").autoscaling == parse_aws().autoscaling


def test_the_node_pool_allows_every_size_of_its_families_within_the_cpu_range():
    pool = NodePoolSettings(instance_families=["c7g"], instance_cpu_min=2, instance_cpu_max=8)
    assert pool.instance_types == ("c7g.large", "c7g.xlarge", "c7g.2xlarge")


def test_autoscaling_is_only_for_aws_stacks():
    from tests.support.config import KIND

    assert problems_of({**KIND, "tiketi:autoscaling": "{}"}, "local") == [
        "tiketi:autoscaling: is only for tiketi:platform aws, not kind; remove it"]


@pytest.mark.parametrize("duration,expected", [("10m", 600), ("1h30m", 5400), ("720h", 2592000), ("45s", 45)])
def test_durations_in_seconds(duration, expected):
    assert seconds(duration) == expected
    assert seconds("Never") == float("inf")


# --- bad input -----------------------------------------------------------------------------------


def test_an_x86_family_is_refused_the_images_are_arm64():  # NodePoolSettings._sizes
    assert problem_with("autoscaling", nodePool={"instanceFamilies": ["m7g", "m7i"]}) == (
        'tiketi:autoscaling.nodePool.instanceFamilies[1]: "m7i" is an x86_64 family, but the service images are '
        "built for linux/arm64 only; use a Graviton family (c6g, c7g, m6g, m7g, r6g, r7g, t4g)")


def test_an_unknown_family_gets_the_closest_one():  # NodePoolSettings._sizes
    assert problem_with("autoscaling", nodePool={"instanceFamilies": ["m7gg"]}).startswith(
        'tiketi:autoscaling.nodePool.instanceFamilies[0]: "m7gg" is not an EC2 family this program knows; '
        "expected one of t4g, m6g, m7g")
    assert problem_with("autoscaling", nodePool={"instanceFamilies": ["m7gg"]}).endswith("(did you mean m7g?)")


def test_a_cpu_range_that_allows_no_instance_type_is_refused():  # NodePoolSettings._sizes
    assert problem_with("autoscaling", nodePool={"instanceCpuMin": 8, "instanceCpuMax": 4}) == (
        "tiketi:autoscaling.nodePool.instanceCpuMin: 8 is above instanceCpuMax (4)")
    assert problem_with("autoscaling", nodePool={"instanceFamilies": ["t4g"], "instanceCpuMin": 16,
                                                 "instanceCpuMax": 32}) == (
        'tiketi:autoscaling.nodePool.instanceFamilies: ["t4g"] offer no instance type with 16 to 32 vCPUs '
        "(instanceCpuMin, instanceCpuMax)")


def test_a_cpu_limit_below_the_smallest_node_is_refused():  # NodePoolSettings._sizes
    assert problem_with("autoscaling", nodePool={"instanceCpuMin": 4, "cpuLimit": 2}) == (
        "tiketi:autoscaling.nodePool.cpuLimit: 2 is below the smallest node Karpenter may launch (4 vCPUs): it could "
        "never add a node")


@pytest.mark.parametrize("key,value,what", [
    ("consolidateAfter", "10 minutes", "a duration (e.g. 30s, 10m, 720h) or Never"),
    ("expireAfter", "30d", "a duration (e.g. 30s, 10m, 720h) or Never"),
])
def test_durations_follow_the_node_pool_crd(key, value, what):  # NodePoolSettings._duration_or_never
    assert problem_with("autoscaling", nodePool={key: value}) == (
        f'tiketi:autoscaling.nodePool.{key}: "{value}" is not {what}')


def test_termination_grace_period_has_no_never():  # NodePoolSettings._duration
    assert problem_with("autoscaling", nodePool={"terminationGracePeriod": "Never"}) == (
        'tiketi:autoscaling.nodePool.terminationGracePeriod: "Never" is not a duration (e.g. 30m, 1h)')


@pytest.mark.parametrize("budget", ["110%", "ten", "-1"])
def test_a_disruption_budget_is_a_count_or_a_percentage(budget):  # NodePoolSettings._budget
    assert problem_with("autoscaling", nodePool={"disruptionBudget": budget}) == (
        f'tiketi:autoscaling.nodePool.disruptionBudget: "{budget}" is not a node count (e.g. 1) or a percentage '
        "(e.g. 10%)")


@pytest.mark.parametrize("alias", ["al2023@v2026", "bottlerocket@latest", "al2@latest"])
def test_the_ami_is_an_al2023_alias(alias):  # NodePoolSettings._alias
    assert problem_with("autoscaling", nodePool={"amiAlias": alias}) == (
        f'tiketi:autoscaling.nodePool.amiAlias: "{alias}" is not an AL2023 alias (al2023@v<YYYYMMDD>, or '
        "al2023@latest)")


def test_an_on_sale_freeze_needs_a_cron_schedule_and_an_hour_or_minute_duration():  # FreezeWindow._cron, _duration
    freeze = {"schedule": "0 11 * * *", "duration": "4h"}
    assert parse_aws(**{"tiketi:autoscaling": {"nodePool": {"onSaleFreezes": [freeze]}}}).autoscaling.node_pool \
        .on_sale_freezes[0].duration == "4h"
    assert problem_with("autoscaling", nodePool={"onSaleFreezes": [{**freeze, "schedule": "at 11"}]}) == (
        'tiketi:autoscaling.nodePool.onSaleFreezes[0].schedule: "at 11" is not a cron schedule (five fields in UTC, '
        "or @daily, @weekly, ...)")
    assert problem_with("autoscaling", nodePool={"onSaleFreezes": [{**freeze, "duration": "30s"}]}) == (
        'tiketi:autoscaling.nodePool.onSaleFreezes[0].duration: "30s" is not a budget duration in hours and minutes '
        "(e.g. 4h, 90m, 1h30m)")


def test_controller_requests_are_kubernetes_quantities():  # AutoscalingSettings._cpu, _memory
    assert problem_with("autoscaling", karpenterCpu="one") == (
        'tiketi:autoscaling.karpenterCpu: "one" is not a CPU quantity (e.g. 1, 500m)')
    assert problem_with("autoscaling", karpenterMemory="1GB") == (
        'tiketi:autoscaling.karpenterMemory: "1GB" is not a memory quantity in Mi or Gi (e.g. 512Mi, 1Gi)')


# --- the stack holds its own maximums (StackConfig._capacity; arithmetic in components/capacity/) ---------


def test_node_limits_below_what_the_hpas_need_name_the_limit_and_what_would_fit():  # StackConfig._capacity
    workloads = {**WORKLOADS, "autoscaling": {"gateway-service": {"min": 3, "max": 70},
                                              "ticket-service": {"min": 1, "max": 10}}}
    [problem] = problems_of(aws_config(**{"tiketi:workloads": workloads,
                                          "tiketi:autoscaling": {"nodePool": {"cpuLimit": 8}}}))
    assert problem == (
        "tiketi:autoscaling.nodePool.cpuLimit: 8 lets Karpenter add only 5.80 vCPU for pods, but the workloads at "
        "their maximums (HPA maximums, plus a surge pod each) need 18.40 vCPU, of which the fixed node group holds "
        "1.73 vCPU: raise it to at least 24 vCPU")
    # Each node keeps its share for kube-reserved and the DaemonSets (0.48 vCPU on a 2-vCPU node), and
    # Karpenter may launch small nodes: the suggestion is the limit that fits whatever it launches.
    def with_limit(limit: int) -> dict:
        return {"tiketi:workloads": workloads, "tiketi:autoscaling": {"nodePool": {"cpuLimit": limit}}}

    assert problems_of(aws_config(**with_limit(23)))[0].startswith("tiketi:autoscaling.nodePool.cpuLimit: 23 ")
    assert parse_aws(**with_limit(24)).autoscaling.node_pool.cpu_limit == 24


def test_a_memory_limit_that_caps_the_nodes_says_so():  # StackConfig._capacity
    # 8 GiB allows one 2-vCPU general-purpose node: no CPU limit can make up for it.
    workloads = {**WORKLOADS, "autoscaling": {"gateway-service": {"min": 3, "max": 20},
                                              "ticket-service": {"min": 3, "max": 10}}}
    [problem] = problems_of(aws_config(**{"tiketi:workloads": workloads,
                                          "tiketi:autoscaling": {"nodePool": {"memoryLimitGi": 8}}}))
    assert problem.startswith("tiketi:autoscaling.nodePool.cpuLimit: 32 lets Karpenter add only 1.45 vCPU for pods")
    assert problem.endswith("memoryLimitGi caps the nodes Karpenter may launch: raise memoryLimitGi to at least 36 GiB")


def test_a_fixed_group_too_small_for_the_controllers_is_refused():  # StackConfig._capacity
    assert problem_with("cluster", minSize=1, desiredSize=1) == (
        "tiketi:cluster.minSize: 1 m7g.large nodes leave 1.45 vCPU, 6.4 GiB to pods after DaemonSets, but the "
        "controllers that must run there (amazon-cloudwatch-observability, aws-ebs-csi-driver, "
        "aws-load-balancer-controller, coredns, external-secrets, karpenter, metrics-server, reloader) request 2.62 "
        "vCPU, 3.0 GiB: raise minSize "
        "or the node group's instance size")


def test_pools_beyond_the_proxy_budget_are_refused():  # StackConfig._capacity
    [problem] = problems_of(aws_config(**{"tiketi:database": {**DATABASE, "maxConnections": 100}}))
    assert problem == (
        "tiketi:database.maxConnections: 100 leaves 95 connections to the services, but at their maximums (plus one "
        "surge pod each) their HikariCP pools hold 190 (auth-service 2x10 + community-service 2x10 + "
        "payment-service 2x10 + stats-service 2x10 + ticket-service 11x10): raise it, lower "
        "tiketi:workloads.databasePoolSize or the HPA maximums")


def test_a_worker_that_outruns_ticket_service_is_refused():  # StackConfig._capacity
    workloads = {**WORKLOADS, "autoscaling": {"ticket-service": {"min": 1, "max": 4}}}
    [problem] = problems_of(aws_config(**{"tiketi:workloads": workloads,
                                          "tiketi:worker": {**WORKER, "maximumConcurrency": 10}}))
    assert problem == (
        "tiketi:worker.maximumConcurrency: 10 lets the worker have 100 calls in flight (10 per invocation), but "
        "ticket-service at its maximum holds 40 database connections: lower it to at most 4 or raise "
        "ticket-service's maximum")


def test_nodes_must_outlast_their_pods_shutdown():  # StackConfig._capacity
    assert problem_with("autoscaling", nodePool={"terminationGracePeriod": "60s"}) == (
        'tiketi:autoscaling.nodePool.terminationGracePeriod: "60s" must be longer than '
        "tiketi:workloads.terminationGraceSeconds (75): a node must outlast its pods' shutdown")
