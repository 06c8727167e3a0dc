"""Karpenter's IAM and interruption documents, exactly as upstream ships them for Karpenter 1.14.

Source: the CloudFormation template of Karpenter's getting-started guide,
``website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml`` in
aws/karpenter-provider-aws@1d927085 (docs for v1.14.1; byte-identical to the v1.14.1 tag's copy).
It splits the controller's statements into six managed policies (NodeLifecycle, IAMIntegration,
EKSIntegration, Interruption, ZonalShift, ResourceDiscovery); here they are one inline policy, in
the template's order, because merged they come to about 6,000 characters: a longer cluster name
or account would push them past a managed policy's 6,144-character limit, and they sit well inside
the 10,240 a role's inline policies may hold (IAM and STS quotas).

Least privilege, as upstream scopes it: launching, tagging and terminating only instances, fleets
and launch templates tagged for this cluster and a NodePool; passing only the node role to EC2;
instance profiles only with this cluster's and region's tags; the interruption queue only this one.
One statement less than upstream: ZonalShift's ``arc-zonal-shift:GetManagedResource`` is used only
with ``settings.enableZonalShift``, which this program leaves off.

parliament (run on the rendered document) reports what upstream's design implies and nothing else:
RESOURCE_MISMATCH for RunInstances/CreateFleet (their resources are split over statements with
different conditions; together they cover every resource type), the PassRole + RunInstances pair
(passing only the node role, only to EC2), and the account-less ARN of AWS's public SSM parameters
(``arn:aws:ssm:<region>::parameter/aws/service/*`` is how AWS spells them).
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.security import iam

# EventBridge -> SQS: the events Karpenter acts on (same patterns in the CloudFormation template and
# terraform-aws-eks' karpenter module). Upstream also forwards "EC2 Capacity Reservation Instance
# Interruption Warning"; this program's NodePool launches no capacity reservations, so it is left out.
INTERRUPTION_EVENTS: dict[str, dict[str, list[str]]] = {
    # AWS Health, unfiltered: scheduled changes (instance retirement) among them; Karpenter filters.
    "scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    # Karpenter only records rebalance recommendations (it does not drain on them); upstream forwards them.
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "instance-state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}


def _ec2(region: str, *resources: str) -> list[str]:
    return [f"arn:aws:ec2:{region}:*:{resource}" for resource in resources]


def controller_policy(*, region: str, account_id: pulumi.Input[str], cluster_name: str,
                      cluster_arn: pulumi.Input[str], node_role_arn: pulumi.Input[str],
                      queue_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """The controller's permissions (the template's six policies, merged, in its order)."""
    profiles = pulumi.Output.concat("arn:aws:iam::", account_id, ":instance-profile/*")
    return iam.document(*_statements(region, cluster_name, profiles, cluster_arn, node_role_arn, queue_arn))


def _statements(region: str, cluster: str, profiles: pulumi.Output[str], cluster_arn: pulumi.Input[str],
                node_role_arn: pulumi.Input[str], queue_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
    request_owned = {f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
                     "aws:RequestTag/eks:eks-cluster-name": cluster}
    nodepool_tagged = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    launched = ("fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*",
                "spot-instances-request/*")
    region_tag = {"aws:ResourceTag/topology.kubernetes.io/region": region}
    return [
        # NodeLifecycle
        iam.allow(["ec2:RunInstances", "ec2:CreateFleet"],
                  [f"arn:aws:ec2:{region}::image/*", f"arn:aws:ec2:{region}::snapshot/*",
                   *_ec2(region, "security-group/*", "subnet/*", "capacity-reservation/*", "placement-group/*")],
                  sid="AllowScopedEC2InstanceAccessActions"),
        iam.allow(["ec2:RunInstances", "ec2:CreateFleet"], _ec2(region, "launch-template/*")[0],
                  {"StringEquals": owned, "StringLike": nodepool_tagged},
                  sid="AllowScopedEC2LaunchTemplateAccessActions"),
        iam.allow(["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"], _ec2(region, *launched),
                  {"StringEquals": request_owned, "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
                  sid="AllowScopedEC2InstanceActionsWithTags"),
        iam.allow(["ec2:CreateTags"], _ec2(region, *launched),
                  {"StringEquals": {**request_owned,
                                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                   "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
                  sid="AllowScopedResourceCreationTagging"),
        iam.allow(["ec2:CreateTags"], _ec2(region, "instance/*")[0],
                  {"StringEquals": owned, "StringLike": nodepool_tagged,
                   "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster},
                   "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim",
                                                                 "Name"]}},
                  sid="AllowScopedResourceTagging"),
        iam.allow(["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                  _ec2(region, "instance/*", "launch-template/*"),
                  {"StringEquals": owned, "StringLike": nodepool_tagged}, sid="AllowScopedDeletion"),
        # IAMIntegration: pass only the node role, to EC2 only; instance profiles only with this cluster's tags
        iam.allow(["iam:PassRole"], node_role_arn,
                  {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
                  sid="AllowPassingInstanceRole"),
        iam.allow(["iam:CreateInstanceProfile"], profiles,
                  {"StringEquals": {**request_owned, "aws:RequestTag/topology.kubernetes.io/region": region},
                   "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}},
                  sid="AllowScopedInstanceProfileCreationActions"),
        iam.allow(["iam:TagInstanceProfile"], profiles,
                  {"StringEquals": {**owned, **region_tag, **request_owned,
                                    "aws:RequestTag/topology.kubernetes.io/region": region},
                   "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                                  "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}},
                  sid="AllowScopedInstanceProfileTagActions"),
        iam.allow(["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
                  profiles, {"StringEquals": {**owned, **region_tag},
                             "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}},
                  sid="AllowScopedInstanceProfileActions"),
        # EKSIntegration: the API server endpoint, discovered instead of configured
        iam.allow(["eks:DescribeCluster"], cluster_arn, sid="AllowAPIServerEndpointDiscovery"),
        # Interruption: the controller long-polls the queue it finds by name (settings.interruptionQueue)
        iam.allow(["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], queue_arn,
                  sid="AllowInterruptionQueueActions"),
        # ResourceDiscovery
        iam.allow(["ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
                   "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
                   "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups",
                   "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"], "*",
                  {"StringEquals": {"aws:RequestedRegion": region}}, sid="AllowRegionalReadActions"),
        iam.allow(["ssm:GetParameter"], f"arn:aws:ssm:{region}::parameter/aws/service/*", sid="AllowSSMReadActions"),
        iam.allow(["pricing:GetProducts"], "*", sid="AllowPricingReadActions"),
        iam.allow(["iam:ListInstanceProfiles"], "*", sid="AllowUnscopedInstanceProfileListAction"),
        iam.allow(["iam:GetInstanceProfile"], profiles, sid="AllowInstanceProfileReadActions"),
    ]


def interruption_queue_policy(queue_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """EventBridge (and SQS itself) may send; nothing may use the queue without TLS (template's queue policy)."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Id": "EC2InterruptionPolicy",
        "Statement": [
            {"Sid": "EventBridgeSends", "Effect": "Allow",
             "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
             "Action": "sqs:SendMessage", "Resource": queue_arn},
            {"Sid": "DenyHTTP", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queue_arn,
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    })
