"""The eight services on the prod snapshot, value by value against spec 1.2, 1.3, 2 and 3.1 (and staging, local)."""

from __future__ import annotations

import pytest

from components.services import SERVICES
from tests.support.manifests import containers, manifest, of_kind, pod_specs

RESOURCES = {  # spec 1.3: port, cpu request/limit, memory request/limit
    "gateway-service": (3001, "200m", "1", "256Mi", "1Gi"),
    "auth-service": (3005, "200m", "1", "256Mi", "1Gi"),
    "ticket-service": (3002, "200m", "1", "256Mi", "1Gi"),
    "payment-service": (3003, "200m", "1", "256Mi", "1Gi"),
    "stats-service": (3004, "100m", "500m", "256Mi", "512Mi"),
    "queue-service": (3007, "100m", "500m", "256Mi", "512Mi"),
    "community-service": (3008, "100m", "500m", "256Mi", "512Mi"),
    "frontend": (3000, "100m", "500m", "128Mi", "256Mi"),
}
PROD_REPLICAS = {"gateway-service": 3, "auth-service": 2, "ticket-service": 3, "payment-service": 2,
                 "stats-service": 2, "queue-service": 3, "community-service": 2, "frontend": 2}  # spec 2.3
PROD_HPA = {"gateway-service": (3, 10), "ticket-service": (3, 10), "queue-service": (3, 8),
            "payment-service": (2, 6),  # spec 2.1
            # every other service with more than one replica in prod (spec 2.3), floored at its replicas
            "auth-service": (2, 6), "stats-service": (2, 4), "community-service": (2, 4), "frontend": (2, 6)}
HPA_BEHAVIOUR = {
    # up: no stabilisation, the larger of doubling or 4 pods every 15 s (an on-sale's first minute)
    "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
        {"type": "Percent", "value": 100, "periodSeconds": 15}, {"type": "Pods", "value": 4, "periodSeconds": 15}]},
    # down: only after 5 minutes below, then one pod a minute (the next wave finds the pods still there)
    "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max", "policies": [
        {"type": "Pods", "value": 1, "periodSeconds": 60}]},
}
BACKEND = [name for name in RESOURCES if name != "frontend"]


def app_container(snap, service: str) -> dict:
    [container] = manifest(snap, "Deployment", service)["spec"]["template"]["spec"]["containers"]
    return container


def test_the_service_table_is_the_spec_table():
    assert {s.name: (s.port, s.cpu_request, s.cpu_limit, s.memory_request, s.memory_limit) for s in SERVICES} == \
        RESOURCES


@pytest.mark.parametrize("service", list(RESOURCES))
def test_prod_ports_and_resources(prod, service):
    port, cpu_request, cpu_limit, memory_request, memory_limit = RESOURCES[service]
    container = app_container(prod, service)
    assert container["ports"] == [{"containerPort": port, "name": "http", "protocol": "TCP"}]
    assert container["resources"] == {"requests": {"cpu": cpu_request, "memory": memory_request},
                                      "limits": {"cpu": cpu_limit, "memory": memory_limit}}
    svc = manifest(prod, "Service", service)
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"name": "http", "port": port, "protocol": "TCP", "targetPort": "http"}]
    assert svc["spec"]["selector"] == {"app": service}


def test_labels_app_and_backend_tier(prod):
    for service in RESOURCES:
        labels = manifest(prod, "Deployment", service)["spec"]["template"]["metadata"]["labels"]
        assert labels["app"] == service
        assert (labels["tier"] == "backend") == (service != "frontend")


def test_prod_replicas(prod):
    assert {s: manifest(prod, "Deployment", s)["spec"]["replicas"] for s in RESOURCES} == PROD_REPLICAS


def test_prod_hpas(prod):
    hpas = of_kind(prod, "HorizontalPodAutoscaler")
    assert {name: (h["spec"]["minReplicas"], h["spec"]["maxReplicas"]) for name, h in hpas.items()} == PROD_HPA
    for name, hpa in hpas.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]
        assert hpa["spec"]["behavior"] == HPA_BEHAVIOUR


def test_every_deployment_with_more_than_one_prod_replica_is_autoscaled(prod):
    assert {s for s, n in PROD_REPLICAS.items() if n > 1} == set(of_kind(prod, "HorizontalPodAutoscaler"))
    for deployment in prod.all("kubernetes:apps/v1:Deployment", metadata={"namespace": "tiketi-prod"}):
        assert deployment.ignore_changes == ("spec.replicas",), deployment.name  # the HPA owns the count


def test_prod_pdbs(prod):
    # The spec's seven plus the frontend (autoscaled, so it needs one). maxUnavailable 1 allows one
    # eviction at any replica count, where spec 2.2's minAvailable 1 would block every drain of a
    # one-replica service; a pod that is not Ready never blocks a drain.
    pdbs = of_kind(prod, "PodDisruptionBudget")
    assert sorted(pdbs) == sorted(f"{s}-pdb" for s in RESOURCES)
    for name, pdb in pdbs.items():
        assert pdb["apiVersion"] == "policy/v1"
        assert pdb["spec"] == {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow",
                               "selector": {"matchLabels": {"app": name.removesuffix("-pdb")}}}


def allowed_disruptions(pdb_spec: dict, replicas: int) -> int:
    """status.disruptionsAllowed with every pod healthy (the disruption controller's arithmetic)."""
    if "maxUnavailable" in pdb_spec:
        return min(replicas, pdb_spec["maxUnavailable"])
    return max(0, replicas - pdb_spec["minAvailable"])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_no_pdb_ever_forbids_every_eviction(stack, request):
    # A node drain (managed node-group update, EKS upgrade) evicts every pod; a PDB that allows
    # no disruption at the smallest replica count a service can run ends it in PodEvictionFailure.
    # Staging runs every service with one replica.
    snap = request.getfixturevalue(stack)
    hpas = of_kind(snap, "HorizontalPodAutoscaler")
    for name, pdb in of_kind(snap, "PodDisruptionBudget").items():
        service = name.removesuffix("-pdb")
        smallest = min(manifest(snap, "Deployment", service)["spec"]["replicas"],
                       hpas[service]["spec"]["minReplicas"] if service in hpas else 10**6)
        assert allowed_disruptions(pdb["spec"], smallest) >= 1, (stack, name, smallest)
        assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"  # a crash-looping pod never blocks


def test_the_disruption_arithmetic_catches_min_available_on_one_replica():
    assert allowed_disruptions({"minAvailable": 1}, 1) == 0
    assert allowed_disruptions({"maxUnavailable": 1}, 1) == 1


def test_every_hpa_target_has_a_pdb(aws_stack):
    pdbs = of_kind(aws_stack, "PodDisruptionBudget").values()
    pdb_targets = {p["spec"]["selector"]["matchLabels"]["app"] for p in pdbs}
    assert set(of_kind(aws_stack, "HorizontalPodAutoscaler")) <= pdb_targets


def test_staging_has_the_same_objects_with_smaller_numbers(staging):
    hpas = of_kind(staging, "HorizontalPodAutoscaler")
    assert {n: (h["spec"]["minReplicas"], h["spec"]["maxReplicas"]) for n, h in hpas.items()} == {
        "gateway-service": (1, 3), "ticket-service": (1, 3), "queue-service": (1, 2), "payment-service": (1, 2),
        "auth-service": (1, 2), "stats-service": (1, 2), "community-service": (1, 2), "frontend": (1, 2)}
    assert all(h["spec"]["behavior"] == HPA_BEHAVIOUR for h in hpas.values())
    pdbs = of_kind(staging, "PodDisruptionBudget")
    assert sorted(pdbs) == sorted(f"{s}-pdb" for s in RESOURCES)
    # One replica each: a budget that still allows the one eviction a drain needs.
    assert {p["spec"]["maxUnavailable"] for p in pdbs.values()} == {1}
    assert all(manifest(staging, "Deployment", s)["spec"]["replicas"] == 1 for s in RESOURCES)


def test_namespaces(prod, staging, local):
    # On AWS the database bootstrap has a namespace of its own (the master credentials live there).
    assert list(of_kind(prod, "Namespace")) == ["tiketi-prod", "tiketi-prod-db-bootstrap"]
    assert list(of_kind(staging, "Namespace")) == ["tiketi-staging", "tiketi-staging-db-bootstrap"]
    assert list(of_kind(local, "Namespace")) == ["tiketi-spring"]
    for namespace in of_kind(prod, "Namespace").values():
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_topology_spread_across_zones_and_nodes(aws_stack):
    for service in RESOURCES:
        spec = manifest(aws_stack, "Deployment", service)["spec"]["template"]["spec"]
        assert spec["topologySpreadConstraints"] == [{
            "labelSelector": {"matchLabels": {"app": service}}, "matchLabelKeys": ["pod-template-hash"], "maxSkew": 1,
            "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway"}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")]


def test_the_namespace_is_labelled_for_readiness_gates_where_target_groups_are_filled(aws_stack, local):
    namespace = f"tiketi-{aws_stack.stack}"
    labels = of_kind(aws_stack, "Namespace")[namespace]["metadata"]["labels"]
    assert labels["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"
    assert "elbv2.k8s.aws/pod-readiness-gate-inject" not in of_kind(local, "Namespace")["tiketi-spring"]["metadata"][
        "labels"]  # no load balancer controller on kind


def test_bound_deployments_wait_for_their_target_group_binding(aws_stack):
    # The readiness gate is injected only into pods created while the binding exists.
    for service in ("gateway-service", "ticket-service"):
        [deployment] = [d for d in aws_stack.all("kubernetes:apps/v1:Deployment")
                        if d.inputs["metadata"]["name"] == service]
        [binding] = [b for b in aws_stack.all("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding")
                     if b.inputs["spec"]["serviceRef"]["name"] == service]
        assert binding.urn in deployment.all_dependencies


def test_pods_outlast_the_target_group_deregistration(aws_stack):
    delays = {tg.inputs["port"]: tg.inputs["deregistrationDelay"]
              for tg in aws_stack.all("aws:lb/targetGroup:TargetGroup")}
    assert delays == {3000: 30, 3001: 30, 3002: 30}
    for service in RESOURCES:
        pod = manifest(aws_stack, "Deployment", service)["spec"]["template"]["spec"]
        [container] = pod["containers"]
        # The native sleep action (no shell in the image needed): 40 s > the 30 s deregistration delay, and
        # the grace period (counted from the preStop's start) covers it plus Spring's 30 s graceful shutdown.
        assert container["lifecycle"] == {"preStop": {"sleep": {"seconds": 40}}}
        assert pod["terminationGracePeriodSeconds"] == 75
    data = manifest(aws_stack, "ConfigMap", "spring-config")["data"]
    assert data["SERVER_SHUTDOWN"] == "graceful"


def test_local_pods_stop_at_once(local):
    for service in RESOURCES:
        pod = manifest(local, "Deployment", service)["spec"]["template"]["spec"]
        assert "lifecycle" not in pod["containers"][0]
        assert "priorityClassName" not in pod
    assert of_kind(local, "PriorityClass") == {}


def test_gateway_and_ticket_service_are_preempted_last(aws_stack):
    classes = of_kind(aws_stack, "PriorityClass")
    assert {name: (c["value"], c["globalDefault"], c["preemptionPolicy"]) for name, c in classes.items()} == {
        "tiketi-critical": (100000, False, "PreemptLowerPriority"),
        "tiketi-standard": (10000, False, "PreemptLowerPriority")}
    assert all(c["value"] <= 1_000_000_000 for c in classes.values())  # above that is reserved for system classes
    for service in RESOURCES:
        pod = manifest(aws_stack, "Deployment", service)["spec"]["template"]["spec"]
        expected = "tiketi-critical" if service in ("gateway-service", "ticket-service") else "tiketi-standard"
        assert pod["priorityClassName"] == expected


def test_each_pod_holds_a_known_number_of_database_connections(aws_stack):
    # HikariCP's maximumPoolSize, fixed so the capacity check can budget RDS Proxy's connections.
    data = manifest(aws_stack, "ConfigMap", "spring-config")["data"]
    assert data["SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE"] == "10"


def test_images_come_from_the_services_ecr_repositories_with_the_configured_tag(prod):
    for service in RESOURCES:
        repository = prod.one("aws:ecr/repository:Repository", name=f"tiketi-prod/{service}")
        assert app_container(prod, service)["image"] == f"{repository.outputs['repositoryUrl']}:1.0.0"


def test_ecr_repositories(prod):
    repositories = prod.all("aws:ecr/repository:Repository")
    assert sorted(r.inputs["name"] for r in repositories) == sorted(f"tiketi-prod/{s}" for s in RESOURCES)
    for repository in repositories:
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        # ECR's default, written out: AES256 (S3-managed keys), not a KMS key the cluster's pull role cannot use.
        assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
        [policy] = prod.all("aws:ecr/lifecyclePolicy:LifecyclePolicy", repository=repository.outputs["name"])
        import json

        [rule] = json.loads(policy.inputs["policy"])["rules"]
        assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}
        assert rule["action"] == {"type": "expire"}


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_hardened_security_context_everywhere(stack, request):
    snap = request.getfixturevalue(stack)
    for service in RESOURCES:
        spec = manifest(snap, "Deployment", service)["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 1001
        assert spec["automountServiceAccountToken"] is False
        for container in containers(spec):
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True and security["runAsUser"] == 1001
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"] == {"drop": ["ALL"]}
            assert security["seccompProfile"] == {"type": "RuntimeDefault"}
        mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert "/tmp" in mounts and {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in spec["volumes"]


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_no_container_is_root_unlimited_latest_or_unprobed(stack, request):
    snap = request.getfixturevalue(stack)
    for name, spec in pod_specs(snap).items():
        pod_non_root = spec.get("securityContext", {}).get("runAsNonRoot")
        for container in containers(spec):
            where = f"{name}/{container['name']}"
            assert container["securityContext"].get("runAsNonRoot", pod_non_root) is True, where
            assert container["securityContext"].get("runAsUser", 1) != 0, where
            assert container["resources"]["limits"]["cpu"] and container["resources"]["limits"]["memory"], where
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), where
        if name.startswith(("Job/", "CronJob/")):
            continue  # runs to completion: Kubernetes' Job controller watches it, not probes
        for container in spec["containers"]:
            assert "livenessProbe" in container and "readinessProbe" in container, name


def test_spring_probes_and_prometheus_endpoint(prod):
    for service in BACKEND:
        container = app_container(prod, service)
        assert container["readinessProbe"]["httpGet"] == {"path": "/actuator/health/readiness", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/actuator/health/liveness", "port": "http"}
        annotations = manifest(prod, "Deployment", service)["spec"]["template"]["metadata"]["annotations"]
        assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/path": "/actuator/prometheus",
                               "prometheus.io/port": str(RESOURCES[service][0])}


def test_config_map_the_services_read(prod):
    data = manifest(prod, "ConfigMap", "spring-config")["data"]
    proxy = prod.one("aws:rds/proxy:Proxy").outputs["endpoint"]
    for database in ("auth_db", "ticket_db", "payment_db", "stats_db", "community_db"):
        assert data[f"{database.upper()}_URL"] == f"jdbc:postgresql://{proxy}:5432/{database}?sslmode=require"
    cache = prod.one("aws:elasticache/replicationGroup:ReplicationGroup").outputs["primaryEndpointAddress"]
    assert (data["SPRING_DATA_REDIS_HOST"], data["SPRING_DATA_REDIS_PORT"],
            data["SPRING_DATA_REDIS_SSL_ENABLED"]) == (cache, "6379", "true")
    assert data["TICKET_QUEUE_URL"] == prod.outputs["queueUrl"]
    # No secret in the ConfigMap: every key a service reads from a Secret is its own Secret's
    # (tests/kubernetes/test_service_secrets.py).
    assert not {"SPRING_DATASOURCE_PASSWORD", "JWT_SECRET", "INTERNAL_API_TOKEN"} & set(data)


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_no_service_pod_creates_databases_or_holds_the_master_user(stack, request):
    # The database bootstrap Job does it (tests/kubernetes/test_database_bootstrap.py).
    snap = request.getfixturevalue(stack)
    for service in SERVICES:
        spec = manifest(snap, "Deployment", service.name)["spec"]["template"]["spec"]
        assert "initContainers" not in spec
        assert not [e for c in containers(spec) for e in c.get("env", []) if e["name"] in ("PGUSER", "PGPASSWORD")]


def test_ticket_service_may_send_to_the_worker_queue_through_irsa(prod):
    account = manifest(prod, "ServiceAccount", "ticket-service")
    role_arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    role = next(r for r in prod.all("aws:iam/role:Role") if r.outputs["arn"] == role_arn)
    import json

    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    issuer = prod.one("aws:eks/cluster:Cluster").outputs["identities"][0]["oidcs"][0]["issuer"].removeprefix(
        "https://")
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {"StringEquals": {f"{issuer}:sub": "system:serviceaccount:tiketi-prod:ticket-service",
                                                   f"{issuer}:aud": "sts.amazonaws.com"}}
    [policy] = prod.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    [grant] = json.loads(policy.inputs["policy"])["Statement"]
    assert grant["Resource"] == prod.outputs["queueArn"]
    assert grant["Action"] == ["sqs:SendMessage", "sqs:GetQueueAttributes"]
