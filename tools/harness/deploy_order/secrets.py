"""Deploy-order rules for secrets synced at run time.

Imported by kubernetes.py (``SECRET_SYNC_RULES``, ``ESO_CHART_CRDS``, ``synced_secret_writers``);
each rule cites what the API server, the operator or AWS checks:

- ``external-secrets-object-after-the-operator``: the External Secrets Operator's chart registers a
  validating webhook with ``failurePolicy: Fail`` for SecretStores and ExternalSecrets
  (deploy/charts/external-secrets/templates/validatingwebhook.yaml, chart 2.9.0); until its pod
  answers, every create fails ("failed calling webhook validate.externalsecret.external-secrets.io
  ... no endpoints available", external-secrets#956, #2037).
- ``external-secret-after-its-read-permission``: an ExternalSecret is Ready (and the workloads
  waiting for it proceed) only after the operator has read every key; before the store's IRSA
  role may ``GetSecretValue``, it gets AccessDenied and backs off.
- ``service-after-its-database-role``: a service's database login is created by the database
  bootstrap Job; a pod that starts before it fails to authenticate ("password authentication
  failed") and Pulumi's await for the Deployment runs out. "The Job that creates the login" is
  read from the manifests: a Job whose synced Secret reads the same database user secret.
- ``reloader-after-the-namespace-it-watches``: in scoped mode the Reloader chart creates a Role and
  RoleBinding in each watched namespace (values.yaml ``reloader.namespaces``); Helm's install
  fails on a namespace that does not exist.

``synced_secret_writers`` lets ``workload-after-its-config`` accept a Secret that an ExternalSecret
writes: the workload must wait for that ExternalSecret, and the ExternalSecret must make Pulumi
wait until it is synced (``pulumi.com/waitFor: condition=Ready``), or its Secret may not exist yet.
"""

from __future__ import annotations

import json
from typing import Any

from tools.harness.deploy_order.graph import OrderRule
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot, unwrap

ESO_CHART = "external-secrets"
ESO_GROUP = "external-secrets.io"
# The CRDs the chart installs (deploy/charts/external-secrets/templates/crds/, installCRDs: true).
ESO_CHART_CRDS = frozenset({(ESO_GROUP, kind) for kind in (
    "SecretStore", "ClusterSecretStore", "ExternalSecret", "ClusterExternalSecret", "PushSecret",
    "ClusterPushSecret")})
EXTERNAL_SECRET = f"kubernetes:{ESO_GROUP}/v1:ExternalSecret"
SECRET_STORE = f"kubernetes:{ESO_GROUP}/v1:SecretStore"
RELEASE = "kubernetes:helm.sh/v3:Release"
JOB_TYPES = ("kubernetes:batch/v1:Job",)
WORKLOAD_TYPES = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
                  "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob")
DATABASE_KEYS = ("SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD")
WAIT_FOR_SYNC = "condition=Ready"


def _meta(resource: Registration) -> dict:
    return unwrap(resource.inputs.get("metadata", {})) or {}


def _outside(kind: str, name: str, what: str) -> Registration:
    return Registration(urn=f"urn:outside::{kind}::{name}", type=f"kubernetes:outside:{kind}", name=f"{name} ({what})",
                        parent=None, provider=None, custom=True, inputs={})


def _named(snap: Snapshot, type_: str, name: Any, namespace: Any) -> list[Registration]:
    return [r for r in snap.all(type_) if _meta(r).get("name") == name and _meta(r).get("namespace") == namespace]


def _releases_of(snap: Snapshot, chart: str) -> list[Registration]:
    return [r for r in snap.all(RELEASE) if str(unwrap(r.inputs.get("chart", ""))).rsplit("/", 1)[-1] == chart]


# --- workload-after-its-config's helper -----------------------------------------------------------


def synced_secret_writers(snap: Snapshot, name: Any, namespace: Any) -> list[Registration]:
    """The ExternalSecrets that write Secret ``name`` (a stand-in when one would not be awaited)."""
    found = []
    for external in snap.all(EXTERNAL_SECRET):
        spec = unwrap(external.inputs.get("spec", {})) or {}
        if _meta(external).get("namespace") != namespace or spec.get("target", {}).get("name") != name:
            continue
        if (_meta(external).get("annotations") or {}).get("pulumi.com/waitFor") != WAIT_FOR_SYNC:
            found.append(_outside("Secret", str(name), f"written by ExternalSecret {external.name}, which Pulumi "
                                                       "does not wait for (no pulumi.com/waitFor: condition=Ready)"))
        else:
            found.append(external)
    return found


# --- external-secrets-object-after-the-operator ----------------------------------------------------


def operator_of(snap: Snapshot, resource: Registration) -> list[Registration]:
    if resource.type not in (EXTERNAL_SECRET, SECRET_STORE):
        return []
    return _releases_of(snap, ESO_CHART) or [_outside("Release", ESO_CHART, "not installed by this program")]


# --- external-secret-after-its-read-permission -------------------------------------------------------


def _store_role_arn(snap: Snapshot, external: Registration) -> Any:
    namespace = _meta(external).get("namespace")
    ref = (unwrap(external.inputs.get("spec", {})) or {}).get("secretStoreRef", {})
    for store in _named(snap, SECRET_STORE, ref.get("name"), namespace):
        jwt = unwrap(store.inputs.get("spec", {})).get("provider", {}).get("aws", {}).get("auth", {}).get("jwt", {})
        account = jwt.get("serviceAccountRef", {}).get("name")
        for sa in _named(snap, "kubernetes:core/v1:ServiceAccount", account, namespace):
            return (_meta(sa).get("annotations") or {}).get("eks.amazonaws.com/role-arn")
    return None


def read_permission_of(snap: Snapshot, external: Registration) -> list[Registration]:
    if external.type != EXTERNAL_SECRET:
        return []
    role_arn = _store_role_arn(snap, external)
    roles = [r for r in snap.all("aws:iam/role:Role") if role_arn and unwrap(r.outputs.get("arn")) == role_arn]
    names = {unwrap(r.outputs.get("name")) for r in roles} | {r.id for r in roles}
    policies = [p for p in snap.all("aws:iam/rolePolicy:RolePolicy") if unwrap(p.inputs.get("role")) in names
                and "secretsmanager:GetSecretValue" in json.dumps(unwrap(p.inputs.get("policy")))]
    return policies or [_outside("RolePolicy", f"GetSecretValue for {role_arn}", "no policy grants the store's role")]


# --- service-after-its-database-role ---------------------------------------------------------------


def _pod(workload: Registration) -> dict:
    spec = unwrap(workload.inputs.get("spec", {})) or {}
    if workload.type.endswith(":CronJob"):
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec", {})


def _secret_names(pod: dict) -> set[str]:
    names = set()
    for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        names |= {s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s}
        names |= {v["valueFrom"]["secretKeyRef"]["name"] for v in container.get("env", [])
                  if "secretKeyRef" in v.get("valueFrom", {})}
    return names


def _remote_keys(snap: Snapshot, workload: Registration, only: tuple[str, ...] | None = None) -> set[str]:
    """The Secrets Manager secrets (ARNs) a workload's synced Secrets read (for the keys ``only`` names)."""
    namespace, found = _meta(workload).get("namespace"), set()
    for name in _secret_names(_pod(workload)):
        for external in synced_secret_writers(snap, name, namespace):
            for item in (unwrap(external.inputs.get("spec", {})) or {}).get("data", []):
                if only is None or item.get("secretKey") in only:
                    found.add(str(item.get("remoteRef", {}).get("key")))
    return found


def login_creators_of(snap: Snapshot, workload: Registration) -> list[Registration]:
    if workload.type not in WORKLOAD_TYPES or workload.type in JOB_TYPES or workload.type.endswith(":CronJob"):
        return []
    users = _remote_keys(snap, workload, DATABASE_KEYS)
    if not users:
        return []
    creators = [job for job in snap.registrations if job.type in JOB_TYPES and users & _remote_keys(snap, job)]
    return creators or [_outside("Job", "database bootstrap", "no Job creates this service's database login")]


# --- reloader-after-the-namespace-it-watches ----------------------------------------------------------


def watched_namespaces_of(snap: Snapshot, release: Registration) -> list[Registration]:
    if release.type != RELEASE or str(unwrap(release.inputs.get("chart", ""))) != "reloader":
        return []
    values = unwrap(release.inputs.get("values", {})) or {}
    watched = values.get("reloader", {}).get("namespaces", [])
    found = []
    for name in watched:
        found += [n for n in snap.all("kubernetes:core/v1:Namespace") if _meta(n).get("name") == name] or [
            _outside("Namespace", str(name), "not created by this program")]
    return found


SECRET_SYNC_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "external-secrets-object-after-the-operator", (SECRET_STORE, EXTERNAL_SECRET), related=operator_of,
        why="the operator's validating webhook (failurePolicy Fail) must answer before a SecretStore or "
            "ExternalSecret can be created",
        source="external-secrets deploy/charts/external-secrets/templates/validatingwebhook.yaml (chart 2.9.0); "
               "https://github.com/external-secrets/external-secrets/issues/956"),
    OrderRule(
        "external-secret-after-its-read-permission", (EXTERNAL_SECRET,), related=read_permission_of,
        why="the operator reads Secrets Manager with the store's IRSA role; without its GetSecretValue grant the "
            "ExternalSecret never becomes Ready and everything waiting for it times out",
        source="external-secrets providers/v1/aws/secretsmanager/secretsmanager.go (GetSecretValue only)"),
    OrderRule(
        "service-after-its-database-role", WORKLOAD_TYPES, related=login_creators_of,
        why="the service's database login is created by the bootstrap Job; before it the pods fail to "
            "authenticate and the Deployment's await runs out",
        source="components/kubernetes/database_bootstrap.py; PostgreSQL: a role must exist to log in "
               "(https://www.postgresql.org/docs/16/client-authentication-problems.html)"),
    OrderRule(
        "reloader-after-the-namespace-it-watches", (RELEASE,), related=watched_namespaces_of,
        why="in scoped mode the chart creates a Role and RoleBinding in every watched namespace",
        source="stakater/Reloader deployments/kubernetes/chart/reloader/values.yaml (chart 2.2.16), "
               "reloader.namespaces"),
)
