"""Ordering rules for Kubernetes objects: what the API server and the workloads need to become Ready.

Three rules here, each over the recorded registrations and Pulumi's real dependency graph
(tools/harness/deploy_order/graph.py), and the secret-sync rules of secrets.py:

- ``custom-resource-after-its-definition``: the API server rejects an object of a kind it does
  not serve yet ("no matches for kind"), so a custom resource waits for the
  CustomResourceDefinition, or the Helm chart that ships it, defining its group and kind.
- ``workload-after-its-config``: a pod that mounts or reads a ConfigMap or Secret that does not
  exist yet does not start (CreateContainerConfigError, or ContainerCreating while the volume
  cannot be mounted), and Pulumi's await for the workload runs out meanwhile. A workload waits
  for every ConfigMap and Secret its pod template names (envFrom, env valueFrom, volumes,
  projected volumes), in containers and init containers alike, unless marked ``optional``.
- ``server-does-not-wait-for-its-clients``: a workload that others connect to (a database, a
  cache, a broker, a log store, another service) must not wait, directly or through a
  component, for a workload that connects to it: Pulumi awaits each workload until it is Ready,
  and the client is Ready only once the server answers. "Connects to" is read from the
  manifests: a client names a Service (a host in its env values or in the ConfigMaps and
  Secrets it reads) whose selector matches the server's pods.

A reference the program does not create (a ConfigMap nobody registers, a custom kind no
chart defines) is reported as a wait on a resource "not in this program", so a missing
definition fails the rule instead of passing silently.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from typing import Any

from tools.harness.deploy_order.graph import OrderRule
from tools.harness.deploy_order.observability import OBSERVABILITY_KUBERNETES_RULES
from tools.harness.deploy_order.secrets import ESO_CHART, ESO_CHART_CRDS, SECRET_SYNC_RULES, synced_secret_writers
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot, unwrap, walk_strings

WORKLOAD_TYPES = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
                  "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob")
CONFIG_TYPES = {"ConfigMap": "kubernetes:core/v1:ConfigMap", "Secret": "kubernetes:core/v1:Secret"}
CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
HELM_RELEASE_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Chart")

# API groups the API server serves without a CRD (Kubernetes 1.31 `kubectl api-versions`), plus
# the pseudo-groups of pulumi-kubernetes' own resource types ("core" is the legacy group "").
BUILT_IN_GROUPS = frozenset({
    "core", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io", "apiregistration.k8s.io",
    "certificates.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "flowcontrol.apiserver.k8s.io", "node.k8s.io", "scheduling.k8s.io", "resource.k8s.io",
    "storagemigration.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "internal.apiserver.k8s.io",
    "helm.sh", "yaml", "kustomize",
})
# CRDs that a chart installs from its crds/ directory (Helm installs them before the templates).
# aws-load-balancer-controller: helm/aws-load-balancer-controller/crds/crds.yaml (chart 1.13.0, app
# v2.13.0) defines ingressclassparams and targetgroupbindings in elbv2.k8s.aws.
CHART_CRDS: dict[str, frozenset[tuple[str, str]]] = {
    "aws-load-balancer-controller": frozenset({("elbv2.k8s.aws", "TargetGroupBinding"),
                                               ("elbv2.k8s.aws", "IngressClassParams")}),
    # karpenter-crd (chart 1.14.1) ships Karpenter's CRDs as templates: charts/karpenter-crd/templates/ in
    # aws/karpenter-provider-aws (the karpenter chart's own crds/ copy is skipped: skipCrds).
    "karpenter-crd": frozenset({("karpenter.sh", "NodePool"), ("karpenter.sh", "NodeClaim"),
                                ("karpenter.sh", "NodeOverlay"), ("karpenter.k8s.aws", "EC2NodeClass"),
                                ("autoscaling.x-k8s.io", "CapacityBuffer")}),
    ESO_CHART: ESO_CHART_CRDS,  # templates/crds/ with installCRDs: true (tools/harness/deploy_order/secrets.py)
}


def _type_parts(type_: str) -> tuple[str, str, str] | None:
    """``kubernetes:<group>/<version>:<Kind>`` -> (group, version, kind)."""
    match = re.fullmatch(r"kubernetes:([^/]+)/([^:]+):(\w+)", type_)
    return (match[1], match[2], match[3]) if match else None


def is_custom_resource(resource: Registration) -> bool:
    parts = _type_parts(resource.type)
    return parts is not None and parts[0] not in BUILT_IN_GROUPS


def _outside(kind: str, name: str, what: str) -> Registration:
    """A stand-in for something the program never registers: nothing can wait for it."""
    return Registration(urn=f"urn:outside::{kind}::{name}", type=f"kubernetes:outside:{kind}",
                        name=f"{name} ({what})", parent=None, provider=None, custom=True, inputs={})


# --- custom-resource-after-its-definition ----------------------------------------------------


def definitions_of(snap: Snapshot, resource: Registration) -> list[Registration]:
    group, _, kind = _type_parts(resource.type)  # type: ignore[misc]
    found = [crd for crd in snap.all(CRD_TYPE)
             if unwrap(crd.inputs.get("spec", {})).get("group") == group
             and unwrap(crd.inputs.get("spec", {})).get("names", {}).get("kind") == kind]
    found += [release for release in snap.registrations if release.type in HELM_RELEASE_TYPES
              and (group, kind) in CHART_CRDS.get(str(unwrap(release.inputs.get("chart", ""))).rsplit("/", 1)[-1],
                                                  frozenset())]
    return found or [_outside("CustomResourceDefinition", f"{kind} in {group}", "defined nowhere in this program")]


# --- workload-after-its-config ---------------------------------------------------------------


def pod_template(workload: Registration) -> dict:
    spec = unwrap(workload.inputs.get("spec", {}))
    if workload.type.endswith(":CronJob"):
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec", {})


def config_references(pod: dict) -> set[tuple[str, str]]:
    """(kind, name) of every ConfigMap and Secret a pod spec needs to start (optional ones left out)."""
    found: set[tuple[str, str]] = set()

    def add(kind: str, ref: dict | None, name_key: str = "name") -> None:
        if ref and not ref.get("optional") and ref.get(name_key):
            found.add((kind, ref[name_key]))

    for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        for source in container.get("envFrom", []):
            add("ConfigMap", source.get("configMapRef"))
            add("Secret", source.get("secretRef"))
        for variable in container.get("env", []):
            value_from = variable.get("valueFrom", {})
            add("ConfigMap", value_from.get("configMapKeyRef"))
            add("Secret", value_from.get("secretKeyRef"))
    for volume in pod.get("volumes", []):
        add("ConfigMap", volume.get("configMap"))
        add("Secret", volume.get("secret"), "secretName")
        for source in volume.get("projected", {}).get("sources", []):
            add("ConfigMap", source.get("configMap"))
            add("Secret", source.get("secret"))
    return found


def _namespace(resource: Registration) -> Any:
    return unwrap(resource.inputs.get("metadata", {})).get("namespace")


def _named(snap: Snapshot, kind: str, name: str, namespace: Any) -> list[Registration]:
    return [r for r in snap.all(CONFIG_TYPES[kind])
            if unwrap(r.inputs.get("metadata", {})).get("name") == name and _namespace(r) == namespace]


def configuration_of(snap: Snapshot, workload: Registration) -> list[Registration]:
    related = []
    for kind, name in sorted(config_references(pod_template(workload))):
        # A Secret the External Secrets Operator writes exists once its ExternalSecret is synced.
        synced = synced_secret_writers(snap, name, _namespace(workload)) if kind == "Secret" else []
        related += _named(snap, kind, name, _namespace(workload)) or synced or [
            _outside(kind, name, "not created by this program")]
    return related


# --- server-does-not-wait-for-its-clients ------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    return (text for text, _ in walk_strings(value))


def _decoded(data: dict) -> Iterator[str]:
    for value in _strings(data):
        try:
            yield base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            yield value


def connection_text(snap: Snapshot, workload: Registration) -> str:
    """Everything a workload's pods are told about where to connect: literal env values and the
    data of every ConfigMap and Secret they read."""
    pod = pod_template(workload)
    texts = [str(variable["value"]) for container in [*pod.get("initContainers", []), *pod.get("containers", [])]
             for variable in container.get("env", []) if "value" in variable]
    texts += [str(argument) for container in pod.get("containers", []) for argument in container.get("args", [])]
    for kind, name in config_references(pod):
        for config in _named(snap, kind, name, _namespace(workload)):
            inputs = unwrap(config.inputs)
            texts += list(_strings(inputs.get("data", {}))) if kind == "ConfigMap" else list(_decoded(
                inputs.get("data", {})))
            texts += list(_strings(inputs.get("stringData", {})))
    return "\n".join(texts)


def _selects(service: Registration, workload: Registration) -> bool:
    selector = unwrap(service.inputs.get("spec", {})).get("selector") or {}
    labels = unwrap(pod_template_metadata(workload)).get("labels", {})
    return bool(selector) and _namespace(service) == _namespace(workload) and all(
        labels.get(key) == value for key, value in selector.items())


def pod_template_metadata(workload: Registration) -> dict:
    spec = unwrap(workload.inputs.get("spec", {}))
    if workload.type.endswith(":CronJob"):
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("metadata", {})


def names_host(text: str, host: str) -> bool:
    """``host`` appears as a host name: ``http://loki-service:3100``, ``postgres-spring.ns.svc``."""
    return re.search(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", text) is not None


def clients_of(snap: Snapshot, server: Registration) -> list[Registration]:
    cache = snap.__dict__.setdefault("_k8s_connection_text", {})
    hosts = [unwrap(s.inputs.get("metadata", {})).get("name") for s in snap.all("kubernetes:core/v1:Service")
             if _selects(s, server)]
    clients = []
    for workload in _workloads(snap):
        if workload.urn == server.urn:
            continue
        if workload.urn not in cache:
            cache[workload.urn] = connection_text(snap, workload)
        if any(host and names_host(cache[workload.urn], host) for host in hosts):
            clients.append(workload)
    return clients


def _workloads(snap: Snapshot) -> Iterable[Registration]:
    return [r for r in snap.registrations if r.type in WORKLOAD_TYPES]


_SPEC_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "custom-resource-after-its-definition", ("*",),
        related=lambda snap, r: definitions_of(snap, r) if is_custom_resource(r) else [],
        why="the API server serves a custom kind only once its CustomResourceDefinition exists "
            "(before that: 'no matches for kind')",
        source="https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/"
               "#create-a-customresourcedefinition; Helm installs a chart's crds/ before its templates: "
               "https://helm.sh/docs/chart_best_practices/custom_resource_definitions/"),
    OrderRule(
        "workload-after-its-config", WORKLOAD_TYPES, related=configuration_of,
        why="a pod whose ConfigMap or Secret does not exist yet cannot start (CreateContainerConfigError, "
            "or ContainerCreating until the volume can be mounted) and the workload's await runs out",
        source="https://kubernetes.io/docs/concepts/configuration/configmap/#configmap-object and "
               "https://kubernetes.io/docs/concepts/configuration/secret/#restriction-secret-must-exist"),
    OrderRule(
        "server-does-not-wait-for-its-clients", WORKLOAD_TYPES, related=clients_of, kind="must-not-wait",
        why="Pulumi awaits a workload until it is Ready and a client is Ready only once its server answers: "
            "a server waiting for a client deadlocks the update (depending on a component waits for "
            "every child of it)",
        source="https://www.pulumi.com/docs/iac/concepts/options/dependson/ and pulumi-kubernetes await logic "
               "(https://www.pulumi.com/registry/packages/kubernetes/api-docs/apps/v1/deployment/)"),
)

# The secret-sync rules (issue 18): tools/harness/deploy_order/secrets.py; the observability tier's (issue 17):
# tools/harness/deploy_order/observability.py.
KUBERNETES_RULES: tuple[OrderRule, ...] = _SPEC_RULES + SECRET_SYNC_RULES + OBSERVABILITY_KUBERNETES_RULES

# --- Scaling (issue 14): Karpenter, metrics-server, priorities, readiness gates; rules in autoscaling.py ----------
from tools.harness.deploy_order.autoscaling import AUTOSCALING_RULES  # noqa: E402

KUBERNETES_RULES = KUBERNETES_RULES + AUTOSCALING_RULES
