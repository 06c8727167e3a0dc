"""Deploy-order rules of scaling: Karpenter, its interruption queue, metrics-server, priorities, readiness gates.

Each rule finds its related resources from the rendered values (a Helm release's values, a
custom resource's spec, an ARN or URL another resource carries; AWS references through
aws_refs), so a rule also fails when the thing it needs is missing from the program (a
stand-in "not in this program" is reported).
``pulumi destroy`` walks the same graph backwards: "X waits for Y" also means Y outlives X.
"""

from __future__ import annotations

from collections.abc import Iterable

from tools.harness.deploy_order import aws_refs as refs
from tools.harness.deploy_order.graph import OrderRule
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
KARPENTER_KINDS = (NODE_POOL, NODE_CLASS)
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
QUEUE = "aws:sqs/queue:Queue"
READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject"
# Charts that ship only CRDs: no pod waits for a node.
CRD_ONLY_CHARTS = ("karpenter-crd",)


def _missing(what: str) -> Registration:
    """A stand-in for something the program never registers: nothing can wait for it."""
    return Registration(urn=f"urn:outside::{what}", type="outside:Missing", name=f"{what} (not in this program)",
                        parent=None, provider=None, custom=True, inputs={})


def _chart(release: Registration) -> str:
    return str(refs.get(release, "chart") or "").rsplit("/", 1)[-1]


def releases_of(snap: Snapshot, chart: str) -> list[Registration]:
    return [r for r in snap.all(RELEASE) if _chart(r) == chart] or [_missing(f"Helm release of chart {chart}")]


def controller_permissions(snap: Snapshot, release: Registration) -> list[Registration]:
    """The karpenter release's IAM role policies (of the role its service account names) and its queue."""
    if _chart(release) != "karpenter":
        return []
    role_arn = refs.get(release, "values", "serviceAccount", "annotations", "eks.amazonaws.com/role-arn")
    policies = refs.role_policies(snap, role_arn)
    queue_name = refs.get(release, "values", "settings", "interruptionQueue")
    queues = refs.referenced(snap, QUEUE, queue_name)
    return (policies or [_missing("the controller role's policy")]) + (queues or [_missing("the interruption queue")])


def queue_policies_of_target(snap: Snapshot, target: Registration) -> list[Registration]:
    """An EventBridge target that is an SQS queue needs that queue's policy (SQS targets are authorised by it)."""
    queues = refs.referenced(snap, QUEUE, refs.get(target, "arn"))
    if not queues:
        return []
    return [p for p in snap.all("aws:sqs/queuePolicy:QueuePolicy") for q in queues
            if refs.get(p, "queueUrl") in refs.names(q)] or [_missing(f"the queue policy of {queues[0].name}")]


def node_class_and_access(snap: Snapshot, pool: Registration) -> list[Registration]:
    """The EC2NodeClass a NodePool names, and the EKS access entry of that class's node role."""
    name = refs.get(pool, "spec", "template", "spec", "nodeClassRef", "name")
    classes = [c for c in snap.all(NODE_CLASS) if refs.get(c, "metadata", "name") == name]
    if not classes:
        return [_missing(f"EC2NodeClass {name}")]
    role_name = refs.get(classes[0], "spec", "role")
    roles = refs.referenced(snap, refs.ROLE, role_name)
    entries = [e for e in snap.all("aws:eks/accessEntry:AccessEntry") for role in roles
               if refs.get(e, "principalArn") in refs.names(role)]
    return classes + (entries or [_missing(f"an access entry for node role {role_name}")])


def priority_classes_of(snap: Snapshot, deployment: Registration) -> list[Registration]:
    name = refs.get(deployment, "spec", "template", "spec", "priorityClassName")
    if not name or name.startswith("system-"):
        return []  # the built-in classes always exist
    return [p for p in snap.all("kubernetes:scheduling.k8s.io/v1:PriorityClass")
            if refs.get(p, "metadata", "name") == name] or [_missing(f"PriorityClass {name}")]


def _namespaces_with_gates(snap: Snapshot) -> set[str]:
    return {refs.get(n, "metadata", "name") for n in snap.all("kubernetes:core/v1:Namespace")
            if (refs.get(n, "metadata", "labels") or {}).get(READINESS_GATE_LABEL) == "enabled"}


def bindings_of(snap: Snapshot, deployment: Registration) -> list[Registration]:
    """In a namespace with readiness gates on, the TargetGroupBindings whose Service selects this Deployment's pods."""
    namespace = refs.get(deployment, "metadata", "namespace")
    if namespace not in _namespaces_with_gates(snap):
        return []
    labels = refs.get(deployment, "spec", "template", "metadata", "labels") or {}
    services = [s for s in snap.all("kubernetes:core/v1:Service")
                if refs.get(s, "metadata", "namespace") == namespace
                and (selector := refs.get(s, "spec", "selector"))
                and all(labels.get(k) == v for k, v in selector.items())]
    names = {refs.get(s, "metadata", "name") for s in services}
    return [b for b in snap.all(BINDING) if refs.get(b, "metadata", "namespace") == namespace
            and refs.get(b, "spec", "serviceRef", "name") in names]


def node_groups_for(snap: Snapshot, release: Registration) -> Iterable[Registration]:
    if _chart(release) in CRD_ONLY_CHARTS:
        return []
    return snap.all("aws:eks/nodeGroup:NodeGroup") or [_missing("a managed node group")]


def node_groups_for_pods(snap: Snapshot, workload: Registration) -> Iterable[Registration]:
    """On EKS every awaited pod workload needs nodes Pulumi creates; kind's nodes exist before Pulumi runs."""
    if not snap.all("aws:eks/cluster:Cluster"):
        return []
    return snap.all("aws:eks/nodeGroup:NodeGroup") or [_missing("a managed node group")]


KARPENTER = "https://karpenter.sh/docs/"

AUTOSCALING_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "karpenter-kinds-after-their-crds", KARPENTER_KINDS, related=lambda snap, r: releases_of(snap, "karpenter-crd"),
        why="the API server serves NodePool and EC2NodeClass only once the karpenter-crd chart has installed "
            "their CustomResourceDefinitions ('no matches for kind' before)",
        source=f"{KARPENTER}upgrading/upgrade-guide/ ('CRD Upgrades': use the independent karpenter-crd chart); "
               "https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/"),
    OrderRule(
        "karpenter-kinds-deleted-before-the-controller", KARPENTER_KINDS,
        related=lambda snap, r: releases_of(snap, "karpenter"),
        why="Karpenter holds finalizers on EC2NodeClasses (karpenter.k8s.aws/termination) and on the NodeClaims a "
            "NodePool owns (karpenter.sh/termination) and removes them only after draining and terminating the "
            "instances: deleted after the controller, they hang and their instances keep running",
        source=f"{KARPENTER}concepts/nodeclaims/ (metadata.finalizers); "
               "aws/karpenter-provider-aws pkg/controllers/nodeclass/controller.go (TerminationFinalizer)"),
    OrderRule(
        "karpenter-controller-after-its-permissions", (RELEASE,), related=controller_permissions,
        why="the controller discovers the cluster, prices and launches instances with its IRSA role's policy and "
            "resolves settings.interruptionQueue by name at start; without either it fails its first calls",
        source=f"{KARPENTER}getting-started/getting-started-with-karpenter/ (cloudformation.yaml: "
               "KarpenterControllerPolicy, KarpenterInterruptionQueue); charts/karpenter/values.yaml settings"),
    OrderRule(
        "node-pool-after-its-class-and-node-access", (NODE_POOL,), related=node_class_and_access,
        why="a NodePool launches nodes from its EC2NodeClass, and with API authentication a node whose role has no "
            "EC2_LINUX access entry never registers (kubelet 'Unauthorized'; Karpenter deletes the NodeClaim "
            "after 15 minutes)",
        source="https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html; "
               f"{KARPENTER}troubleshooting/ (node not registering); {KARPENTER}concepts/nodeclaims/"),
    OrderRule(
        "workload-after-its-priority-class", (DEPLOYMENT,), related=priority_classes_of,
        why="a pod naming a PriorityClass that does not exist is rejected at admission, so the Deployment never "
            "becomes Ready",
        source="https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/#pod-priority"),
    OrderRule(
        "bound-workload-after-its-binding", (DEPLOYMENT,), related=bindings_of,
        why="the Load Balancer Controller injects the readiness gate only into pods created while a "
            "TargetGroupBinding refers to their Service: pods created first roll out without waiting for the ALB",
        source="https://kubernetes-sigs.github.io/aws-load-balancer-controller/v2.13/deploy/pod_readiness_gate/"),
    OrderRule(
        "controller-chart-after-its-nodes", (RELEASE,), related=node_groups_for,
        why="a Helm release is awaited until its Deployments are Ready, and their pods run on the managed node "
            "group (the controllers stay off Karpenter's nodes): without nodes the release times out",
        source="https://www.pulumi.com/registry/packages/kubernetes/api-docs/helm/v3/release/ (skipAwait: "
               "'By default, the provider waits until all resources are in a ready state')"),
    OrderRule(
        "pod-workload-after-its-nodes", (DEPLOYMENT, "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job"),
        related=node_groups_for_pods,
        why="Pulumi awaits a Deployment's or StatefulSet's Ready replicas and a Job's completion (10 minutes by "
            "default); applied before the managed node group is Ready (it waits for the vpc-cni add-on) its pods "
            "stay Pending and the update can time out. Through Karpenter's NodePool a workload waits for the "
            "group too (the controller's release waits for it)",
        source="https://www.pulumi.com/registry/packages/kubernetes/api-docs/apps/v1/deployment/ ('If the "
               "Deployment has not reached a Ready state after 10 minutes, it will time out and mark the resource "
               "update as Failed')"),
)

# The AWS side joins AWS_RULES (aws.py), so the test that every AWS type the program creates has
# a rule or a reason sees it.
AUTOSCALING_AWS_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "interruption-target-after-its-queue-policy", ("aws:cloudwatch/eventTarget:EventTarget",),
        related=queue_policies_of_target,
        why="EventBridge delivers to an SQS target only when the queue's resource policy lets events.amazonaws.com "
            "send; until the policy exists every matched event is dropped",
        source="https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html"),
)

AUTOSCALING_NO_PRECONDITION: dict[str, str] = {
    "aws:cloudwatch/eventRule:EventRule": "PutRule checks the event pattern's syntax only; targets are added "
                                          "separately (interruption-target-after-its-queue-policy)",
}
