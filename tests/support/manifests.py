"""Kubernetes objects of a snapshot as the manifests `make render` writes, indexed by kind and name."""

from __future__ import annotations

from functools import cache

from tools.harness.render import kubernetes_objects
from tools.harness.snapshot import Snapshot


def _not_observability(snap: Snapshot):
    """The workloads' objects: the observability tier's (collector, its policies) are tested in tests/observability."""
    def accept(resource) -> bool:
        top = snap.component_of(resource)
        return top is None or not top.type.startswith("tiketi:observability:")
    return accept


@cache
def _objects(snap: Snapshot) -> tuple[dict, ...]:
    return tuple(m for _, m in kubernetes_objects(snap, _not_observability(snap)))


def _matching(snap: Snapshot, kind: str, namespace: str | None) -> list[dict]:
    return [m for m in _objects(snap) if m["kind"] == kind
            and (namespace is None or m["metadata"].get("namespace") == namespace)]


def of_kind(snap: Snapshot, kind: str, namespace: str | None = None) -> dict[str, dict]:
    """name -> manifest of every object of ``kind`` (in ``namespace``; a name in two namespaces needs one)."""
    found: dict[str, dict] = {}
    for m in _matching(snap, kind, namespace):
        name = m["metadata"]["name"]
        assert name not in found, f"{kind} {name} exists in several namespaces: say which (namespace=...)"
        found[name] = m
    return found


def manifest(snap: Snapshot, kind: str, name: str, namespace: str | None = None) -> dict:
    return of_kind(snap, kind, namespace)[name]


def containers(pod_spec: dict) -> list[dict]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def pod_specs(snap: Snapshot) -> dict[str, dict]:
    """name -> pod spec of every Deployment, DaemonSet, StatefulSet, Job and CronJob."""
    found = {}
    for kind in ("Deployment", "DaemonSet", "StatefulSet", "Job"):
        for m in _matching(snap, kind, None):
            found[f"{kind}/{m['metadata']['name']}"] = m["spec"]["template"]["spec"]
    for m in _matching(snap, "CronJob", None):
        found[f"CronJob/{m['metadata']['name']}"] = m["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return found
