"""The Kubernetes deploy-order rules: each catches the defect it names (synthetic), and every stack passes."""

from __future__ import annotations

import dataclasses

import pytest

from tests.program.test_invariants import registration, synthetic
from tools.harness.deploy_order.graph import check_rules
from tools.harness.deploy_order.kubernetes import KUBERNETES_RULES, clients_of, config_references, definitions_of
from tools.harness.mock_engine import Registration

RULES = {rule.name: rule for rule in KUBERNETES_RULES}
NS = "tiketi-spring"


def _with(r: Registration, **changes) -> Registration:
    return dataclasses.replace(r, **changes)


def deployment(name: str, pod: dict, labels: dict | None = None, **changes) -> Registration:
    inputs = {"metadata": {"name": name, "namespace": NS},
              "spec": {"template": {"metadata": {"labels": labels or {"app": name}}, "spec": pod}}}
    return _with(registration(name, type_="kubernetes:apps/v1:Deployment", inputs=inputs), **changes)


def config_map(name: str, data: dict | None = None) -> Registration:
    return registration(name, type_="kubernetes:core/v1:ConfigMap",
                        inputs={"metadata": {"name": name, "namespace": NS}, "data": data or {}})


def service(name: str, app: str) -> Registration:
    return registration(f"{name}-svc", type_="kubernetes:core/v1:Service",
                        inputs={"metadata": {"name": name, "namespace": NS}, "spec": {"selector": {"app": app}}})


def component(name: str, depends_on: tuple[str, ...] = ()) -> Registration:
    return Registration(urn=f"urn:pulumi:prod::tiketi::tiketi:test:Group::{name}", type="tiketi:test:Group",
                        name=name, parent=None, provider=None, custom=False, inputs={}, all_dependencies=depends_on)


# --- custom-resource-after-its-definition ----------------------------------------------------

BINDING = registration("binding", type_="kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding",
                       inputs={"metadata": {"name": "gateway", "namespace": NS}})
LBC = registration("lbc", type_="kubernetes:helm.sh/v3:Release", inputs={"chart": "aws-load-balancer-controller"})


def test_a_custom_resource_defined_by_nothing_is_reported():
    rule = RULES["custom-resource-after-its-definition"]
    assert check_rules(synthetic(BINDING), [rule]) == [
        "[custom-resource-after-its-definition] TargetGroupBinding binding does not wait for "
        "CustomResourceDefinition TargetGroupBinding in elbv2.k8s.aws (defined nowhere in this program): "
        f"{rule.why} ({rule.source})"]


def test_a_custom_resource_waits_for_the_chart_that_ships_its_crd():
    rule = [RULES["custom-resource-after-its-definition"]]
    assert len(check_rules(synthetic(LBC, BINDING), rule)) == 1  # created in parallel with the chart
    assert check_rules(synthetic(LBC, _with(BINDING, all_dependencies=(LBC.urn,))), rule) == []


def test_a_custom_resource_waits_for_a_crd_of_its_group_and_kind():
    crd = registration("crd", type_="kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
                       inputs={"spec": {"group": "elbv2.k8s.aws", "names": {"kind": "TargetGroupBinding"}}})
    other = registration("other", type_="kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
                         inputs={"spec": {"group": "elbv2.k8s.aws", "names": {"kind": "IngressClassParams"}}})
    snap = synthetic(crd, other, _with(BINDING, all_dependencies=(crd.urn,)))
    assert definitions_of(snap, snap.registrations[-1]) == [crd]
    assert check_rules(snap, [RULES["custom-resource-after-its-definition"]]) == []


def test_built_in_kinds_need_no_definition():
    snap = synthetic(config_map("cfg"), deployment("app", {}))
    assert check_rules(snap, [RULES["custom-resource-after-its-definition"]]) == []


# --- workload-after-its-config -----------------------------------------------------------------

POD = {"initContainers": [{"name": "init", "env": [
           {"name": "PGHOST", "valueFrom": {"configMapKeyRef": {"name": "spring-config", "key": "DB_HOST"}}},
           {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "spring-secret", "key": "P"}}}]}],
       "containers": [{"name": "app", "envFrom": [{"configMapRef": {"name": "spring-config"}},
                                                  {"secretRef": {"name": "extra", "optional": True}}]}],
       "volumes": [{"name": "tls", "secret": {"secretName": "tls"}},
                   {"name": "all", "projected": {"sources": [{"configMap": {"name": "dashboards"}}]}}]}


def test_every_way_a_pod_names_its_config_is_read():
    assert config_references(POD) == {("ConfigMap", "spring-config"), ("Secret", "spring-secret"), ("Secret", "tls"),
                                      ("ConfigMap", "dashboards")}  # the optional "extra" is left out


def test_a_workload_created_alongside_its_config_map_is_reported():
    secret = registration("secret", type_="kubernetes:core/v1:Secret",
                          inputs={"metadata": {"name": "spring-secret", "namespace": NS}})
    tls = registration("tls", type_="kubernetes:core/v1:Secret", inputs={"metadata": {"name": "tls", "namespace": NS}})
    dashboards = config_map("dashboards")
    cfg = config_map("spring-config")
    rule = [RULES["workload-after-its-config"]]
    app = deployment("app", POD, all_dependencies=(secret.urn, tls.urn, dashboards.urn))
    problems = check_rules(synthetic(cfg, secret, tls, dashboards, app), rule)
    assert [p.split(":")[0] for p in problems] == [
        "[workload-after-its-config] Deployment app does not wait for ConfigMap spring-config"]
    fixed = _with(app, all_dependencies=(cfg.urn, secret.urn, tls.urn, dashboards.urn))
    assert check_rules(synthetic(cfg, secret, tls, dashboards, fixed), rule) == []


def test_a_config_map_nobody_creates_is_reported():
    app = deployment("app", {"containers": [{"name": "a", "envFrom": [{"configMapRef": {"name": "ghost"}}]}]})
    [problem] = check_rules(synthetic(app), [RULES["workload-after-its-config"]])
    assert "does not wait for ConfigMap ghost (not created by this program)" in problem


def test_a_config_map_of_another_namespace_does_not_count():
    elsewhere = _with(config_map("ghost"), inputs={"metadata": {"name": "ghost", "namespace": "other"}, "data": {}})
    app = deployment("app", {"containers": [{"name": "a", "envFrom": [{"configMapRef": {"name": "ghost"}}]}]},
                     all_dependencies=(elsewhere.urn,))
    assert len(check_rules(synthetic(elsewhere, app), [RULES["workload-after-its-config"]])) == 1


# --- server-does-not-wait-for-its-clients --------------------------------------------------------


def kind_deadlock(platform_depends_on_workloads: bool) -> list[Registration]:
    """The `make local-up` deadlock: LocalPlatform had depends_on=[workloads]."""
    workloads = component("workloads")
    spring_config = _with(config_map("spring-kind-config", {"DB_HOST": "postgres-spring",
                                                             "AUTH_DB_URL": "jdbc:postgresql://postgres-spring:5432/a"}),
                          parent=workloads.urn)
    spring = deployment("auth-service", {"containers": [{"name": "a", "envFrom": [
        {"configMapRef": {"name": "spring-kind-config"}}]}]}, parent=workloads.urn,
        all_dependencies=(spring_config.urn,))
    platform = component("platform", (spring_config.urn, spring.urn) if platform_depends_on_workloads else ())
    postgres = deployment("postgres-spring", {"containers": [{"name": "postgres"}]}, parent=platform.urn)
    return [workloads, spring_config, spring, platform, postgres, _with(service("postgres-spring", "postgres-spring"),
                                                                          parent=platform.urn)]


def test_a_database_waiting_for_its_clients_through_a_component_is_the_deadlock():
    rule = RULES["server-does-not-wait-for-its-clients"]
    assert check_rules(synthetic(*kind_deadlock(True)), [rule]) == [
        "[server-does-not-wait-for-its-clients] Deployment postgres-spring waits for Deployment auth-service "
        "(Deployment postgres-spring -> Group platform -> Deployment auth-service): " + rule.why + f" ({rule.source})"]
    assert check_rules(synthetic(*kind_deadlock(False)), [rule]) == []


def test_clients_are_found_through_env_values_and_config_files():
    loki = deployment("loki", {"containers": [{"name": "loki"}]})
    promtail = deployment("promtail", {"containers": [{"name": "p"}],
                                       "volumes": [{"name": "c", "configMap": {"name": "promtail-config"}}]})
    grafana = deployment("grafana", {"containers": [{"name": "g", "env": [
        {"name": "LOKI", "value": "http://loki-service.tiketi-spring.svc:3100"}]}]})
    bystander = deployment("other", {"containers": [{"name": "o", "env": [
        {"name": "X", "value": "http://loki-service-old:3100"}]}]})  # another host, not loki-service
    snap = synthetic(loki, promtail, grafana, bystander, service("loki-service", "loki"),
                     config_map("promtail-config", {"promtail.yaml": "clients:\n- url: http://loki-service:3100/push"}))
    assert [c.name for c in clients_of(snap, loki)] == ["promtail", "grafana"]


# --- the real stacks ------------------------------------------------------------------------------


def test_every_stack_keeps_every_kubernetes_order_rule(any_stack):
    assert check_rules(any_stack, KUBERNETES_RULES) == []


def test_the_rules_see_the_real_dependencies(local, prod):
    # Not vacuous: the kind platform's clients and the bindings' chart are found on the real stacks.
    [postgres] = [r for r in local.all("kubernetes:apps/v1:Deployment") if r.name == "local-platform-postgres-spring"]
    assert sorted(c.inputs["metadata"]["name"] for c in clients_of(local, postgres)) == sorted(
        ["gateway-service", "auth-service", "ticket-service", "payment-service", "stats-service", "queue-service",
         "community-service"])
    [loki] = [r for r in local.all("kubernetes:apps/v1:Deployment") if r.name == "local-observability-loki"]
    assert sorted(c.inputs["metadata"]["name"] for c in clients_of(local, loki)) == ["grafana", "promtail"]
    for binding in prod.all("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"):
        assert [d.type for d in definitions_of(prod, binding)] == ["kubernetes:helm.sh/v3:Release"]


@pytest.mark.parametrize("stack", ["local", "prod"])
def test_every_workload_reads_only_config_the_program_creates_and_waits_for(stack, request):
    snap = request.getfixturevalue(stack)
    deployments = snap.all("kubernetes:apps/v1:Deployment")
    assert deployments and all(config_references(d.inputs["spec"]["template"]["spec"]) for d in deployments
                               if d.inputs["metadata"]["name"] not in ("dragonfly-spring", "kafka-spring",
                                                                       "zipkin-spring", "frontend"))
