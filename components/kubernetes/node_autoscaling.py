"""NodeAutoscaling: Karpenter adds and removes the services' nodes (staging, prod).

Owns the Karpenter node role (AmazonEKSWorkerNodePolicy and AmazonEC2ContainerRegistryPullOnly;
no CNI policy, vpc-cni has its own IRSA role) and its EKS access entry (``EC2_LINUX``: the
cluster authenticates in ``API`` mode, so without it no Karpenter node could join), the
interruption queue (SSE-SQS, 5-minute retention) with its queue policy and the EventBridge rules
that feed it (scheduled changes, spot interruptions, rebalance recommendations, instance state
changes), the controller's IRSA role (``kube-system:karpenter``) with the upstream policy
(components/kubernetes/karpenter_policy.py), the ``karpenter-crd`` and ``karpenter`` Helm
releases (CRDs from their own chart, so upgrades update them; the controller chart skips its
copy) and one EC2NodeClass and NodePool built from ``tiketi:autoscaling.nodePool``.

What it needs from elsewhere: the app subnets and the ``eks-nodes`` security group carry the
discovery tag ``karpenter.sh/discovery: <cluster name>`` (Network and AppSecurityGroups set it),
and the EKS cluster security group is selected by id, so Karpenter nodes get the same two groups
as the managed node group (control plane to kubelet and webhooks; ALB and data stores to pods).
The controller runs on the managed node group (the chart's affinity keeps it off its own nodes).

Order (tools/harness/deploy_order/autoscaling.py): the CRs wait for the CRD chart and for the
controller, so ``pulumi destroy`` deletes the NodePool while Karpenter still runs to drain and
terminate its nodes (the CRs carry its finalizers); the controller waits for its policy and the
queue; the rules' targets for the queue policy; the NodePool for the node role's access entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.base import Component
from components.capacity import CONTROLLER_REPLICAS
from components.config.autoscaling import AutoscalingSettings, NodePoolSettings
from components.kubernetes.karpenter_policy import INTERRUPTION_EVENTS, controller_policy, interruption_queue_policy
from components.security import iam
from components.security.irsa import OidcIssuer, irsa_annotations, service_account_role
from components.services import IMAGE_ARCHITECTURE

NAMESPACE = "kube-system"  # Karpenter's documented namespace
SERVICE_ACCOUNT = "karpenter"
CHART_REPOSITORY = "oci://public.ecr.aws/karpenter"
DISCOVERY_TAG = "karpenter.sh/discovery"
NODE_CLASS = "tiketi"
NODE_POOL = "tiketi"
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
# The interruption queue has no dead-letter queue, on purpose: its messages are EventBridge
# notifications about instances that matter for minutes (a spot warning gives two), expire after
# 300 s, and a notification Karpenter could not handle is stale by the time anyone would read a
# DLQ. The policy pack's sqs-encrypted-with-dlq rule accepts a queue without one only with this
# tag, and only when it is an EventBridge target (policy/stack_rules.py).
NO_DLQ_TAG = "NoDeadLetterQueue"
NO_DLQ_REASON = "EventBridge notifications that expire in 300 s; a stale one is of no use"


@dataclass(frozen=True)
class NodeAutoscalingArgs:
    settings: AutoscalingSettings
    region: str
    cluster_name: str  # the EKS cluster's name (discovery tag value, IAM condition keys)
    cluster_arn: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    oidc: OidcIssuer
    controller_nodes: pulumi.Resource  # the managed node group the controller runs on
    default_tags: Mapping[str, str]  # stack tags, copied onto the instances Karpenter launches


class NodeAutoscaling(Component):
    TYPE = "tiketi:kubernetes:NodeAutoscaling"
    node_role_name: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    node_pool: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: NodeAutoscalingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        node_role, access_entry = self._build_node_role()
        queue = self._build_interruption_queue()
        crds, controller = self._build_controller(node_role, queue)
        self.node_pool = self._build_node_pool(node_role, access_entry, crds, controller)

        self.node_role_name = node_role.name
        self.queue_name = queue.name
        self.register_outputs({"nodeRoleName": self.node_role_name, "interruptionQueueName": self.queue_name})

    def _build_node_role(self) -> tuple[aws.iam.Role, aws.eks.AccessEntry]:
        name = self._name
        role = aws.iam.Role(f"{name}-node", assume_role_policy=iam.trust("ec2.amazonaws.com"),
                            description="Karpenter nodes: join the cluster, pull images", opts=self._child())
        attachments = [aws.iam.RolePolicyAttachment(f"{name}-node-{policy}", role=role.name,
                                                    policy_arn=f"arn:aws:iam::aws:policy/{policy}",
                                                    opts=self._child())
                       for policy in NODE_POLICIES]
        # The node's kubelet authenticates as this role; EC2_LINUX maps it to system:node:<name>
        # (EKS User Guide, "Create access entries"). One principal, one entry: the managed node
        # group's role already has EKS's own entry, hence a role of its own. IAM is eventually
        # consistent and EKS refuses an entry for a principal it cannot see yet; terraform-aws-eks'
        # karpenter module delays its entry for that reason, the attachments do it here.
        entry = aws.eks.AccessEntry(f"{name}-node", cluster_name=self._args.cluster_name,
                                    principal_arn=role.arn, type="EC2_LINUX",
                                    opts=self._child(depends_on=attachments))
        return role, entry

    def _build_interruption_queue(self) -> aws.sqs.Queue:
        name, cluster = self._name, self._args.cluster_name
        queue = aws.sqs.Queue(f"{name}-interruptions", name=f"{cluster}-karpenter-interruptions",
                              message_retention_seconds=300, sqs_managed_sse_enabled=True,
                              tags={NO_DLQ_TAG: NO_DLQ_REASON},
                              # A fixed name (Karpenter's settings.interruptionQueue): a replacement
                              # must delete the old queue first; it holds at most 5 minutes of events.
                              opts=self._child(delete_before_replace=True))
        # EventBridge delivers to SQS through the queue's resource policy, never a role (EventBridge
        # User Guide, "Using resource-based policies for Amazon EventBridge"): a target created
        # before the policy drops every event until it exists.
        policy = aws.sqs.QueuePolicy(f"{name}-interruptions", queue_url=queue.url,
                                     policy=interruption_queue_policy(queue.arn), opts=self._child())
        for event, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(f"{name}-{event}", description=f"Karpenter: {event} -> interruption queue",
                                            event_pattern=json.dumps(pattern), opts=self._child())
            aws.cloudwatch.EventTarget(f"{name}-{event}", rule=rule.name, arn=queue.arn,
                                       target_id="KarpenterInterruptionQueueTarget",
                                       opts=self._child(depends_on=[policy]))
        return queue

    def _build_controller(self, node_role: aws.iam.Role,
                          queue: aws.sqs.Queue) -> tuple[k8s.helm.v3.Release, k8s.helm.v3.Release]:
        args, name, settings = self._args, self._name, self._args.settings
        role = service_account_role(f"{name}-controller", parent=self, issuer=args.oidc, namespace=NAMESPACE,
                                    service_account=SERVICE_ACCOUNT,
                                    description="Karpenter: launch and terminate this cluster's nodes")
        policy = aws.iam.RolePolicy(
            f"{name}-controller", role=role.id,
            policy=controller_policy(region=args.region, account_id=aws.get_caller_identity_output().account_id,
                                     cluster_name=args.cluster_name, cluster_arn=args.cluster_arn,
                                     node_role_arn=node_role.arn, queue_arn=queue.arn),
            opts=self._child())
        crds = k8s.helm.v3.Release(
            f"{name}-crds", name="karpenter-crd", chart=f"{CHART_REPOSITORY}/karpenter-crd",
            version=settings.karpenter_chart, namespace=NAMESPACE, opts=self._child())
        resources = {"cpu": settings.karpenter_cpu, "memory": settings.karpenter_memory}
        return crds, k8s.helm.v3.Release(
            f"{name}-controller", name="karpenter", chart=f"{CHART_REPOSITORY}/karpenter",
            version=settings.karpenter_chart, namespace=NAMESPACE,
            skip_crds=True,  # karpenter-crd owns them (Helm never upgrades a chart's crds/)
            values={
                "settings": {"clusterName": args.cluster_name, "interruptionQueue": queue.name},
                "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT,
                                   "annotations": irsa_annotations(role.arn)},
                "replicas": CONTROLLER_REPLICAS,
                "controller": {
                    "resources": {"requests": resources, "limits": resources},
                    # Pods cannot read the region from IMDS (hop limit 1), and the IRSA webhook sets
                    # AWS_REGION only when EKS runs it with a default region: say it.
                    "env": [{"name": "AWS_REGION", "value": args.region}],
                },
            },
            opts=self._child(depends_on=[crds, policy, queue, args.controller_nodes]))

    def _build_node_pool(self, node_role: aws.iam.Role, access_entry: aws.eks.AccessEntry, crds: k8s.helm.v3.Release,
                         controller: k8s.helm.v3.Release) -> k8s.apiextensions.CustomResource:
        args, name, pool = self._args, self._name, self._args.settings.node_pool
        discovery = {DISCOVERY_TAG: args.cluster_name}
        node_class = k8s.apiextensions.CustomResource(
            f"{name}-node-class", api_version="karpenter.k8s.aws/v1", kind="EC2NodeClass",
            metadata={"name": NODE_CLASS},
            spec={
                "role": node_role.name,  # the role's name: Karpenter makes the instance profile itself
                "amiSelectorTerms": [{"alias": pool.ami_alias}],
                "subnetSelectorTerms": [{"tags": discovery}],
                "securityGroupSelectorTerms": [{"id": args.cluster_security_group_id}, {"tags": discovery}],
                "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                                    "httpPutResponseHopLimit": 1, "httpTokens": "required"},
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                    "volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}}],
                "tags": {**args.default_tags, "ManagedBy": "Karpenter", "Name": f"{args.cluster_name}-karpenter"},
            },
            opts=self._child(depends_on=[crds, controller]))
        return k8s.apiextensions.CustomResource(
            f"{name}-node-pool", api_version="karpenter.sh/v1", kind="NodePool",
            metadata={"name": NODE_POOL},
            spec={
                "template": {"spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
                    "requirements": [
                        {"key": "kubernetes.io/arch", "operator": "In", "values": [IMAGE_ARCHITECTURE]},
                        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                        {"key": "karpenter.k8s.aws/instance-family", "operator": "In",
                         "values": list(pool.instance_families)},
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(pool.capacity_types)},
                        {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt",
                         "values": [str(pool.instance_cpu_min - 1)]},
                        {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Lt",
                         "values": [str(pool.instance_cpu_max + 1)]},
                    ],
                    "expireAfter": pool.expire_after,
                    "terminationGracePeriod": pool.termination_grace_period,
                }},
                "limits": {"cpu": str(pool.cpu_limit), "memory": f"{pool.memory_limit_gi}Gi"},
                "disruption": {"consolidationPolicy": pool.consolidation_policy,
                               "consolidateAfter": pool.consolidate_after, "budgets": disruption_budgets(pool)},
            },
            opts=self._child(depends_on=[node_class, access_entry, crds, controller]))


def disruption_budgets(pool: NodePoolSettings) -> list[dict[str, str]]:
    """The NodePool's budgets: at most ``disruptionBudget`` nodes at once, none during an on-sale freeze
    (Karpenter applies the most restrictive active budget; budgets cover consolidation, emptiness and
    drift, not expiry or interruptions)."""
    return [{"nodes": pool.disruption_budget}] + [
        {"nodes": "0", "schedule": freeze.schedule, "duration": freeze.duration} for freeze in pool.on_sale_freezes]
