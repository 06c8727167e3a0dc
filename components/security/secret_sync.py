"""SecretSync: one workload's Kubernetes Secret, kept in step with Secrets Manager by the External Secrets Operator.

Owns, for one workload: a pod-less ServiceAccount ``<secret>-sync`` annotated with its own IRSA
role, that role (trusted only by that ServiceAccount, allowed ``secretsmanager:GetSecretValue``
on exactly the secrets the workload reads, by ARN), a namespaced ``SecretStore`` that
authenticates as that ServiceAccount, and an ``ExternalSecret`` that writes the Kubernetes
Secret ``<secret>`` with exactly the keys given. The operator re-reads every
``refresh_minutes``, so a value rotated in Secrets Manager reaches the Secret without a
``pulumi up``; Reloader then restarts the workload (components/kubernetes/reloader.py).

Why the External Secrets Operator and not the Secrets Store CSI driver: the services read their
secrets as environment variables (``envFrom``), and the CSI driver syncs a Kubernetes Secret only
while a pod mounts its volume (deleted with the last such pod), so every Spring pod would need a
CSI volume just to get one, and the AWS provider then lets the pod's own role read Secrets
Manager; its rotation support is alpha and off by default (secrets-store-csi-driver docs,
"Sync as Kubernetes Secret", "Secret Auto Rotation"). With the operator, only these sync
identities can read Secrets Manager, the services' own roles cannot, and the Secret exists
before the first pod starts.

Why a store and role per workload, not one ClusterSecretStore: with one controller-wide role,
any ExternalSecret in any namespace could name any secret the role may read; here a workload's
store can reach its own secrets only (the chart is installed with cluster-wide stores off).

What the operator calls: ``GetSecretValue`` only, at ``AWSCURRENT``, for ``data[].remoteRef``
(external-secrets providers/v1/aws/secretsmanager/secretsmanager.go, v2.9.0; ``DescribeSecret``
only with ``metadataPolicy: Fetch``, which is not used). The secrets use the AWS managed key
``aws/secretsmanager``, which needs no ``kms:Decrypt`` grant for same-account readers.

Known limit (review finding 9, unconfirmed: it depends on how pulumi-kubernetes judges a condition that
predates the update): ``pulumi.com/waitFor: condition=Ready`` is already true on an ExternalSecret that
was synced before, so when a key is added Pulumi may roll the Deployment before the operator has
written the new key. Pods that need it fail until the next sync (``refresh_minutes``) and Reloader's
restart, which can outlast the Deployment's 10-minute await. So add a key in its own ``pulumi up``
first, and change the workload that reads it in a later one (docs: README, External Secrets Operator).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.base import Component
from components.security import iam
from components.security.irsa import OidcIssuer, irsa_annotations, service_account_role

API_VERSION = "external-secrets.io/v1"  # the 2.x chart serves v1 only (crds.unsafeServeV1Beta1: false)
# pulumi-kubernetes waits for a custom resource's condition when asked (pulumi.com/waitFor, since
# v4.18: pulumi/pulumi-kubernetes#3134). ESO sets Ready=True once the Secret holds every key
# (apis/externalsecrets/v1/externalsecret_types.go: ExternalSecretReady = "Ready").
WAIT_FOR_SYNC = {"pulumi.com/waitFor": "condition=Ready"}


@dataclass(frozen=True)
class RemoteKey:
    """One key of the Kubernetes Secret: a Secrets Manager secret, and the JSON property to take (or all of it)."""

    secret_arn: pulumi.Input[str]
    property: str | None = None


@dataclass(frozen=True)
class Composed:
    """A key written from several remote values through an ESO template (``{{ .<input> }}``)."""

    template: str
    inputs: Mapping[str, RemoteKey]  # template variable -> where its value comes from


@dataclass(frozen=True)
class SyncContext:
    """What every SecretSync of a cluster shares."""

    issuer: OidcIssuer
    region: str
    operator: pulumi.Resource  # the External Secrets Operator release: its webhook admits the objects
    refresh_minutes: int


@dataclass(frozen=True)
class SecretSyncArgs:
    namespace: pulumi.Input[str]  # the Namespace's output, so the objects wait for it
    namespace_name: str  # the same name as text, for the IRSA trust condition
    secret_name: str  # the Kubernetes Secret the operator writes
    keys: Mapping[str, RemoteKey]
    context: SyncContext
    labels: Mapping[str, str] = field(default_factory=dict)
    composed: Mapping[str, Composed] = field(default_factory=dict)  # key -> its template


class SecretSync(Component):
    TYPE = "tiketi:security:SecretSync"
    secret_name: str
    role_arn: pulumi.Output[str]
    ready: pulumi.Resource  # the ExternalSecret: Ready once the Secret exists with every key

    def __init__(self, name: str, args: SecretSyncArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        context = args.context
        account = f"{args.secret_name}-sync"
        role = service_account_role(
            f"{name}-role", parent=self, issuer=context.issuer, namespace=args.namespace_name,
            service_account=account, description=f"External Secrets Operator: read {args.secret_name}'s secrets")
        remote = {**args.keys, **{variable: source for composed in args.composed.values()
                                  for variable, source in composed.inputs.items()}}
        arns = pulumi.Output.all(*[key.secret_arn for key in remote.values()]).apply(
            lambda values: sorted(set(values)))
        read = aws.iam.RolePolicy(f"{name}-read", role=role.id,
                           policy=iam.document(iam.allow(["secretsmanager:GetSecretValue"], arns,
                                                         sid="ReadTheWorkloadsSecrets")),
                           opts=self._child())
        metadata = {"namespace": args.namespace, "labels": {"app.kubernetes.io/part-of": "tiketi", **args.labels}}
        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-account",
            metadata={**metadata, "name": account, "annotations": irsa_annotations(role.arn)},
            # The operator asks the API server for this account's token (TokenRequest); no pod mounts it.
            automount_service_account_token=False, opts=self._child())
        store = k8s.apiextensions.CustomResource(
            f"{name}-store", api_version=API_VERSION, kind="SecretStore",
            metadata={**metadata, "name": args.secret_name},
            spec={"provider": {"aws": {
                "service": "SecretsManager", "region": context.region,
                # IRSA: the operator reads the account's eks.amazonaws.com/role-arn and exchanges a token
                # with audience sts.amazonaws.com for that role (providers/v1/aws/auth/auth.go).
                "auth": {"jwt": {"serviceAccountRef": {"name": account}}},
            }}},
            opts=self._child(depends_on=[context.operator, service_account]))
        data = []
        for key, source in sorted(remote.items()):
            ref = {"key": source.secret_arn}
            if source.property:
                ref["property"] = source.property
            data.append({"secretKey": key, "remoteRef": ref})
        target = {"name": args.secret_name, "creationPolicy": "Owner", "deletionPolicy": "Retain"}
        if args.composed:
            # With a template the Secret holds only the template's keys (mergePolicy Replace;
            # pkg/controllers/externalsecret/externalsecret_controller_template.go): the plain keys pass
            # through, the composed ones are rendered, and the template's inputs stay out of the Secret.
            target["template"] = {"engineVersion": "v2", "mergePolicy": "Replace", "data": {
                **{key: "{{ ." + key + " }}" for key in sorted(args.keys)},
                **{key: composed.template for key, composed in sorted(args.composed.items())}}}
        external = k8s.apiextensions.CustomResource(
            f"{name}-external", api_version=API_VERSION, kind="ExternalSecret",
            metadata={**metadata, "name": args.secret_name, "annotations": WAIT_FOR_SYNC},
            spec={
                "refreshInterval": f"{context.refresh_minutes}m",
                "secretStoreRef": {"kind": "SecretStore", "name": args.secret_name},
                # Owner: the Secret is the ExternalSecret's (deleted with it); Retain: a secret deleted in
                # Secrets Manager by mistake does not empty the running pods' Secret.
                "target": target,
                "data": data,
            },
            # Not before the role may read: the operator would back off on AccessDenied.
            opts=self._child(depends_on=[context.operator, store, read]))

        self.secret_name, self.role_arn, self.ready = args.secret_name, role.arn, external
        self.register_outputs({"secretName": self.secret_name, "roleArn": self.role_arn})
