"""ExternalSecretsOperator: the External Secrets Operator (Helm); it writes the services' Secrets from Secrets Manager.

Owns the Helm release in its own namespace ``external-secrets`` (the workloads' namespace is
default-deny; the controller must reach the API server and Secrets Manager). The chart installs
its CRDs (``installCRDs``) and a validating webhook (``failurePolicy: Fail``) that admits every
SecretStore and ExternalSecret: none can be created before the release is ready, which the
deploy-order rule ``external-secret-after-the-operator`` checks (tools/harness/deploy_order/secrets.py).

The controller has no AWS identity of its own: each workload's SecretStore names a ServiceAccount
with its own IRSA role (components/security/secret_sync.py), and the controller mints that
account's token (``rbac.serviceAccountTokenCreate``, on by default). Cluster-wide stores and
ExternalSecrets and push secrets are switched off, so no object can reach across namespaces or
write to Secrets Manager.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from components.kubernetes.cluster_addons import OFF_KARPENTER_NODES

NAMESPACE = "external-secrets"
REPOSITORY = "https://charts.external-secrets.io"


@dataclass(frozen=True)
class ExternalSecretsOperatorArgs:
    chart_version: str
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)  # nodes to run on


class ExternalSecretsOperator(Component):
    TYPE = "tiketi:kubernetes:ExternalSecretsOperator"
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: ExternalSecretsOperatorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        # deploy/charts/external-secrets/values.yaml (chart 2.9.0). helm.v3.Release runs Helm itself, so
        # the CRDs (over the 256 KiB last-applied annotation limit: external-secrets#5098) need no
        # server-side apply; Helm waits for the Deployments (webhook and cert controller included) to be
        # Ready, and the webhook is Ready only once its certificate is in place (cmd/controller/webhook.go).
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="external-secrets",
            chart="external-secrets",
            version=args.chart_version,
            namespace=NAMESPACE,
            create_namespace=True,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=REPOSITORY),
            values={
                "installCRDs": True,
                "processClusterStore": False,
                "processClusterExternalSecret": False,
                "processPushSecret": False,
                "processClusterPushSecret": False,
                "webhook": {"failurePolicy": "Fail", "affinity": OFF_KARPENTER_NODES},
                "serviceAccount": {"create": True, "name": "external-secrets"},
                # On the managed node group, like the other controllers (components/kubernetes/cluster_addons.py):
                # Karpenter's consolidation never takes the webhook away while objects are being created.
                "affinity": OFF_KARPENTER_NODES,
                "certController": {"affinity": OFF_KARPENTER_NODES},
            },
            opts=self._child(depends_on=list(args.depends_on)),
        )
        self.register_outputs({"namespace": NAMESPACE})
