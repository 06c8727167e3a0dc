"""Each workload's Secret holds only its own secrets: by value, over the rendered objects.

On AWS the values never pass through Pulumi; tests/support/synced_secrets.py plays the operator
and the tests compare the Secrets it would write, value by value.
"""

from __future__ import annotations

import json

import pytest

from components.services import SERVICES
from tests.support.manifests import manifest, of_kind
from tests.support.synced_secrets import MASTER_VALUE, materialise, services_secrets
from tools.harness.snapshot import unwrap

# The secret map (README "Secret map"): which keys each service's Secret carries.
DATABASE = ["SPRING_DATASOURCE_PASSWORD", "SPRING_DATASOURCE_USERNAME"]
KAFKA = "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG"
EXPECTED_KEYS = {
    "gateway-service": ["SPRING_DATA_REDIS_PASSWORD", KAFKA],
    "auth-service": [*DATABASE, "JWT_SECRET", KAFKA],
    "ticket-service": [*DATABASE, "INTERNAL_API_TOKEN", "SPRING_DATA_REDIS_PASSWORD", KAFKA],
    "payment-service": [*DATABASE, KAFKA],
    "stats-service": [*DATABASE, KAFKA],
    "queue-service": ["QUEUE_ENTRY_TOKEN_SECRET", "SPRING_DATA_REDIS_PASSWORD", KAFKA],
    "community-service": [*DATABASE, KAFKA],
}


def generated(snap, name: str) -> str:
    [password] = [r for r in snap.all("random:index/randomPassword:RandomPassword") if r.name == name]
    return unwrap(password.outputs["result"])


def test_each_service_gets_exactly_its_keys(aws_stack):
    secrets = services_secrets(aws_stack)
    assert {service: sorted(values) for service, values in secrets.items()} == {
        service: sorted(keys) for service, keys in EXPECTED_KEYS.items()}
    # The frontend reads no secret, and gets no Secret.
    assert "frontend" not in secrets


def test_the_values_are_each_services_own(aws_stack):
    secrets = services_secrets(aws_stack)
    for service in SERVICES:
        values = secrets.get(service.name, {})
        if service.database:
            assert values["SPRING_DATASOURCE_USERNAME"] == service.database_role
            assert values["SPRING_DATASOURCE_PASSWORD"] == generated(aws_stack, f"database-users-{service.name}")
    assert secrets["auth-service"]["JWT_SECRET"] == generated(aws_stack, "secrets-jwt-secret")
    assert secrets["ticket-service"]["INTERNAL_API_TOKEN"] == generated(aws_stack, "secrets-internal-api-token")
    assert secrets["queue-service"]["QUEUE_ENTRY_TOKEN_SECRET"] == generated(aws_stack,
                                                                              "secrets-queue-entry-token-secret")
    for service in ("gateway-service", "ticket-service", "queue-service"):
        assert secrets[service]["SPRING_DATA_REDIS_PASSWORD"] == generated(aws_stack, "secrets-redis-auth-token")


def test_no_services_secret_holds_another_services_credentials_or_the_master_password(aws_stack):
    secrets = services_secrets(aws_stack)
    user_passwords = {s.name: generated(aws_stack, f"database-users-{s.name}") for s in SERVICES if s.database}
    for service, values in secrets.items():
        others = {p for owner, p in user_passwords.items() if owner != service}
        assert not others & set(values.values()), service
        assert MASTER_VALUE["password"] not in values.values() and "tiketi_admin" not in values.values(), service
    # ...and the origin-verify value is nobody's (CloudFront and the ALB hold it).
    origin = generated(aws_stack, "secrets-origin-verify")
    assert not [s for s, values in secrets.items() if origin in values.values()]


def test_only_the_bootstrap_job_reads_the_master_and_it_is_alone_in_its_namespace(aws_stack):
    namespace = f"{aws_stack.config('tiketi:workloads')['namespace']}-db-bootstrap"
    external = manifest(aws_stack, "ExternalSecret", "database-bootstrap", namespace)
    values = materialise(aws_stack, external)
    assert (values["PGUSER"], values["PGPASSWORD"]) == (MASTER_VALUE["username"], MASTER_VALUE["password"])
    users = {s.database_role: generated(aws_stack, f"database-users-{s.name}") for s in SERVICES if s.database}
    assert {k: v for k, v in values.items() if not k.startswith("PG")} == {
        **{f"{role.upper()}_USERNAME": role for role in users}, **{f"{role.upper()}_PASSWORD": p
                                                                    for role, p in users.items()}}
    master_arn = aws_stack.outputs["secretArns"]["databaseMaster"]
    readers = [m["metadata"]["namespace"] + "/" + m["metadata"]["name"] for _, m in _external_secrets(aws_stack)
               if master_arn in json.dumps(m["spec"])]
    assert readers == [f"{namespace}/database-bootstrap"]
    pods = [m for _, m in _pods_in(aws_stack, namespace)]
    assert {m["kind"] for m in pods} == {"Job", "CronJob"}  # nothing else runs where the master is


def _external_secrets(snap):
    from tools.harness.render import kubernetes_objects

    return [(n, m) for n, m in kubernetes_objects(snap) if m["kind"] == "ExternalSecret"]


def _pods_in(snap, namespace):
    from tools.harness.render import kubernetes_objects

    return [(n, m) for n, m in kubernetes_objects(snap)
            if m["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")
            and m["metadata"]["namespace"] == namespace]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_each_deployment_reads_its_own_secret_and_is_restarted_when_it_changes(stack, request):
    snap = request.getfixturevalue(stack)
    for service in SERVICES:
        deployment = manifest(snap, "Deployment", service.name)
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        refs = [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s]
        if service.is_backend:
            assert refs == [f"{service.name}-secrets"]
            assert deployment["metadata"]["annotations"] == {
                "secret.reloader.stakater.com/reload": f"{service.name}-secrets"}
        else:
            assert refs == [] and "annotations" not in deployment["metadata"]
        env = [e for e in container.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})]
        assert env == []  # nothing from another Secret


def test_each_store_authenticates_as_its_own_account_with_its_own_role(prod):
    namespace = "tiketi-prod"
    issuer = prod.one("aws:eks/cluster:Cluster").outputs["identities"][0]["oidcs"][0]["issuer"].removeprefix(
        "https://")
    roles = {r.outputs["arn"]: r for r in prod.all("aws:iam/role:Role")}
    seen_roles = set()
    for name, external in of_kind(prod, "ExternalSecret", namespace).items():
        store = manifest(prod, "SecretStore", external["spec"]["secretStoreRef"]["name"], namespace)
        assert external["spec"]["secretStoreRef"] == {"kind": "SecretStore", "name": name}
        assert external["spec"]["refreshInterval"] == "5m"
        target = dict(external["spec"]["target"])
        template = target.pop("template")
        assert target == {"name": name, "creationPolicy": "Owner", "deletionPolicy": "Retain"}
        # The Kafka login is composed; every other key passes through; the template's inputs stay out.
        assert template["engineVersion"] == "v2" and template["mergePolicy"] == "Replace"
        assert template["data"].pop("SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG") == (
            'org.apache.kafka.common.security.scram.ScramLoginModule required username="{{ .kafkaUsername }}" '
            'password="{{ .kafkaPassword }}";')
        assert template["data"] == {item["secretKey"]: "{{ ." + item["secretKey"] + " }}"
                                    for item in external["spec"]["data"]
                                    if item["secretKey"] not in ("kafkaUsername", "kafkaPassword")}
        assert external["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
        aws_provider = store["spec"]["provider"]["aws"]
        assert aws_provider == {"service": "SecretsManager", "region": "ap-northeast-2",
                                "auth": {"jwt": {"serviceAccountRef": {"name": f"{name}-sync"}}}}
        account = manifest(prod, "ServiceAccount", f"{name}-sync", namespace)
        assert account["automountServiceAccountToken"] is False
        role = roles[account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]]
        seen_roles.add(role.urn)
        [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert trust["Condition"] == {"StringEquals": {
            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{name}-sync", f"{issuer}:aud": "sts.amazonaws.com"}}
        [policy] = prod.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
        wanted = sorted({item["remoteRef"]["key"] for item in external["spec"]["data"]})
        assert json.loads(policy.inputs["policy"])["Statement"] == [{
            "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": wanted,
            "Sid": "ReadTheWorkloadsSecrets"}]
    assert len(seen_roles) == 7  # one role per service Secret, none shared


def test_the_synced_secrets_are_kept_every_sync_interval(staging_with_operator_settings, staging):
    intervals = {m["spec"]["refreshInterval"] for _, m in _external_secrets(staging_with_operator_settings)}
    assert intervals == {"1m"} and staging.config("tiketi:secrets") is None  # committed stacks: the default 5m
    assert {m["spec"]["refreshInterval"] for _, m in _external_secrets(staging)} == {"5m"}
