"""The first deploy on EKS and kind (issue 13): what is created before what, and the deployServices switch."""

from __future__ import annotations

import base64
import json

import pytest

from components.services import SERVICES, secret_keys
from tests.support.manifests import manifest, of_kind
from tools.harness.deploy_order import DependencyGraph, check_deploy_order
from tools.harness.mock_engine import load_stack_config_file, run_program
from tools.harness.snapshot import Snapshot, unwrap
from tools.harness.urns import golden_urns

SPRING = ["gateway-service", "auth-service", "ticket-service", "payment-service", "stats-service", "queue-service",
          "community-service", "frontend"]


def without_services(stack: str) -> Snapshot:
    workloads = json.loads(load_stack_config_file(stack)[0]["tiketi:workloads"])
    return Snapshot(run_program(stack, {"tiketi:workloads": json.dumps({**workloads, "deployServices": False})}))


@pytest.fixture(scope="module")
def staging_first() -> Snapshot:
    return without_services("staging")


@pytest.fixture(scope="module")
def local_platform_only() -> Snapshot:
    return without_services("local")


def test_first_aws_update_builds_everything_but_the_deployments(staging_first, staging):
    assert of_kind(staging_first, "Deployment") == {}
    assert of_kind(staging_first, "HorizontalPodAutoscaler") == {}
    assert of_kind(staging_first, "PodDisruptionBudget") == {}
    # What the second update needs already exists: registries, cluster, config, services, policies, bindings.
    assert len(staging_first.all("aws:ecr/repository:Repository")) == len(SPRING)
    assert set(of_kind(staging_first, "Service")) == set(SPRING)
    assert set(of_kind(staging_first, "ConfigMap")) == {"spring-config", "database-bootstrap-script"}
    # Pulumi writes no Secret on AWS: the operator syncs each one, and the database bootstrap runs.
    assert of_kind(staging_first, "Secret") == {}
    assert set(of_kind(staging_first, "ExternalSecret")) == {
        "gateway-service-secrets", "auth-service-secrets", "ticket-service-secrets", "payment-service-secrets",
        "stats-service-secrets", "queue-service-secrets", "community-service-secrets", "database-bootstrap"}
    assert set(of_kind(staging_first, "Job")) == {"database-bootstrap"}
    for namespace in ("tiketi-staging", "tiketi-staging-db-bootstrap"):
        assert set(of_kind(staging_first, "NetworkPolicy", namespace)) == set(of_kind(staging, "NetworkPolicy",
                                                                                      namespace))
    assert set(of_kind(staging_first, "TargetGroupBinding")) == {"frontend", "gateway-service", "ticket-service"}
    # Turning the switch on later only adds resources: nothing of the first update is replaced.
    first = {r.urn for r in staging_first.registrations}
    assert first <= set(golden_urns("staging"))
    added = {urn.rsplit("::", 1)[0].rsplit("$", 1)[-1] for urn in set(golden_urns("staging")) - first}
    assert added == {"kubernetes:apps/v1:Deployment", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
                     "kubernetes:policy/v1:PodDisruptionBudget"}
    assert check_deploy_order(staging_first) == []


def test_platform_only_kind_stack_has_the_platform_and_no_spring_service(local_platform_only):
    deployments = set(of_kind(local_platform_only, "Deployment"))
    assert deployments == {"postgres-spring", "dragonfly-spring", "kafka-spring", "zipkin-spring", "loki", "grafana"}
    assert set(of_kind(local_platform_only, "DaemonSet")) == {"promtail"}
    assert check_deploy_order(local_platform_only) == []


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_every_deployment_waits_for_the_config_map_and_its_own_secret(stack, request):
    snap = request.getfixturevalue(stack)
    graph = DependencyGraph(snap)
    config_map = snap.one("kubernetes:core/v1:ConfigMap", metadata={"name": lambda n: n.startswith("spring-")})
    # kind: the Secret Pulumi writes; AWS: the ExternalSecret that writes it (awaited until synced).
    source = "kubernetes:core/v1:Secret" if stack == "local" else "kubernetes:external-secrets.io/v1:ExternalSecret"
    redis_auth = stack != "local"  # Dragonfly on kind takes no password
    for service in SERVICES:
        if not service.is_backend:
            continue
        [deployment] = [r for r in snap.all("kubernetes:apps/v1:Deployment") if r.name == f"workloads-{service.name}"]
        assert graph.waits_for(deployment, config_map), service.name
        secrets = snap.all(source, metadata={"name": f"{service.name}-secrets"})
        if not secret_keys(service, redis_auth=redis_auth):  # the gateway on kind reads no secret
            assert secrets == [] and service.name == "gateway-service" and stack == "local"
            continue
        [secret] = secrets
        assert graph.waits_for(deployment, secret), service.name


def test_on_aws_the_services_start_after_the_data_services_exist(prod):
    # The ConfigMap carries the proxy's and the cache's endpoints, so a Deployment that waits for
    # the ConfigMap waits for RDS, RDS Proxy and ElastiCache: its pods never start against nothing.
    graph = DependencyGraph(prod)
    [ticket] = [r for r in prod.all("kubernetes:apps/v1:Deployment") if r.name == "workloads-ticket-service"]
    for data_service in ("aws:rds/instance:Instance", "aws:rds/proxy:Proxy",
                         "aws:elasticache/replicationGroup:ReplicationGroup"):
        assert graph.waits_for(ticket, prod.one(data_service)), data_service


def test_kind_platform_waits_for_the_namespace_and_not_for_any_service(local):
    graph = DependencyGraph(local)
    [namespace] = local.all("kubernetes:core/v1:Namespace")
    platform = [r for r in local.registrations if r.type in ("kubernetes:apps/v1:Deployment",
                                                             "kubernetes:apps/v1:DaemonSet")
                and not r.name.startswith("workloads-")]
    assert len(platform) == 7
    spring = [r for r in local.all("kubernetes:apps/v1:Deployment") if r.name.startswith("workloads-")]
    for workload in platform:
        assert graph.waits_for(workload, namespace), workload.name
        assert not any(graph.waits_for(workload, service) for service in spring), workload.name


def test_pulumi_writes_no_secret_on_aws(aws_stack):
    # Every Secret there is the operator's (synced from Secrets Manager): none holds a value from Pulumi state.
    assert aws_stack.all("kubernetes:core/v1:Secret") == []


def test_no_secret_uses_string_data(local):
    # Under server-side apply a key removed from stringData stays in the live Secret.
    secrets = local.all("kubernetes:core/v1:Secret")
    assert len(secrets) > 5
    for secret in secrets:
        assert "stringData" not in secret.inputs, secret.name
        data = unwrap(secret.inputs["data"])
        assert all(base64.b64decode(value, validate=True) for value in data.values()), secret.name
        assert secret.inputs["data"]["4dabf18193072939515e22adb298388d"]  # the whole data map stays secret


def test_the_load_balancer_controller_registers_no_service_webhook(aws_stack):
    values = aws_stack.one("kubernetes:helm.sh/v3:Release", chart="aws-load-balancer-controller").inputs["values"]
    assert values["enableServiceMutatorWebhook"] is False
    assert of_kind(aws_stack, "Service") and all(
        s["spec"]["type"] == "ClusterIP" for s in of_kind(aws_stack, "Service").values())  # no LoadBalancer Services


def test_grafana_logs_to_the_console_only(local):
    [container] = manifest(local, "Deployment", "grafana")["spec"]["template"]["spec"]["containers"]
    assert {"name": "GF_LOG_MODE", "value": "console"} in container["env"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
