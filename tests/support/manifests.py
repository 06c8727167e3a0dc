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
def _index(snap: Snapshot) -> dict[tuple[str, str], dict]:
    return {(m["kind"], m["metadata"]["name"]): m for _, m in kubernetes_objects(snap, _not_observability(snap))}


def manifest(snap: Snapshot, kind: str, name: str) -> dict:
    return _index(snap)[(kind, name)]


def of_kind(snap: Snapshot, kind: str) -> dict[str, dict]:
    return {name: m for (k, name), m in _index(snap).items() if k == kind}


def containers(pod_spec: dict) -> list[dict]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def pod_specs(snap: Snapshot) -> dict[str, dict]:
    """name -> pod spec of every Deployment, DaemonSet, StatefulSet and Job."""
    found = {}
    for kind in ("Deployment", "DaemonSet", "StatefulSet", "Job"):
        for name, m in of_kind(snap, kind).items():
            found[f"{kind}/{name}"] = m["spec"]["template"]["spec"]
    return found
