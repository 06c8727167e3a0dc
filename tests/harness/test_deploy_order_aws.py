"""Every AWS deploy-order rule catches its missing precondition (synthetic runs), and covers every AWS type.

Each case builds the few registrations a rule looks at, in the shapes the program registers
(inputs that name other resources by id, ARN or name; outputs the mock engine computes), once
without the dependency (the rule must report it) and once with it (the rule must be quiet).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from tests.program.test_invariants import synthetic
from tools.harness import render
from tools.harness.deploy_order import DependencyGraph, check_rules
from tools.harness.deploy_order.aws import AWS_CORE_RULES, AWS_RULES, NO_PRECONDITION
from tools.harness.mock_engine import Registration

ROLE_ARN = "arn:aws:iam::210987654321:role/r"


def res(type_: str, name: str, inputs: dict | None = None, outputs: dict | None = None,
        deps: tuple[Registration, ...] = ()) -> Registration:
    return Registration(urn=f"urn:pulumi:prod::tiketi::{type_}::{name}", type=type_, name=name, parent=None,
                        provider=None, custom=True, inputs=inputs or {}, outputs=outputs or {}, id=f"{name}-id",
                        all_dependencies=tuple(d.urn for d in deps))


def role_with(policy_type: str = "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
              policy_arn: str = "arn:aws:iam::aws:policy/P") -> tuple[Registration, Registration]:
    role = res("aws:iam/role:Role", "role", outputs={"arn": ROLE_ARN, "name": "r"})
    policy = res(policy_type, "role-policy", {"role": "r" if "Attachment" in policy_type else role.id,
                                              "policyArn": policy_arn})
    return role, policy


def bucket(**outputs) -> Registration:
    return res("aws:s3/bucket:Bucket", "bucket", outputs={"bucket": "logs-b", **outputs})


def on_bucket(type_: str, name: str, b: Registration, **inputs) -> Registration:
    return res(type_, name, {"bucket": b.id, **inputs})


# Each case: (registrations the subject needs, a function building the subject waiting for some of them).
Case = Callable[[bool], list[Registration]]


def _alb_logs(wait: bool):
    b = bucket()
    policy = on_bucket("aws:s3/bucketPolicy:BucketPolicy", "policy", b)
    alb = res("aws:lb/loadBalancer:LoadBalancer", "alb",
              {"internal": True, "accessLogs": {"bucket": "logs-b", "enabled": True}}, deps=(policy,) if wait else ())
    return [b, policy, alb]


def _vpc_with_gateway():
    subnet = res("aws:ec2/subnet:Subnet", "public-a", {"vpcId": "vpc-1"})
    igw = res("aws:ec2/internetGateway:InternetGateway", "igw", {"vpcId": "vpc-1"})
    return subnet, igw


def _alb_igw(wait: bool):
    subnet, igw = _vpc_with_gateway()
    alb = res("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": False, "subnets": [subnet.id]},
              deps=(igw,) if wait else ())
    return [subnet, igw, alb]


def _nat_igw(wait: bool):
    subnet, igw = _vpc_with_gateway()
    return [subnet, igw, res("aws:ec2/natGateway:NatGateway", "nat", {"subnetId": subnet.id},
                             deps=(igw,) if wait else ())]


def _bucket_policy_serialised(wait: bool):
    b = bucket()
    block = on_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "block", b)
    ownership = on_bucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "ownership", b)
    return [b, block, ownership, on_bucket("aws:s3/bucketPolicy:BucketPolicy", "policy", b) if not wait else
            res("aws:s3/bucketPolicy:BucketPolicy", "policy", {"bucket": b.id}, deps=(block, ownership))]


def _lifecycle_after_versioning(wait: bool):
    b = bucket()
    versioning = on_bucket("aws:s3/bucketVersioning:BucketVersioning", "versioning", b)
    rules = [{"id": "old", "noncurrentVersionExpiration": {"noncurrentDays": 30}}]
    lifecycle = res("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle",
                    {"bucket": b.id, "rules": rules}, deps=(versioning,) if wait else ())
    return [b, versioning, lifecycle]


ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def _needs_role_policy(type_: str, role_key: str, policy_type: str = ATTACHMENT, **inputs) -> Case:
    def build(wait: bool):
        role, policy = role_with(policy_type)
        return [role, policy, res(type_, "subject", {role_key: ROLE_ARN, **inputs}, deps=(policy,) if wait else ())]
    return build


def _log_group_first(type_: str, group: str, **inputs) -> Case:
    def build(wait: bool):
        log_group = res("aws:cloudwatch/logGroup:LogGroup", "logs", {"name": group})
        return [log_group, res(type_, "subject", inputs, deps=(log_group,) if wait else ())]
    return build


def _nodes_after_cni(wait: bool):
    role, worker_policy = role_with(policy_arn="arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
    cni = res("aws:eks/addon:Addon", "vpc-cni", {"clusterName": "c1", "addonName": "vpc-cni"})
    nodes = res("aws:eks/nodeGroup:NodeGroup", "nodes", {"clusterName": "c1", "nodeRoleArn": ROLE_ARN},
                deps=(worker_policy, cni) if wait else (worker_policy,))
    return [role, worker_policy, cni, nodes]


def _addon_on_nodes(wait: bool):
    nodes = res("aws:eks/nodeGroup:NodeGroup", "nodes", {"clusterName": "c1"})
    return [nodes, res("aws:eks/addon:Addon", "coredns", {"clusterName": "c1", "addonName": "coredns"},
                       deps=(nodes,) if wait else ())]


def _association_after_entry(wait: bool):
    entry = res("aws:eks/accessEntry:AccessEntry", "entry", {"clusterName": "c1", "principalArn": ROLE_ARN})
    return [entry, res("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "assoc",
                       {"clusterName": "c1", "principalArn": ROLE_ARN}, deps=(entry,) if wait else ())]


def _kubernetes_after_access(wait: bool):
    association = res("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "assoc", {"clusterName": "c1"})
    kubeconfig = json.dumps({"clusters": [{"name": "c1", "cluster": {"server": "https://x"}}]})
    provider = res("pulumi:providers:kubernetes", "k8s", {"kubeconfig": kubeconfig}, deps=(association,) if wait
                   else ())
    return [association, provider]


def _mapping_after_function_role(wait: bool):
    role, policy = role_with("aws:iam/rolePolicy:RolePolicy")
    function = res("aws:lambda/function:Function", "fn", {"role": ROLE_ARN}, {"arn": "fn-arn"}, deps=(policy,))
    mapping = res("aws:lambda/eventSourceMapping:EventSourceMapping", "mapping", {"functionName": "fn-arn"},
                  deps=(policy,) if wait else ())
    return [role, policy, function, mapping]


def _dead_letter_queue(wait: bool):
    dlq = res("aws:sqs/queue:Queue", "dlq", outputs={"arn": "dlq-arn"})
    queue = res("aws:sqs/queue:Queue", "queue", {"redrivePolicy": json.dumps({"deadLetterTargetArn": "dlq-arn"})},
                deps=(dlq,) if wait else ())
    return [dlq, queue]


def _elasticache_logs(wait: bool):
    log_group = res("aws:cloudwatch/logGroup:LogGroup", "slow", {"name": "/aws/elasticache/g/slow-log"})
    delivery = [{"destination": "/aws/elasticache/g/slow-log", "destinationType": "cloudwatch-logs"}]
    return [log_group, res("aws:elasticache/replicationGroup:ReplicationGroup", "group",
                           {"logDeliveryConfigurations": delivery}, deps=(log_group,) if wait else ())]


def _proxy_target_after_credentials(wait: bool):
    secret = res("aws:secretsmanager/secret:Secret", "secret", outputs={"arn": "secret-arn"})
    value = res("aws:secretsmanager/secretVersion:SecretVersion", "value", {"secretId": secret.id})
    proxy = res("aws:rds/proxy:Proxy", "proxy", {"auths": [{"secretArn": "secret-arn"}]}, {"name": "px"})
    return [secret, value, proxy, res("aws:rds/proxyTarget:ProxyTarget", "target", {"dbProxyName": "px"},
                                      deps=(value,) if wait else ())]


def _principals_exist(wait: bool):
    oidc = res("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "oidc", outputs={"arn": "oidc-arn"})
    trust = json.dumps({"Statement": [{"Principal": {"Federated": "oidc-arn"},
                                       "Action": "sts:AssumeRoleWithWebIdentity"}]})
    role = res("aws:iam/role:Role", "irsa", {"assumeRolePolicy": trust}, {"arn": ROLE_ARN}, deps=(oidc,) if wait
               else ())
    policy = json.dumps({"Statement": [{"Principal": {"AWS": [ROLE_ARN]}, "Action": "sqs:SendMessage"}]})
    queue_policy = res("aws:sqs/queuePolicy:QueuePolicy", "queue-policy", {"policy": policy},
                       deps=(role,) if wait else ())
    return [oidc, role, queue_policy]


CASES: dict[str, Case] = {
    "alb-access-logs-bucket-policy": _alb_logs,
    "internet-facing-alb-internet-gateway": _alb_igw,
    "nat-gateway-internet-gateway": _nat_igw,
    "s3-bucket-policy-after-bucket-configuration": _bucket_policy_serialised,
    "s3-noncurrent-version-rules-after-versioning": _lifecycle_after_versioning,
    "eks-cluster-role-policies": _needs_role_policy("aws:eks/cluster:Cluster", "roleArn"),
    "eks-control-plane-log-group-first": _log_group_first("aws:eks/cluster:Cluster", "/aws/eks/c1/cluster",
                                                          name="c1", enabledClusterLogTypes=["api"]),
    "eks-node-group-role-policies": _needs_role_policy("aws:eks/nodeGroup:NodeGroup", "nodeRoleArn"),
    "eks-nodes-after-vpc-cni": _nodes_after_cni,
    "eks-addon-service-account-role-policies": _needs_role_policy("aws:eks/addon:Addon", "serviceAccountRoleArn",
                                                                  addonName="vpc-cni"),
    "eks-deployment-addons-need-nodes": _addon_on_nodes,
    "eks-access-policy-needs-entry": _association_after_entry,
    "kubernetes-api-needs-eks-access": _kubernetes_after_access,
    "lambda-role-policies": _needs_role_policy("aws:lambda/function:Function", "role",
                                               "aws:iam/rolePolicy:RolePolicy"),
    "lambda-log-group-first": _log_group_first("aws:lambda/function:Function", "/aws/lambda/fn", name="fn"),
    "lambda-event-source-role-policies": _mapping_after_function_role,
    "sqs-dead-letter-queue-exists": _dead_letter_queue,
    "flow-log-role-policies": _needs_role_policy("aws:ec2/flowLog:FlowLog", "iamRoleArn",
                                                 "aws:iam/rolePolicy:RolePolicy"),
    "elasticache-log-destinations-exist": _elasticache_logs,
    "rds-proxy-role-policies": _needs_role_policy("aws:rds/proxy:Proxy", "roleArn", "aws:iam/rolePolicy:RolePolicy"),
    "rds-proxy-target-after-credentials": _proxy_target_after_credentials,
    "policy-principals-exist": _principals_exist,
}
RULES = {rule.name: rule for rule in AWS_CORE_RULES}


def test_every_rule_has_a_synthetic_case_and_a_source():
    # MSK's rules have theirs in tests/harness/test_deploy_order_msk.py.
    assert sorted(CASES) == sorted(RULES)
    assert len({rule.name for rule in AWS_RULES}) == len(AWS_RULES)  # names are unique
    assert all(rule.source and rule.why and rule.kind == "needs" for rule in AWS_CORE_RULES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_reports_the_missing_dependency_and_accepts_it_once_there(name):
    rule = RULES[name]
    missing = check_rules(synthetic(*CASES[name](False)), [rule])
    assert missing and all(p.startswith(f"[{name}] ") and rule.source in p for p in missing)
    assert check_rules(synthetic(*CASES[name](True)), [rule]) == []


def test_a_node_role_with_the_cni_policy_needs_no_vpc_cni_addon_first():
    role, cni_policy = role_with(policy_arn="arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy")
    nodes = res("aws:eks/nodeGroup:NodeGroup", "nodes", {"clusterName": "c1", "nodeRoleArn": ROLE_ARN},
                deps=(cni_policy,))
    addon = res("aws:eks/addon:Addon", "vpc-cni", {"clusterName": "c1", "addonName": "vpc-cni"})
    assert check_rules(synthetic(role, cni_policy, addon, nodes), [RULES["eks-nodes-after-vpc-cni"]]) == []


def test_lifecycle_rules_without_noncurrent_versions_need_no_versioning():
    b = bucket()
    lifecycle = on_bucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle", b,
                          rules=[{"id": "expire", "expiration": {"days": 365}}])
    versioning = on_bucket("aws:s3/bucketVersioning:BucketVersioning", "versioning", b)
    assert check_rules(synthetic(b, versioning, lifecycle),
                       [RULES["s3-noncurrent-version-rules-after-versioning"]]) == []


# --- coverage of what the program creates ------------------------------------------------------------


def test_every_aws_type_the_program_creates_has_a_rule_or_a_reason_to_have_none(staging, prod,
                                                                                staging_without_proxy_or_waf):
    # The variant adds what the committed stacks leave off (the Discord forwarder and its permission).
    snaps = (staging, prod, staging_without_proxy_or_waf)
    created = {r.type for snap in snaps for r in snap.registrations if r.type.startswith("aws:")}
    with_rules = {t for rule in AWS_RULES for t in rule.resource_types}
    assert sorted(created - with_rules - set(NO_PRECONDITION)) == []
    assert set(NO_PRECONDITION).isdisjoint(with_rules)
    assert all(reason.strip() for reason in NO_PRECONDITION.values())
    # No stale entry: every listed type is one the program creates.
    assert sorted(set(NO_PRECONDITION) - created) == []


def test_every_rule_applies_to_something_the_program_creates(staging, prod, staging_without_proxy_or_waf):
    for rule in AWS_RULES:
        related = [(r, other) for snap in (staging, prod, staging_without_proxy_or_waf) for r in snap.registrations
                   if rule.applies_to(r)
                   for other in rule.related(snap, r)]
        assert related, f"{rule.name} finds nothing to check on staging or prod"


# --- destroy order: the edges sit on the resource itself, not only on a parent --------------------------


def test_destroy_keeps_the_roles_policies_until_eks_and_lambda_are_gone(aws_stack):
    graph = DependencyGraph(aws_stack)
    cases = [("aws:eks/cluster:Cluster", "cluster-control-plane-AmazonEKSClusterPolicy"),
             ("aws:eks/nodeGroup:NodeGroup", "cluster-nodes-AmazonEKSWorkerNodePolicy"),
             ("aws:lambda/function:Function", "worker-vpc-access"),
             ("aws:lambda/eventSourceMapping:EventSourceMapping", "worker-vpc-access"),
             ("aws:ec2/flowLog:FlowLog", "network-flow-logs")]
    for type_, policy_name in cases:
        subjects = [r for r in aws_stack.all(type_) if r.name != "cdn-edge"]
        [policy] = [r for r in aws_stack.registrations if r.name == policy_name and r.type.startswith("aws:iam/role")
                    and r.type != "aws:iam/role:Role"]
        for subject in subjects:
            assert policy.urn in subject.all_dependencies, (subject.name, policy_name)
            assert graph.waits_for(subject, policy)


def test_a_missing_precondition_fails_make_render_with_the_rules_message(staging, tmp_path, capsys, monkeypatch):
    # The program as it was: the ALB created without waiting for the logs bucket's policy.
    registrations = [dataclasses.replace(r, all_dependencies=tuple(d for d in r.all_dependencies
                                                                   if "bucketPolicy" not in d))
                     if r.name == "load-balancer-alb" and r.type == "aws:lb/loadBalancer:LoadBalancer" else r
                     for r in staging.registrations]
    monkeypatch.setattr(render, "run_program",
                        lambda stack: dataclasses.replace(staging.run, registrations=registrations))
    assert render.main(["staging", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert ("[alb-access-logs-bucket-policy] LoadBalancer load-balancer-alb does not wait for BucketPolicy "
            "storage-logs: switching access logs on makes ELB write a test object") in err
