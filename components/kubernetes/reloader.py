"""Reloader: restarts a service when its Secret changes, so a rotated value reaches the running pods.

The services read their secrets as environment variables, which a process reads once at start:
the External Secrets Operator updating a Secret changes nothing in a running pod. Owns the
Stakater Reloader Helm release in its own namespace ``reloader``, in scoped mode: it watches only
the workloads' namespace, through a Role and RoleBinding the chart creates there (no ClusterRole;
chart values.yaml ``reloader.namespaces``). Each Deployment names its Secret in
``secret.reloader.stakater.com/reload``, and a change rolls it (``maxUnavailable: 0``, so the
service stays up). Strategy ``annotations``: Reloader stamps
``reloader.stakater.com/last-reloaded-from`` on the pod template instead of adding an
environment variable, a field Pulumi does not set, so server-side apply leaves it alone.

Why Reloader rather than an equivalent: the alternatives are a pod-template hash Pulumi computes
(needs a ``pulumi up`` per rotation, which is what this issue removes) or mounting the Secret as
files the applications re-read (the Spring services read environment variables).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from components.kubernetes.cluster_addons import OFF_KARPENTER_NODES

NAMESPACE = "reloader"
REPOSITORY = "https://stakater.github.io/stakater-charts"
RELOAD_ANNOTATION = "secret.reloader.stakater.com/reload"


@dataclass(frozen=True)
class ReloaderArgs:
    chart_version: str
    watched_namespace: pulumi.Input[str]  # the workloads' Namespace output: the chart puts its Role there
    controller_nodes: pulumi.Resource  # the managed node group its pod runs on


class Reloader(Component):
    TYPE = "tiketi:kubernetes:Reloader"

    def __init__(self, name: str, args: ReloaderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        # deployments/kubernetes/chart/reloader/values.yaml (chart 2.2.16, app v1.4.21).
        k8s.helm.v3.Release(
            f"{name}-release",
            name="reloader",
            chart="reloader",
            version=args.chart_version,
            namespace=NAMESPACE,
            create_namespace=True,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPOSITORY),
            values={"reloader": {
                "watchGlobally": False,
                "namespaces": [args.watched_namespace],
                "reloadStrategy": "annotations",
                "ignoreConfigMaps": True,  # Pulumi rolls ConfigMap changes itself
                "readOnlyRootFileSystem": True,
                # On the managed node group, like the other controllers: Karpenter's consolidation never
                # moves it in the middle of a rotation (components/kubernetes/cluster_addons.py).
                "deployment": {"affinity": OFF_KARPENTER_NODES, "containerSecurityContext": {
                    "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]}}},
            }},
            # Helm waits for the Deployment to be Ready: it needs nodes (controller-chart-after-its-nodes).
            opts=self._child(depends_on=[args.controller_nodes]),
        )
        self.register_outputs({"namespace": NAMESPACE})
