"""Small builders for the kind stack's platform manifests, so each component reads as its spec table."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s


def resources(cpu_request: str, cpu_limit: str, memory_request: str, memory_limit: str) -> dict:
    return {"requests": {"cpu": cpu_request, "memory": memory_request},
            "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def security(uid: int, read_only_root: bool = True, gid: int | None = None) -> dict:
    """Non-root, no escalation, no capabilities, default seccomp (spec 3.1's posture for platform pods too)."""
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid if gid is None else gid,
            "allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": read_only_root,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def exec_probe(command: list[str], initial_delay: int, period: int) -> dict:
    return {"exec": {"command": command}, "initialDelaySeconds": initial_delay, "periodSeconds": period}


def tcp_probe(port: int, initial_delay: int, period: int, failure_threshold: int | None = None) -> dict:
    probe = {"tcpSocket": {"port": port}, "initialDelaySeconds": initial_delay, "periodSeconds": period}
    if failure_threshold is not None:
        probe["failureThreshold"] = failure_threshold
    return probe


def http_probe(path: str, port: int | str, initial_delay: int, period: int) -> dict:
    return {"httpGet": {"path": path, "port": port}, "initialDelaySeconds": initial_delay, "periodSeconds": period}


class ManifestBuilder:
    """Creates namespaced objects as children of one component."""

    def __init__(self, parent: pulumi.ComponentResource, prefix: str, namespace: pulumi.Input[str]):
        self.parent, self.prefix, self.namespace = parent, prefix, namespace

    def opts(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent, **kwargs)

    def meta(self, name: str, app: str) -> dict:
        return {"name": name, "namespace": self.namespace,
                "labels": {"app": app, "tier": "platform", "app.kubernetes.io/part-of": "tiketi"}}

    def config_map(self, name: str, app: str, data: dict) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(f"{self.prefix}-{name}", metadata=self.meta(name, app), data=data,
                                     opts=self.opts())

    def pvc(self, name: str, app: str, size: str) -> k8s.core.v1.PersistentVolumeClaim:
        return k8s.core.v1.PersistentVolumeClaim(
            f"{self.prefix}-{name}", metadata=self.meta(name, app),
            spec={"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                  "resources": {"requests": {"storage": size}}},
            opts=self.opts())

    def secret(self, name: str, app: str, data: pulumi.Input[dict]) -> k8s.core.v1.Secret:
        """``data`` is already base64 (components.kubernetes.workloads.secret_data_of): never stringData."""
        return k8s.core.v1.Secret(f"{self.prefix}-{name}", metadata=self.meta(name, app), type="Opaque", data=data,
                                  opts=self.opts())

    def deployment(self, app: str, pod_spec: dict, *, fs_group: int, stateful: bool = False,
                   reads: Sequence[pulumi.Resource] = ()) -> k8s.apps.v1.Deployment:
        """``reads``: the ConfigMaps and Secrets the pods mount or read, created before the Deployment."""
        labels = {"app": app, "tier": "platform"}
        pod_spec = {"automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "fsGroup": fs_group,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    **pod_spec}
        return k8s.apps.v1.Deployment(
            f"{self.prefix}-{app}", metadata=self.meta(app, app),
            spec={"replicas": 1, "selector": {"matchLabels": {"app": app}},
                  # One pod owns a ReadWriteOnce volume: stop the old one before starting the new.
                  "strategy": {"type": "Recreate" if stateful else "RollingUpdate"},
                  "template": {"metadata": {"labels": labels}, "spec": pod_spec}},
            opts=self.opts(depends_on=list(reads)))

    def service(self, name: str, app: str, ports: list[dict], node_port: bool = False) -> k8s.core.v1.Service:
        return k8s.core.v1.Service(
            f"{self.prefix}-{name}-service", metadata=self.meta(name, app),
            spec={"type": "NodePort" if node_port else "ClusterIP", "selector": {"app": app}, "ports": ports},
            opts=self.opts())
