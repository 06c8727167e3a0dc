"""EKS on the prod and staging snapshots: control plane, nodes, add-ons, IRSA, load balancer controller."""

from __future__ import annotations

import json

import pytest

from tests.support.config import parse
from tests.support.manifests import of_kind
from tools.harness.fake_cloud import ACCOUNT_ID


def test_control_plane(aws_stack):
    cluster = aws_stack.one("aws:eks/cluster:Cluster")
    assert cluster.inputs["name"] == f"tiketi-{aws_stack.stack}" and cluster.inputs["version"] == "1.35"
    # Explicit: the API default EXTENDED would bill $0.60/h once 1.35 leaves standard support (review M1).
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    vpc = cluster.inputs["vpcConfig"]
    assert sorted(vpc["subnetIds"]) == sorted(aws_stack.outputs["appSubnetIds"])
    assert (vpc["endpointPrivateAccess"], vpc["endpointPublicAccess"]) == (True, True)
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert cluster.inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager",
                                                        "scheduler"]
    key = aws_stack.one("aws:kms/key:Key", description=lambda d: "EKS secrets" in d)
    assert cluster.inputs["encryptionConfig"] == {"resources": ["secrets"], "provider": {"keyArn": key.outputs["arn"]}}
    assert key.inputs["enableKeyRotation"] is True
    log_group = aws_stack.one("aws:cloudwatch/logGroup:LogGroup", name=f"/aws/eks/tiketi-{aws_stack.stack}/cluster")
    assert log_group.inputs["retentionInDays"] in (30, 90)


@pytest.mark.parametrize("stack,types,capacity,sizes", [
    ("prod", ["m7g.large"], "ON_DEMAND", (3, 3, 6)), ("staging", ["m7g.large"], "ON_DEMAND", (2, 2, 4))])
def test_node_group(stack, types, capacity, sizes, request):
    snap = request.getfixturevalue(stack)
    nodes = snap.one("aws:eks/nodeGroup:NodeGroup")
    assert (nodes.inputs["instanceTypes"], nodes.inputs["capacityType"]) == (types, capacity)
    assert nodes.inputs["version"] == "1.35"  # nodes follow the control plane
    scaling = nodes.inputs["scalingConfig"]
    assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == sizes
    assert sorted(nodes.inputs["subnetIds"]) == sorted(snap.outputs["appSubnetIds"])
    template = snap.one("aws:ec2/launchTemplate:LaunchTemplate")
    nodes_sg = snap.one("aws:ec2/securityGroup:SecurityGroup", tags={"Name": f"tiketi-{stack}-eks-nodes"})
    assert nodes_sg.id in template.inputs["vpcSecurityGroupIds"]
    assert template.inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                                  "httpPutResponseHopLimit": 1}
    # The root volume of the AL2023 EKS AMI (/dev/xvda): gp3, 50 GiB, encrypted, gone with the node.
    assert template.inputs["blockDeviceMappings"] == [{"deviceName": "/dev/xvda", "ebs": {
        "volumeSize": 50, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"}}]


def test_pulumi_owns_the_desired_size_so_raising_min_size_moves_it_too(aws_stack):
    # Ignoring desiredSize after creation (with no autoscaler to move it) made a minSize above the
    # group's current desired size an update EKS refuses; now both move together from config.
    nodes = aws_stack.one("aws:eks/nodeGroup:NodeGroup")
    assert nodes.ignore_changes == ()
    cluster = parse(aws_stack.stack).cluster
    scaling = nodes.inputs["scalingConfig"]
    assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == (
        cluster.min_size, cluster.desired_size, cluster.max_size)


def test_autoscaled_deployments_leave_replicas_to_their_hpa(aws_stack, local):
    services = aws_stack.all("kubernetes:apps/v1:Deployment", metadata={"namespace": f"tiketi-{aws_stack.stack}"})
    assert len(services) == 8
    for deployment in services:  # every service is autoscaled there
        assert deployment.ignore_changes == ("spec.replicas",), deployment.name
    for deployment in local.all("kubernetes:apps/v1:Deployment"):
        assert deployment.ignore_changes == (), deployment.name


def test_oidc_provider_and_addons(aws_stack):
    cluster = aws_stack.one("aws:eks/cluster:Cluster")
    oidc = aws_stack.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["url"] == cluster.outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    addons = {a.inputs["addonName"]: a.inputs for a in aws_stack.all("aws:eks/addon:Addon")}
    # amazon-cloudwatch-observability belongs to the observability tier (tests/observability).
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "amazon-cloudwatch-observability"}
    for addon, role_policy in (("vpc-cni", "AmazonEKS_CNI_Policy"), ("aws-ebs-csi-driver", "AmazonEBSCSIDriverPolicy")):
        role = next(r for r in aws_stack.all("aws:iam/role:Role")
                    if r.outputs["arn"] == addons[addon]["serviceAccountRoleArn"])
        [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert trust["Principal"] == {"Federated": oidc.outputs["arn"]}
        [attachment] = aws_stack.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment", role=role.outputs["name"])
        assert attachment.inputs["policyArn"].endswith(role_policy)


def test_load_balancer_controller_and_target_group_bindings(aws_stack):
    release = aws_stack.one("kubernetes:helm.sh/v3:Release", chart="aws-load-balancer-controller")
    assert (release.inputs["chart"], release.inputs["namespace"]) == ("aws-load-balancer-controller", "kube-system")
    assert release.inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    values = release.inputs["values"]
    assert values["clusterName"] == aws_stack.one("aws:eks/cluster:Cluster").outputs["name"]
    role_arn = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    role = next(r for r in aws_stack.all("aws:iam/role:Role") if r.outputs["arn"] == role_arn)
    [policy] = aws_stack.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    gateway_tg = aws_stack.one("aws:lb/targetGroup:TargetGroup", port=3001).outputs["arn"]
    frontend_tg = aws_stack.one("aws:lb/targetGroup:TargetGroup", port=3000).outputs["arn"]
    ticket_tg = aws_stack.one("aws:lb/targetGroup:TargetGroup", port=3002).outputs["arn"]
    assert statements["FillTargetGroups"]["Resource"] == [gateway_tg, frontend_tg, ticket_tg]
    assert all(a.split(":")[1].startswith("Describe") for a in statements["Discover"]["Action"])
    bindings = of_kind(aws_stack, "TargetGroupBinding")
    assert sorted(bindings) == ["frontend", "gateway-service", "ticket-service"]
    assert bindings["gateway-service"]["spec"] == {"serviceRef": {"name": "gateway-service", "port": 3001},
                                                   "targetGroupARN": gateway_tg, "targetType": "ip"}
    # The frontend's own target group (a target group serves one load balancer) on the pods' port.
    assert bindings["frontend"]["spec"] == {"serviceRef": {"name": "frontend", "port": 3000},
                                            "targetGroupARN": frontend_tg, "targetType": "ip"}
    assert bindings["ticket-service"]["spec"]["targetGroupARN"] == ticket_tg


def test_the_load_balancer_controller_stays_on_the_managed_nodes_and_drains_one_at_a_time(aws_stack):
    # Its pod webhook (readiness gates) fails open: the controller must not vanish with a Karpenter node.
    # Keys of eks-charts aws-load-balancer-controller 1.13.0 values.yaml (affinity, podDisruptionBudget).
    release = aws_stack.one("kubernetes:helm.sh/v3:Release", chart="aws-load-balancer-controller")
    values = release.inputs["values"]
    assert release.inputs["version"] == "1.13.0"
    assert (values["replicaCount"], values["podDisruptionBudget"]) == (2, {"maxUnavailable": 1})
    assert values["affinity"] == {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}]}},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {
            "topologyKey": "kubernetes.io/hostname",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}}}}]}}


def test_kubernetes_objects_go_through_the_cluster_provider(aws_stack):
    [provider] = aws_stack.providers("kubernetes")
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    assert kubeconfig["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    reference = f"{provider.urn}::{provider.id}"
    k8s_objects = [r for r in aws_stack.registrations if r.type.startswith("kubernetes:") and r.custom]
    assert k8s_objects and all(r.provider == reference for r in k8s_objects)


def test_queue_policy_principals(aws_stack):
    policy = aws_stack.one("aws:sqs/queuePolicy:QueuePolicy", queueUrl=aws_stack.outputs["queueUrl"])
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    ticket_role = next(r for r in aws_stack.all("aws:iam/role:Role") if r.name == "workloads-ticket-service")
    worker_role = next(r for r in aws_stack.all("aws:iam/role:Role") if r.name == "worker-role")
    assert statements["AllowProducers"]["Principal"] == {"AWS": [ticket_role.outputs["arn"]]}
    assert statements["AllowProducers"]["Action"] == ["sqs:SendMessage"]
    assert statements["AllowConsumer"]["Principal"] == {"AWS": [worker_role.outputs["arn"]]}
    assert sorted(statements["AllowConsumer"]["Action"]) == [
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    assert statements["DenyOtherThanProducers"]["Action"] == ["sqs:SendMessage"]
    # Reading attributes is not denied: Pulumi and operators must still be able to read the queue.
    assert sorted(statements["DenyOtherThanConsumer"]["Action"]) == [
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"]
    for sid, principals in (("DenyOtherThanProducers", [ticket_role]), ("DenyOtherThanConsumer", [worker_role])):
        assert statements[sid]["Effect"] == "Deny" and statements[sid]["Principal"] == "*"
        assert statements[sid]["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [r.outputs["arn"]
                                                                                        for r in principals]}}
    assert policy.inputs["queueUrl"] == aws_stack.outputs["queueUrl"]


def test_the_secrets_key_has_an_explicit_policy_naming_the_cluster_role(aws_stack):
    key = aws_stack.one("aws:kms/key:Key", description=f"tiketi-{aws_stack.stack}: EKS secrets envelope encryption")
    role = next(r for r in aws_stack.all("aws:iam/role:Role") if r.name == "cluster-control-plane")
    statements = json.loads(key.inputs["policy"])["Statement"]
    assert statements == [
        # KMS's default key policy, written out: IAM policies keep governing the key (Pulumi manages it).
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "EksClusterUsesTheKey", "Effect": "Allow", "Principal": {"AWS": role.outputs["arn"]},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], "Resource": "*"},
    ]
    cluster = aws_stack.one("aws:eks/cluster:Cluster")
    assert cluster.inputs["encryptionConfig"]["provider"]["keyArn"] == key.outputs["arn"]


def test_every_kms_key_has_an_explicit_policy(aws_stack):
    keys = aws_stack.all("aws:kms/key:Key")
    assert len(keys) >= 2 and all(json.loads(key.inputs["policy"])["Statement"] for key in keys)
