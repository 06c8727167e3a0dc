"""The review findings of issue 12 on the real stacks: what the first `pulumi up`, later updates and
`pulumi destroy` need, one test per finding (the deploy-order rules check the same edges in general).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.harness.mock_engine import load_stack_config_file, run_program
from tools.harness.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]


def named(snap: Snapshot, type_: str, name: str):
    [found] = [r for r in snap.all(type_) if r.name == name]
    return found


# --- 1, 2: the edge waits for what AWS checks when it is created ----------------------------------


def test_public_alb_waits_for_the_logs_policy_and_the_internet_gateway(aws_stack):
    alb = aws_stack.one("aws:lb/loadBalancer:LoadBalancer", internal=False)
    policy = named(aws_stack, "aws:s3/bucketPolicy:BucketPolicy", "storage-logs")
    igw = aws_stack.one("aws:ec2/internetGateway:InternetGateway")
    assert {policy.urn, igw.urn} <= set(alb.all_dependencies)
    internal = aws_stack.one("aws:lb/loadBalancer:LoadBalancer", internal=True)
    assert igw.urn not in internal.all_dependencies  # an internal ALB needs no gateway


def test_cloudfront_logs_need_no_acls_and_their_delivery_waits_for_the_bucket_policy(aws_stack):
    # Finding 2 was the legacy (ACL-based) logging's precondition; issue 16 replaced that logging with
    # v2 delivery, whose precondition is the bucket policy that admits delivery.logs.amazonaws.com.
    distribution = aws_stack.one("aws:cloudfront/distribution:Distribution")
    assert "loggingConfig" not in distribution.inputs
    ownership = named(aws_stack, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "storage-logs")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    policy = named(aws_stack, "aws:s3/bucketPolicy:BucketPolicy", "storage-logs")
    [delivery] = aws_stack.all("aws:cloudwatch/logDelivery:LogDelivery")
    assert policy.urn in delivery.all_dependencies


# --- 3: EKS roles and the CNI ---------------------------------------------------------------------


def test_eks_waits_for_its_roles_and_nodes_for_the_cni(aws_stack):
    attachments = {r.name: r for r in aws_stack.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    cluster = aws_stack.one("aws:eks/cluster:Cluster")
    assert attachments["cluster-control-plane-AmazonEKSClusterPolicy"].urn in cluster.all_dependencies
    nodes = aws_stack.one("aws:eks/nodeGroup:NodeGroup")
    cni = aws_stack.one("aws:eks/addon:Addon", addonName="vpc-cni")
    assert {attachments["cluster-nodes-AmazonEKSWorkerNodePolicy"].urn,
            attachments["cluster-nodes-AmazonEC2ContainerRegistryReadOnly"].urn, cni.urn} <= set(nodes.all_dependencies)
    # The node role has no CNI policy of its own: aws-node runs with the add-on's IRSA role.
    node_role_policies = [a.inputs["policyArn"] for a in attachments.values() if a.name.startswith("cluster-nodes-")]
    assert not any(arn.endswith("AmazonEKS_CNI_Policy") for arn in node_role_policies)
    assert attachments["cluster-vpc-cni"].urn in cni.all_dependencies
    for addon in ("coredns", "aws-ebs-csi-driver"):
        assert nodes.urn in aws_stack.one("aws:eks/addon:Addon", addonName=addon).all_dependencies
    assert nodes.urn not in cni.all_dependencies and nodes.urn not in aws_stack.one(
        "aws:eks/addon:Addon", addonName="kube-proxy").all_dependencies


# --- 4: EKS access ----------------------------------------------------------------------------------


def test_every_access_entry_is_explicit_and_keyed_by_its_name(aws_stack):
    cluster = aws_stack.one("aws:eks/cluster:Cluster")
    assert cluster.inputs["accessConfig"] == {"authenticationMode": "API",
                                              "bootstrapClusterCreatorAdminPermissions": False}
    entries = aws_stack.config("tiketi:cluster")["accessEntries"]
    by_name = {r.name: r for r in aws_stack.all("aws:eks/accessEntry:AccessEntry")}
    # Besides the people and CI: Karpenter's node role (type EC2_LINUX, tests/kubernetes/test_node_autoscaling.py).
    nodes = {name for name, r in by_name.items() if r.inputs.get("type") == "EC2_LINUX"}
    assert nodes == {"node-autoscaling-node"}
    assert sorted(set(by_name) - nodes) == sorted(f"cluster-access-{key}" for key in entries)
    associations = {r.name: r for r in aws_stack.all("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    for key, entry in entries.items():
        assert by_name[f"cluster-access-{key}"].inputs["principalArn"] == entry["principalArn"]
        association = associations[f"cluster-access-{key}"]
        policy = "AmazonEKSViewPolicy" if key == "ci-preview" else "AmazonEKSClusterAdminPolicy"
        assert association.inputs["policyArn"] == f"arn:aws:eks::aws:cluster-access-policy/{policy}"
        assert association.inputs["accessScope"] == {"type": "cluster"}
    [provider] = aws_stack.providers("kubernetes")
    assert {a.urn for a in associations.values()} <= set(provider.all_dependencies)


@pytest.fixture(scope="module")
def changed_staging(staging) -> Snapshot:
    """Staging after a few config edits an operator makes: an entry removed, a major upgrade, new addresses."""
    config, _ = load_stack_config_file("staging")
    cluster = json.loads(config["tiketi:cluster"])
    del cluster["accessEntries"]["ci-deploy"]  # the first entry, alphabetically and in the file
    database = {**json.loads(config["tiketi:database"]), "engineVersion": "17", "allowMajorVersionUpgrade": True,
                "applyImmediately": True, "finalSnapshot": True}
    alerts = {"emails": ["oncall@tiketi.io", "Platform.Team@tiketi.io"]}
    return Snapshot(run_program("staging", {"tiketi:cluster": json.dumps(cluster),
                                            "tiketi:database": json.dumps(database),
                                            "tiketi:alerts": json.dumps(alerts)}))


def test_removing_an_access_entry_leaves_the_others_untouched(staging, changed_staging):
    def entry_urns(snap):
        return {r.urn for r in snap.registrations if r.type.startswith("aws:eks/access")}

    before, after = entry_urns(staging), entry_urns(changed_staging)
    assert after < before
    assert sorted(u.rsplit("::", 1)[1] for u in before - after) == ["cluster-access-ci-deploy"] * 2


# --- 6: a major PostgreSQL upgrade is applied now, with the new family's parameter group ------------------


def test_a_major_upgrade_is_applied_immediately_with_the_new_parameter_group(staging, changed_staging):
    assert staging.one("aws:rds/instance:Instance").inputs["applyImmediately"] is False
    instance = changed_staging.one("aws:rds/instance:Instance")
    assert (instance.inputs["engineVersion"], instance.inputs["allowMajorVersionUpgrade"],
            instance.inputs["applyImmediately"]) == ("17", True, True)
    parameters = changed_staging.one("aws:rds/parameterGroup:ParameterGroup")
    assert parameters.inputs["family"] == "postgres17"
    assert "name" not in parameters.inputs  # auto-named: the new group is created before the old is deleted
    assert instance.inputs["parameterGroupName"] == parameters.outputs["name"]


# --- 9: what holds data is protected in prod, named to survive a replacement, snapshotted on delete -------

STATEFUL = {"aws:rds/instance:Instance": 1, "aws:elasticache/replicationGroup:ReplicationGroup": 1,
            "aws:s3/bucket:Bucket": 2, "aws:sqs/queue:Queue": 2, "aws:secretsmanager/secret:Secret": 10,
            "aws:ecr/repository:Repository": 8, "aws:kms/key:Key": 3, "aws:eks/cluster:Cluster": 1,
            "aws:msk/cluster:Cluster": 1}  # MSK: by its own key, tiketi:kafka.deletionProtection
# KMS keys: the EKS secrets key and the two alert topics' keys (stack region and us-east-1). Secrets: the
# five generated ones and the five services' database users (the master's is RDS's, deleted with the instance).


def test_prod_protects_every_resource_that_holds_data_and_nothing_else(prod, staging):
    protected: dict[str, int] = {}
    for r in prod.registrations:
        if r.protect:
            protected[r.type] = protected.get(r.type, 0) + 1
    assert protected == STATEFUL
    assert [r.name for r in staging.registrations if r.protect] == []  # tiketi:protection.stateful: false


# A fixed physical name and Pulumi's create-before-delete collide on a forced replacement, so a
# resource with one is deleted first, unless its name is its only input that forces a replacement
# (a replacement then always gets a new name).
NAME_INPUTS = {"aws:rds/instance:Instance": "identifier",
               "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId"}
NAME_IS_THE_ONLY_REPLACEMENT_TRIGGER = {
    "aws:cloudwatch/logGroup:LogGroup": "AWS services write to these exact names (/aws/lambda/<function>, ...)",
    "aws:kms/alias:Alias": "the key it points at changes in place",
    "aws:secretsmanager/secret:Secret": "a deleted secret's name stays reserved for the recovery window anyway",
    "aws:appautoscaling/policy:Policy": "named within its scalable target: a replacement follows a new target "
                                        "(resource id), so the name never collides",
    # terraform-provider-aws internal/service/route53/record.go and zone.go (ForceNew), as
    # tools/harness/review/replacements.py records them.
    "aws:route53/record:Record": "replaced only when its name or zone changes, so the replacement is another record",
    "aws:route53/zone:Zone": "replaced only when its name or delegation set changes; Route 53 allows several hosted "
                             "zones of one name, so a replacement never collides",
}
# Auto-named: their replacement must exist before the old one can go (in use by a listener, a
# distribution or a retained Lambda@Edge replica).
AUTO_NAMED = ("aws:lb/targetGroup:TargetGroup", "aws:cloudfront/cachePolicy:CachePolicy",
              "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
              "aws:cloudfront/originAccessControl:OriginAccessControl", "aws:wafv2/webAcl:WebAcl")


def test_a_fixed_name_never_meets_create_before_delete(prod):
    fixed = [r for r in prod.registrations if r.type.startswith("aws:") and NAME_INPUTS.get(r.type, "name") in r.inputs]
    assert {r.type for r in fixed} >= {"aws:lb/loadBalancer:LoadBalancer", "aws:sqs/queue:Queue",
                                       "aws:rds/instance:Instance", "aws:lambda/function:Function"}
    offending = [f"{r.type} {r.name}" for r in fixed
                 if not r.delete_before_replace and r.type not in NAME_IS_THE_ONLY_REPLACEMENT_TRIGGER]
    assert offending == []
    for type_ in AUTO_NAMED:
        assert [r.name for r in prod.all(type_) if "name" in r.inputs] == [], type_
    edge = prod.one("aws:lambda/function:Function", publish=True)
    assert "name" not in edge.inputs and edge.retain_on_delete


def test_target_group_bindings_follow_a_replaced_target_group(aws_stack):
    # The controller's webhook refuses a changed spec.targetGroupARN: the binding is replaced instead.
    for binding in aws_stack.all("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"):
        assert binding.delete_before_replace is True


@pytest.mark.parametrize("stack,snapshots", [("prod", True), ("staging", False)])
def test_final_snapshots_have_a_name_no_earlier_destroy_took(stack, snapshots, request):
    snap = request.getfixturevalue(stack)
    cache = snap.one("aws:elasticache/replicationGroup:ReplicationGroup")
    suffixes = {r.name: r.outputs["hex"] for r in snap.all("random:index/randomId:RandomId")}
    if not snapshots:
        assert "finalSnapshotIdentifier" not in cache.inputs and suffixes == {}
        return
    assert cache.inputs["finalSnapshotIdentifier"] == f"tiketi-prod-redis-final-{suffixes['cache-final-snapshot']}"
    assert snap.one("aws:rds/instance:Instance").inputs["finalSnapshotIdentifier"] == (
        f"tiketi-prod-postgres-final-{suffixes['database-final-snapshot']}")


# --- 11: alarms reach someone ----------------------------------------------------------------------------


def test_subscriptions_are_keyed_by_address(prod, changed_staging):
    # One per address and topic (the stack region's and, with CloudFront, us-east-1's).
    assert sorted(r.name for r in prod.all("aws:sns/topicSubscription:TopicSubscription")) == [
        "alerts-email-oncall-at-tiketi-example-com", "alerts-us-east-1-email-oncall-at-tiketi-example-com"]
    assert sorted(r.name for r in changed_staging.all("aws:sns/topicSubscription:TopicSubscription")) == [
        "alerts-email-oncall-at-tiketi-io", "alerts-email-platform-team-at-tiketi-io",
        "alerts-us-east-1-email-oncall-at-tiketi-io", "alerts-us-east-1-email-platform-team-at-tiketi-io"]


# --- 12 and the operator's guide -----------------------------------------------------------------------------


def test_the_operators_guide_covers_the_first_deploy_and_the_destroy():
    guide = (ROOT / "docs" / "operations.md").read_text()
    for needed in ("aws lambda get-account-settings", "UnreservedConcurrentExecutions", "100 unreserved",
                   "make preflight", "accessEntries", "pulumi state unprotect", "tiketi:protection.stateful",
                   "bootstrap_cluster_creator_admin_permissions", "applyImmediately", "pulumi login",
                   "--secrets-provider", "service-quotas get-service-quota"):
        assert needed in guide, needed
