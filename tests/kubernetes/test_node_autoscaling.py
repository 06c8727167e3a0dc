"""Metrics and node autoscaling on the staging and prod snapshots: metrics-server, Karpenter's IAM, queue,
rules, charts, EC2NodeClass and NodePool, and the discovery tags, by value."""

from __future__ import annotations

import json
import re

import pytest

from components.config import autoscaling as patterns
from components.config.autoscaling import NodePoolSettings
from components.kubernetes.node_autoscaling import disruption_budgets
from tests.support.manifests import of_kind
from tools.harness.fake_cloud import ACCOUNT_ID as ACCOUNT


def release(snap, chart: str):
    [found] = [r for r in snap.all("kubernetes:helm.sh/v3:Release") if r.inputs["chart"].endswith(f"/{chart}")
               or r.inputs["chart"] == chart]
    return found


def role_by_arn(snap, arn: str):
    [role] = [r for r in snap.all("aws:iam/role:Role") if r.outputs["arn"] == arn]
    return role


def node_role(snap):
    node_class = of_kind(snap, "EC2NodeClass")["tiketi"]
    [role] = [r for r in snap.all("aws:iam/role:Role") if r.outputs["name"] == node_class["spec"]["role"]]
    return role


def controller_statements(snap) -> dict[str, dict]:
    values = release(snap, "karpenter").inputs["values"]
    role = role_by_arn(snap, values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"])
    [policy] = snap.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


def interruption_queue(snap):
    return snap.one("aws:sqs/queue:Queue", name=f"tiketi-{snap.stack}-karpenter-interruptions")


# --- metrics-server ------------------------------------------------------------------------------


def test_metrics_server_is_pinned_and_highly_available(aws_stack):
    metrics = release(aws_stack, "metrics-server")
    assert (metrics.inputs["version"], metrics.inputs["namespace"], metrics.inputs["name"]) == (
        "3.13.1", "kube-system", "metrics-server")
    assert metrics.inputs["repositoryOpts"] == {"repo": "https://kubernetes-sigs.github.io/metrics-server/"}
    values = metrics.inputs["values"]
    assert values["replicas"] == 2
    assert values["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1,
                                             "unhealthyPodEvictionPolicy": "AlwaysAllow"}
    assert values["resources"] == {"requests": {"cpu": "100m", "memory": "200Mi"}}
    affinity = values["affinity"]
    assert affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}]
    assert affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {
            "app.kubernetes.io/name": "metrics-server", "app.kubernetes.io/instance": "metrics-server"}}}]
    nodes = aws_stack.one("aws:eks/nodeGroup:NodeGroup")
    assert nodes.urn in metrics.all_dependencies


# --- Karpenter: node role, access entry, discovery ----------------------------------------------------


def test_karpenter_nodes_have_a_role_of_their_own_with_an_ec2_linux_access_entry(aws_stack):
    role = node_role(aws_stack)
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert (trust["Principal"], trust["Action"]) == ({"Service": "ec2.amazonaws.com"}, "sts:AssumeRole")
    attached = sorted(a.inputs["policyArn"] for a in aws_stack.all(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", role=role.outputs["name"]))
    # No CNI policy: vpc-cni runs with its own IRSA role.
    assert attached == ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
                        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"]
    [entry] = aws_stack.all("aws:eks/accessEntry:AccessEntry", principalArn=role.outputs["arn"])
    assert (entry.inputs["type"], entry.inputs["clusterName"]) == ("EC2_LINUX", f"tiketi-{aws_stack.stack}")
    assert "kubernetesGroups" not in entry.inputs  # EKS refuses groups on a non-STANDARD entry
    managed_group_role = aws_stack.one("aws:eks/nodeGroup:NodeGroup").inputs["nodeRoleArn"]
    assert role.outputs["arn"] != managed_group_role  # one principal, one access entry


def test_discovery_tags_on_the_app_subnets_and_the_node_group_only(aws_stack):
    cluster = f"tiketi-{aws_stack.stack}"
    tagged = {s.inputs["tags"]["Tier"] for s in aws_stack.all("aws:ec2/subnet:Subnet")
              if s.inputs["tags"].get("karpenter.sh/discovery") == cluster}
    assert tagged == {"app"}
    assert all(s.inputs["tags"].get("karpenter.sh/discovery") == cluster
               for s in aws_stack.all("aws:ec2/subnet:Subnet", tags={"Tier": "app"}))
    groups = [g for g in aws_stack.all("aws:ec2/securityGroup:SecurityGroup")
              if g.inputs.get("tags", {}).get("karpenter.sh/discovery")]
    assert [g.inputs["tags"]["Name"] for g in groups] == [f"{cluster}-eks-nodes"]  # at most one group carries it


# --- Karpenter: interruption queue and rules -------------------------------------------------------------


def test_the_interruption_queue_is_encrypted_short_lived_and_fed_by_eventbridge(aws_stack):
    queue = interruption_queue(aws_stack)
    assert (queue.inputs["messageRetentionSeconds"], queue.inputs["sqsManagedSseEnabled"]) == (300, True)
    assert "redrivePolicy" not in queue.inputs
    assert queue.inputs["tags"]["NoDeadLetterQueue"].startswith("EventBridge notifications that expire in 300 s")
    [policy] = aws_stack.all("aws:sqs/queuePolicy:QueuePolicy", queueUrl=queue.outputs["url"])
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["EventBridgeSends"] == {
        "Sid": "EventBridgeSends", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue.outputs["arn"],
        "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}}
    assert statements["DenyHTTP"] == {
        "Sid": "DenyHTTP", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queue.outputs["arn"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_the_four_interruption_rules_target_the_queue_after_its_policy(aws_stack):
    queue = interruption_queue(aws_stack)
    [policy] = aws_stack.all("aws:sqs/queuePolicy:QueuePolicy", queueUrl=queue.outputs["url"])
    rules = {r.outputs["name"]: json.loads(r.inputs["eventPattern"]) for r in
             aws_stack.all("aws:cloudwatch/eventRule:EventRule")}
    assert sorted(rules.values(), key=json.dumps) == sorted([
        {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
        {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    ], key=json.dumps)
    targets = aws_stack.all("aws:cloudwatch/eventTarget:EventTarget")
    assert sorted(t.inputs["rule"] for t in targets) == sorted(rules)  # one target per rule
    for target in targets:
        assert (target.inputs["arn"], target.inputs["targetId"]) == (queue.outputs["arn"],
                                                                     "KarpenterInterruptionQueueTarget")
        assert "roleArn" not in target.inputs  # SQS targets are authorised by the queue policy, never a role
        assert policy.urn in target.all_dependencies


# --- Karpenter: controller ---------------------------------------------------------------------------------


def test_the_controller_assumes_its_role_only_as_its_service_account(aws_stack):
    values = release(aws_stack, "karpenter").inputs["values"]
    role = role_by_arn(aws_stack, values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"])
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    oidc = aws_stack.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    host = oidc.inputs["url"].removeprefix("https://")
    assert trust["Principal"] == {"Federated": oidc.outputs["arn"]}
    assert trust["Condition"] == {"StringEquals": {f"{host}:sub": "system:serviceaccount:kube-system:karpenter",
                                                   f"{host}:aud": "sts.amazonaws.com"}}


def test_the_controller_policy_is_upstreams_least_privilege(aws_stack):
    statements = controller_statements(aws_stack)
    cluster = f"tiketi-{aws_stack.stack}"
    region = "ap-northeast-2"
    assert list(statements) == [
        "AllowScopedEC2InstanceAccessActions", "AllowScopedEC2LaunchTemplateAccessActions",
        "AllowScopedEC2InstanceActionsWithTags", "AllowScopedResourceCreationTagging", "AllowScopedResourceTagging",
        "AllowScopedDeletion", "AllowPassingInstanceRole", "AllowScopedInstanceProfileCreationActions",
        "AllowScopedInstanceProfileTagActions", "AllowScopedInstanceProfileActions",
        "AllowAPIServerEndpointDiscovery", "AllowInterruptionQueueActions", "AllowRegionalReadActions",
        "AllowSSMReadActions", "AllowPricingReadActions", "AllowUnscopedInstanceProfileListAction",
        "AllowInstanceProfileReadActions"]
    assert all(s["Effect"] == "Allow" for s in statements.values())
    # Terminating: only instances and launch templates this cluster's NodePools own.
    deletion = statements["AllowScopedDeletion"]
    assert deletion["Action"] == ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]
    assert deletion["Resource"] == [f"arn:aws:ec2:{region}:*:instance/*", f"arn:aws:ec2:{region}:*:launch-template/*"]
    assert deletion["Condition"] == {"StringEquals": {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"},
                                     "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}
    # Launching: tagged for this cluster at creation.
    launching = statements["AllowScopedEC2InstanceActionsWithTags"]
    assert launching["Action"] == ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"]
    assert launching["Condition"]["StringEquals"] == {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned", "aws:RequestTag/eks:eks-cluster-name": cluster}
    # Passing a role: the node role only, to EC2 only.
    passing = statements["AllowPassingInstanceRole"]
    assert (passing["Action"], passing["Resource"]) == (["iam:PassRole"], node_role(aws_stack).outputs["arn"])
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com",
                                                                            "ec2.amazonaws.com.cn"]}}
    profiles = f"arn:aws:iam::{ACCOUNT}:instance-profile/*"
    assert statements["AllowScopedInstanceProfileCreationActions"]["Resource"] == profiles
    assert statements["AllowScopedInstanceProfileCreationActions"]["Condition"]["StringEquals"][
        "aws:RequestTag/topology.kubernetes.io/region"] == region
    cluster_arn = aws_stack.one("aws:eks/cluster:Cluster").outputs["arn"]
    assert statements["AllowAPIServerEndpointDiscovery"]["Resource"] == cluster_arn
    queue = statements["AllowInterruptionQueueActions"]
    assert (queue["Action"], queue["Resource"]) == (["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                                                    interruption_queue(aws_stack).outputs["arn"])
    reads = statements["AllowRegionalReadActions"]
    assert reads["Resource"] == "*" and all(a.startswith("ec2:Describe") for a in reads["Action"])
    assert reads["Condition"] == {"StringEquals": {"aws:RequestedRegion": region}}
    assert statements["AllowSSMReadActions"]["Resource"] == f"arn:aws:ssm:{region}::parameter/aws/service/*"
    # Every Resource "*" is a read: describe, pricing, listing instance profiles.
    unscoped = sorted(a for s in statements.values() if s["Resource"] == "*" for a in s["Action"])
    assert all(re.match(r"(ec2:Describe|pricing:Get|iam:List)", a) for a in unscoped)


def test_the_controller_policy_fits_the_roles_inline_quota(aws_stack):
    values = release(aws_stack, "karpenter").inputs["values"]
    role = role_by_arn(aws_stack, values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"])
    [policy] = aws_stack.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    size = len(json.dumps(json.loads(policy.inputs["policy"]), separators=(",", ":")))
    # Within a few hundred characters of a managed policy's 6,144 (a longer cluster name would cross it),
    # well inside the 10,240 a role's inline policies may hold together.
    assert 5500 < size < 10240


def test_the_charts_are_pinned_crds_separately(aws_stack):
    crds, controller = release(aws_stack, "karpenter-crd"), release(aws_stack, "karpenter")
    assert (crds.inputs["chart"], crds.inputs["version"], crds.inputs["namespace"]) == (
        "oci://public.ecr.aws/karpenter/karpenter-crd", "1.14.1", "kube-system")
    assert (controller.inputs["chart"], controller.inputs["version"], controller.inputs["namespace"]) == (
        "oci://public.ecr.aws/karpenter/karpenter", "1.14.1", "kube-system")
    assert controller.inputs["skipCrds"] is True and "skipCrds" not in crds.inputs


@pytest.mark.parametrize("stack,cpu,memory", [("prod", "1", "1Gi"), ("staging", "500m", "512Mi")])
def test_the_controller_values(stack, cpu, memory, request):
    snap = request.getfixturevalue(stack)
    values = release(snap, "karpenter").inputs["values"]
    assert values["settings"] == {"clusterName": f"tiketi-{stack}",
                                  "interruptionQueue": f"tiketi-{stack}-karpenter-interruptions"}
    assert values["serviceAccount"]["name"] == "karpenter" and values["serviceAccount"]["create"] is True
    assert values["replicas"] == 2
    assert values["controller"]["resources"] == {"requests": {"cpu": cpu, "memory": memory},
                                                 "limits": {"cpu": cpu, "memory": memory}}
    assert values["controller"]["env"] == [{"name": "AWS_REGION", "value": "ap-northeast-2"}]


def test_the_controller_waits_for_its_permissions_queue_crds_and_nodes(aws_stack):
    controller = release(aws_stack, "karpenter")
    needed = [release(aws_stack, "karpenter-crd"), interruption_queue(aws_stack),
              aws_stack.one("aws:eks/nodeGroup:NodeGroup")]
    values = controller.inputs["values"]
    role = role_by_arn(aws_stack, values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"])
    needed += aws_stack.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    assert all(r.urn in controller.all_dependencies for r in needed)


# --- Karpenter: EC2NodeClass and NodePool -------------------------------------------------------------


def test_the_node_class(aws_stack):
    node_class = of_kind(aws_stack, "EC2NodeClass")["tiketi"]
    assert node_class["apiVersion"] == "karpenter.k8s.aws/v1"
    cluster = f"tiketi-{aws_stack.stack}"
    spec = node_class["spec"]
    assert spec["role"] == node_role(aws_stack).outputs["name"]  # the name: Karpenter makes the profile
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@v20260714"}]
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": cluster}}]
    # The same two groups as the managed node group: the cluster's (control plane <-> kubelet and
    # webhooks) by id, eks-nodes (ALB and data stores to pods) by its discovery tag.
    cluster_sg = aws_stack.one("aws:eks/cluster:Cluster").outputs["vpcConfig"]["clusterSecurityGroupId"]
    assert spec["securityGroupSelectorTerms"] == [{"id": cluster_sg}, {"tags": {"karpenter.sh/discovery": cluster}}]
    assert spec["metadataOptions"] == {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                                       "httpPutResponseHopLimit": 1, "httpTokens": "required"}
    assert spec["blockDeviceMappings"] == [{"deviceName": "/dev/xvda", "ebs": {
        "volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}}]
    assert spec["tags"] == {"Project": "Tiketi", "Environment": aws_stack.stack, "ManagedBy": "Karpenter",
                            "Name": f"{cluster}-karpenter"}


@pytest.mark.parametrize("stack,capacity,cpu,memory", [
    ("prod", ["on-demand"], "32", "128Gi"), ("staging", ["spot", "on-demand"], "8", "32Gi")])
def test_the_node_pool(stack, capacity, cpu, memory, request):
    snap = request.getfixturevalue(stack)
    pool = of_kind(snap, "NodePool")["tiketi"]
    assert pool["apiVersion"] == "karpenter.sh/v1"
    template = pool["spec"]["template"]["spec"]
    assert template["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "tiketi"}
    assert template["requirements"] == [
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]},  # the images are linux/arm64
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["m7g", "c7g", "m6g", "c6g"]},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity},
        {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": ["1"]},
        {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Lt", "values": ["17"]},
    ]
    assert (template["expireAfter"], template["terminationGracePeriod"]) == ("720h", "1h")
    assert pool["spec"]["limits"] == {"cpu": cpu, "memory": memory}
    assert pool["spec"]["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized",
                                          "consolidateAfter": "10m", "budgets": [{"nodes": "10%"}]}


def test_the_karpenter_objects_meet_their_crds_patterns(aws_stack):
    # The patterns and enums karpenter.sh_nodepools.yaml enforces (chart 1.14.1).
    pool = of_kind(aws_stack, "NodePool")["tiketi"]["spec"]
    disruption = pool["disruption"]
    assert re.fullmatch(patterns.DURATION_OR_NEVER, disruption["consolidateAfter"])
    assert disruption["consolidationPolicy"] in ("WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced")
    for budget in disruption["budgets"]:
        assert re.fullmatch(patterns.BUDGET_NODES, budget["nodes"])
        assert ("schedule" in budget) == ("duration" in budget)
    template = pool["template"]["spec"]
    assert re.fullmatch(patterns.DURATION_OR_NEVER, template["expireAfter"])
    assert re.fullmatch(patterns.DURATION, template["terminationGracePeriod"])
    for requirement in template["requirements"]:
        if requirement["operator"] in ("Gt", "Lt"):
            assert len(requirement["values"]) == 1 and int(requirement["values"][0]) >= 0
    spec = of_kind(aws_stack, "EC2NodeClass")["tiketi"]["spec"]
    assert re.fullmatch(patterns.AMI_ALIAS, spec["amiSelectorTerms"][0]["alias"])
    forbidden = ("kubernetes.io/cluster/", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim",
                 "karpenter.k8s.aws/ec2nodeclass", "eks:eks-cluster-name")
    assert not any(key.startswith(forbidden) for key in spec["tags"])


def test_an_on_sale_freeze_is_a_zero_budget_for_its_window():
    freeze = {"schedule": "0 11 * * *", "duration": "4h"}  # 20:00 KST, four hours
    pool = NodePoolSettings.model_validate({"onSaleFreezes": [freeze], "disruptionBudget": "1"})
    assert disruption_budgets(pool) == [{"nodes": "1"}, {"nodes": "0", "schedule": "0 11 * * *", "duration": "4h"}]


def test_the_karpenter_objects_wait_for_the_crds_the_controller_and_node_access(aws_stack):
    pool = aws_stack.one("kubernetes:karpenter.sh/v1:NodePool")
    node_class = aws_stack.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
    crds, controller = release(aws_stack, "karpenter-crd"), release(aws_stack, "karpenter")
    entry = aws_stack.one("aws:eks/accessEntry:AccessEntry", type="EC2_LINUX")
    assert {crds.urn, controller.urn} <= set(node_class.all_dependencies)
    assert {crds.urn, controller.urn, node_class.urn, entry.urn} <= set(pool.all_dependencies)
