"""The database bootstrap on the prod snapshot: its namespace, identity, network, Job and what waits for it.

What the Job's SQL does to a real PostgreSQL is tests/kubernetes/test_database_bootstrap_real_postgres.py.
"""

from __future__ import annotations

import json

from components.kubernetes.database_bootstrap_sql import SCRIPT_NAME
from components.services import DATABASE_SERVICES
from tests.support.manifests import manifest, of_kind
from tools.harness.deploy_order import DependencyGraph

NS = "tiketi-prod-db-bootstrap"


def test_its_namespace_enforces_restricted_and_denies_all_but_postgres_and_dns(prod):
    namespace = manifest(prod, "Namespace", NS)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = {name: m["spec"] for name, m in of_kind(prod, "NetworkPolicy", NS).items()}
    data = ["10.0.64.0/24", "10.0.65.0/24", "10.0.66.0/24"]  # prod's data subnets: the instance, not the proxy
    assert policies == {
        "default-deny-all": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-bootstrap-to-postgres": {
            "podSelector": {"matchLabels": {"app": "database-bootstrap"}}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in data], "ports": [{"port": 5432, "protocol": "TCP"}]},
                       {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]},
    }


def test_the_job_renders_verifiers_then_runs_psql_on_the_instance_over_tls(prod):
    job = manifest(prod, "Job", "database-bootstrap", NS)
    assert job["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Complete",
                                              "pulumi.com/timeoutSeconds": "900"}
    pod = job["spec"]["template"]["spec"]
    assert (pod["serviceAccountName"], pod["automountServiceAccountToken"], pod["restartPolicy"]) == (
        "database-bootstrap", False, "Never")
    [render], [psql] = pod["initContainers"], pod["containers"]
    assert render["image"] == "python:3.13.15-alpine3.24" and psql["image"] == "postgres:16.4-alpine"
    assert render["command"] == ["python3", "-I", f"/scripts/{SCRIPT_NAME}", "--output", "/work/bootstrap.sql",
                                 *[f"{s.database}={s.database_role.upper()}" for s in sorted(
                                     DATABASE_SERVICES, key=lambda s: s.name)]]
    # The renderer sees the users' logins, never the master's; psql sees the master's, never the users'.
    assert {e["valueFrom"]["secretKeyRef"]["key"] for e in render["env"]} == {
        f"{s.database_role.upper()}_{part}" for s in DATABASE_SERVICES for part in ("USERNAME", "PASSWORD")}
    literal = {e["name"]: e["value"] for e in psql["env"] if "value" in e}
    instance = prod.one("aws:rds/instance:Instance").outputs["address"]
    assert literal == {"PGHOST": instance, "PGPORT": "5432", "PGDATABASE": "postgres", "PGSSLMODE": "require",
                       "PGCONNECT_TIMEOUT": "10", "HOME": "/tmp"}
    assert [e["valueFrom"]["secretKeyRef"] for e in psql["env"] if "valueFrom" in e] == [
        {"name": "database-bootstrap", "key": "PGUSER"}, {"name": "database-bootstrap", "key": "PGPASSWORD"}]
    assert psql["command"] == ["psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-f", "/work/bootstrap.sql"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["work"] == {"name": "work", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}
    assert volumes["scripts"]["configMap"] == {"name": "database-bootstrap-script", "defaultMode": 0o444}
    script = manifest(prod, "ConfigMap", "database-bootstrap-script", NS)["data"][SCRIPT_NAME]
    assert "def scram_sha_256_verifier" in script


def test_a_suspended_cronjob_of_the_same_pod_serves_re_runs(prod):
    job = manifest(prod, "Job", "database-bootstrap", NS)
    cron = manifest(prod, "CronJob", "database-bootstrap", NS)
    assert cron["spec"]["suspend"] is True and cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["jobTemplate"]["spec"]["template"] == job["spec"]["template"]


def test_its_store_role_reads_the_master_and_the_user_secrets_only(prod):
    account = manifest(prod, "ServiceAccount", "database-bootstrap-sync", NS)
    role = next(r for r in prod.all("aws:iam/role:Role")
                if r.outputs["arn"] == account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"])
    [policy] = prod.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    master = prod.outputs["secretArns"]["databaseMaster"]
    assert statement["Resource"] == sorted([master, *prod.outputs["databaseUserSecretArns"].values()])
    assert statement["Action"] == ["secretsmanager:GetSecretValue"]


def test_the_job_waits_for_the_database_and_every_database_service_for_the_job(prod):
    graph = DependencyGraph(prod)
    [job] = prod.all("kubernetes:batch/v1:Job")
    assert graph.waits_for(job, prod.one("aws:rds/instance:Instance"))
    assert graph.waits_for(job, prod.one("kubernetes:external-secrets.io/v1:ExternalSecret",
                                         metadata={"name": "database-bootstrap"}))
    for service in ("gateway-service", "auth-service", "ticket-service", "payment-service", "stats-service",
                    "queue-service", "community-service"):
        [deployment] = [r for r in prod.all("kubernetes:apps/v1:Deployment") if r.name == f"workloads-{service}"]
        waits = graph.waits_for(deployment, job)
        assert waits == (service not in ("gateway-service", "queue-service")), service
