"""DatabaseBootstrap: the one workload with the database master user; it creates the services' roles and databases.

Nothing outside the VPC can reach RDS, so the roles and databases are created from inside the
cluster, by a Job in a namespace of its own (``<workloads namespace>-db-bootstrap``): the master
credentials are synced into a Secret there, out of reach of every service's pod spec (a pod can
reference any Secret of its namespace, never one of another). Owns that namespace (Pod Security
``restricted`` enforced), its NetworkPolicies (default deny; egress only to DNS and PostgreSQL on
the data subnets), the Job's ServiceAccount (no token, no AWS role), the SecretSync of
``database-bootstrap`` (the RDS-managed master secret's ``username``/``password`` as
``PGUSER``/``PGPASSWORD`` and each service user's), the ConfigMap with the SQL renderer
(components/kubernetes/database_bootstrap_sql.py, as it is), the Job and a suspended CronJob of
the same pod for re-runs (``kubectl create job --from=cronjob/database-bootstrap``, after a
password rotation: docs/operations.md).

The Job connects to the instance, not the proxy: the master is deliberately not one of the
proxy's users. Its first container (Python) turns the users' passwords into SCRAM verifiers and
writes the SQL into an in-memory volume; the second (psql) runs it over TLS. Pulumi waits for the
Job to complete, and every service with a database waits for the Job (deploy-order rule
``service-after-its-database-role``): before it, the service's login does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from components.data.database_users import DatabaseUser
from components.kubernetes.database_bootstrap_sql import SCRIPT_NAME
from components.kubernetes.network_policies import DNS
from components.kubernetes.runtime import container_security, pod_security
from components.security.secret_sync import RemoteKey, SecretSync, SecretSyncArgs, SyncContext

NAME = "database-bootstrap"
SCRIPT = Path(__file__).with_name(SCRIPT_NAME)
# Official images (docker-library/official-images library/python and library/postgres). psql 16 speaks
# to PostgreSQL 15-17; the tag is the one the services' former init containers used.
PYTHON_IMAGE = "python:3.13.15-alpine3.24"
POSTGRES_CLIENT_IMAGE = "postgres:16.4-alpine"
LABELS = {"app": NAME, "app.kubernetes.io/part-of": "tiketi"}


@dataclass(frozen=True)
class DatabaseBootstrapArgs:
    namespace: str
    sync: SyncContext
    master_secret_arn: pulumi.Input[str]
    users: Mapping[str, DatabaseUser]  # service -> its database user
    database_host: pulumi.Input[str]  # the instance's address
    database_port: int
    data_subnet_cidrs: Sequence[pulumi.Input[str]]
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)  # the database


def env_prefix(user: DatabaseUser) -> str:
    return user.role.upper()


class DatabaseBootstrap(Component):
    TYPE = "tiketi:kubernetes:DatabaseBootstrap"
    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: DatabaseBootstrapArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        namespace = k8s.core.v1.Namespace(f"{name}-namespace", metadata={"name": args.namespace, "labels": {
            "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "restricted",
            "app.kubernetes.io/part-of": "tiketi"}}, opts=self._child())
        self._ns = namespace.metadata.name
        self._build_network_policies(args)
        users = dict(sorted(args.users.items()))
        keys = {"PGUSER": RemoteKey(args.master_secret_arn, "username"),
                "PGPASSWORD": RemoteKey(args.master_secret_arn, "password")}
        for user in users.values():
            keys[f"{env_prefix(user)}_USERNAME"] = RemoteKey(user.secret_arn, "username")
            keys[f"{env_prefix(user)}_PASSWORD"] = RemoteKey(user.secret_arn, "password")
        synced = SecretSync(f"{name}-secrets", SecretSyncArgs(
            namespace=self._ns, namespace_name=args.namespace, secret_name=NAME, keys=keys, context=args.sync,
            labels={"app": NAME}), opts=self._child())
        k8s.core.v1.ServiceAccount(f"{name}-account", metadata=self._meta(NAME),
                                   automount_service_account_token=False, opts=self._child())
        script = k8s.core.v1.ConfigMap(f"{name}-script", metadata=self._meta(f"{NAME}-script"),
                                       data={SCRIPT.name: SCRIPT.read_text()}, opts=self._child())
        pod = self._pod_spec(users)
        waits = [synced.ready, script, *args.depends_on]
        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            # Pulumi waits for the Job to finish (kubectl-style condition, pulumi/pulumi-kubernetes#3134);
            # its template changes (a new service) replace it, so it runs again.
            metadata=self._meta(NAME, {"pulumi.com/waitFor": "condition=Complete",
                                       "pulumi.com/timeoutSeconds": "900"}),
            spec={"backoffLimit": 6, "template": {"metadata": {"labels": LABELS}, "spec": pod}},
            opts=self._child(depends_on=waits))
        # Never runs by itself (suspended): the template for re-runs after a password rotation.
        k8s.batch.v1.CronJob(
            f"{name}-rerun", metadata=self._meta(NAME),
            spec={"schedule": "0 3 1 1 *", "suspend": True, "concurrencyPolicy": "Forbid",
                  "jobTemplate": {"spec": {"backoffLimit": 6,
                                           "template": {"metadata": {"labels": LABELS}, "spec": pod}}}},
            opts=self._child(depends_on=waits))
        self.register_outputs({"namespace": self._ns})

    def _meta(self, name: str, annotations: dict | None = None) -> dict:
        meta = {"name": name, "namespace": self._ns, "labels": dict(LABELS)}
        if annotations:
            meta["annotations"] = annotations
        return meta

    def _build_network_policies(self, args: DatabaseBootstrapArgs) -> None:
        policies = {
            "default-deny-all": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            "allow-bootstrap-to-postgres": {
                "podSelector": {"matchLabels": {"app": NAME}}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": cidr}} for cidr in args.data_subnet_cidrs],
                            "ports": [{"protocol": "TCP", "port": args.database_port}]}, DNS]},
        }
        for policy, spec in policies.items():
            k8s.networking.v1.NetworkPolicy(f"{self._name}-{policy}", metadata=self._meta(policy), spec=spec,
                                            opts=self._child())

    def _pod_spec(self, users: Mapping[str, DatabaseUser]) -> dict:
        args = self._args

        def from_secret(key: str) -> dict:
            return {"name": key, "valueFrom": {"secretKeyRef": {"name": NAME, "key": key}}}

        resources = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}}
        render = {
            "name": "render-sql",
            "image": PYTHON_IMAGE,
            "command": ["python3", "-I", f"/scripts/{SCRIPT.name}", "--output", "/work/bootstrap.sql",
                        *[f"{user.database}={env_prefix(user)}" for user in users.values()]],
            # The users' logins only: the master's stay with psql.
            "env": [from_secret(f"{env_prefix(user)}_{part}") for user in users.values()
                    for part in ("USERNAME", "PASSWORD")],
            "resources": resources, "securityContext": container_security(),
            "volumeMounts": [{"name": "scripts", "mountPath": "/scripts", "readOnly": True},
                             {"name": "work", "mountPath": "/work"}],
        }
        psql = {
            "name": "psql",
            "image": POSTGRES_CLIENT_IMAGE,
            "command": ["psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-f", "/work/bootstrap.sql"],
            "env": [{"name": "PGHOST", "value": args.database_host},
                    {"name": "PGPORT", "value": str(args.database_port)},
                    {"name": "PGDATABASE", "value": "postgres"},
                    {"name": "PGSSLMODE", "value": "require"},  # rds.force_ssl=1 refuses anything else
                    {"name": "PGCONNECT_TIMEOUT", "value": "10"},
                    {"name": "HOME", "value": "/tmp"},
                    from_secret("PGUSER"), from_secret("PGPASSWORD")],
            "resources": resources, "securityContext": container_security(),
            "volumeMounts": [{"name": "work", "mountPath": "/work", "readOnly": True},
                             {"name": "tmp", "mountPath": "/tmp"}],
        }
        return {
            "serviceAccountName": NAME,
            "automountServiceAccountToken": False,
            "restartPolicy": "Never",
            "securityContext": pod_security(),
            "initContainers": [render],
            "containers": [psql],
            "volumes": [{"name": "scripts", "configMap": {"name": f"{NAME}-script", "defaultMode": 0o444}},
                        # The SQL holds SCRAM verifiers: memory only, gone with the pod.
                        {"name": "work", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}],
        }

