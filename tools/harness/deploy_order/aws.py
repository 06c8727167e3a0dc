"""Creation-time preconditions AWS enforces, as deploy-order rules (tools/harness/deploy_order/graph.py).

Each rule cites where AWS (or the provider) documents the check, or where the failure is on
record; Amazon MSK's rules (msk.py), the edge's certificates, names and logs (edge.py), the
observability tier's (observability.py) and Karpenter's interruption queue's (autoscaling.py)
join these in ``AWS_RULES``. ``NO_PRECONDITION`` lists the resource types this program creates
whose only create-time needs are the resources their inputs reference (which the graph has by
construction), each with the reason. A test fails when the program creates an AWS type that is
in neither.

A "needs" edge orders destroy too: what a resource waits for on create outlives it on delete,
which is what EKS and Lambda need of their roles' policies to clean up network interfaces.
"""

from __future__ import annotations

import json

from tools.harness.deploy_order import aws_refs as refs
from tools.harness.deploy_order.autoscaling import AUTOSCALING_AWS_RULES, AUTOSCALING_NO_PRECONDITION
from tools.harness.deploy_order.edge import EDGE_NO_PRECONDITION, EDGE_RULES
from tools.harness.deploy_order.graph import OrderRule
from tools.harness.deploy_order.msk import MSK_RULES
from tools.harness.deploy_order.observability import OBSERVABILITY_AWS_RULES
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot

LB = "aws:lb/loadBalancer:LoadBalancer"
FUNCTION = "aws:lambda/function:Function"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
# EKS add-ons that run as Deployments: with no node they stay DEGRADED and their creation times out.
ADDONS_ON_NODES = ("coredns", "aws-ebs-csi-driver")


# --- what each rule looks up --------------------------------------------------------------------


def _alb_log_bucket_policy(snap: Snapshot, balancer: Registration) -> list[Registration]:
    if not refs.get(balancer, "accessLogs", "enabled"):
        return []
    return refs.same_bucket(snap, "aws:s3/bucketPolicy:BucketPolicy", refs.get(balancer, "accessLogs", "bucket"))


def _alb_internet_gateway(snap: Snapshot, balancer: Registration) -> list[Registration]:
    if refs.get(balancer, "internal"):
        return []
    return refs.internet_gateways(snap, refs.vpcs_of_subnets(snap, refs.get(balancer, "subnets") or []))


def _nat_internet_gateway(snap: Snapshot, nat: Registration) -> list[Registration]:
    if refs.get(nat, "connectivityType") == "private":
        return []
    return refs.internet_gateways(snap, refs.vpcs_of_subnets(snap, [refs.get(nat, "subnetId")]))


def _bucket_configuration(snap: Snapshot, policy: Registration) -> list[Registration]:
    bucket = refs.get(policy, "bucket")
    return [r for type_ in ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                            "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
            for r in refs.same_bucket(snap, type_, bucket)]


def _versioning_for_noncurrent_rules(snap: Snapshot, lifecycle: Registration) -> list[Registration]:
    rules = refs.get(lifecycle, "rules") or []
    if not any(r.get("noncurrentVersionExpiration") or r.get("noncurrentVersionTransitions") for r in rules):
        return []
    return refs.same_bucket(snap, "aws:s3/bucketVersioning:BucketVersioning", refs.get(lifecycle, "bucket"))


def _role_policies_of(*path: str):
    def related(snap: Snapshot, resource: Registration) -> list[Registration]:
        return refs.role_policies(snap, refs.get(resource, *path))
    return related


def _mapping_function_role_policies(snap: Snapshot, mapping: Registration) -> list[Registration]:
    functions = refs.referenced(snap, FUNCTION, refs.get(mapping, "functionName"))
    return [p for f in functions for p in refs.role_policies(snap, refs.get(f, "role"))]


def _eks_control_plane_log_group(snap: Snapshot, cluster: Registration) -> list[Registration]:
    if not refs.get(cluster, "enabledClusterLogTypes"):
        return []
    return refs.log_groups_named(snap, f"/aws/eks/{refs.get(cluster, 'name')}/cluster")


def _lambda_log_group(snap: Snapshot, function: Registration) -> list[Registration]:
    return refs.log_groups_named(snap, refs.get(function, "loggingConfig", "logGroup"),
                                 f"/aws/lambda/{refs.get(function, 'name')}")


def _elasticache_log_destinations(snap: Snapshot, group: Registration) -> list[Registration]:
    return refs.log_groups_named(snap, *(d.get("destination") for d in refs.get(group, "logDeliveryConfigurations")
                                         or [] if d.get("destinationType") == "cloudwatch-logs"))


def _network_addon_before_nodes(snap: Snapshot, nodes: Registration) -> list[Registration]:
    node_policies = refs.role_policies(snap, refs.get(nodes, "nodeRoleArn"))
    if any(refs.get(p, "policyArn") == CNI_POLICY for p in node_policies):
        return []  # aws-node can use the node's own role
    return [a for a in snap.all(ADDON, addonName="vpc-cni")
            if refs.cluster_name_of(a) == refs.cluster_name_of(nodes)]


def _addon_service_account_role_policies(snap: Snapshot, addon: Registration) -> list[Registration]:
    return refs.role_policies(snap, refs.get(addon, "serviceAccountRoleArn"))


def _nodes_for_addons_on_nodes(snap: Snapshot, addon: Registration) -> list[Registration]:
    if refs.get(addon, "addonName") not in ADDONS_ON_NODES:
        return []
    return [n for n in snap.all(NODE_GROUP) if refs.cluster_name_of(n) == refs.cluster_name_of(addon)]


def _access_entry_of_association(snap: Snapshot, association: Registration) -> list[Registration]:
    return [e for e in snap.all("aws:eks/accessEntry:AccessEntry")
            if refs.cluster_name_of(e) == refs.cluster_name_of(association)
            and refs.get(e, "principalArn") == refs.get(association, "principalArn")]


def _eks_access_for_kubernetes_api(snap: Snapshot, provider: Registration) -> list[Registration]:
    try:
        kubeconfig = json.loads(refs.get(provider, "kubeconfig") or "")
        cluster = kubeconfig["clusters"][0]["name"]
    except (ValueError, KeyError, IndexError, TypeError):
        return []  # not a kubeconfig this program built for EKS (the kind context, for one)
    return [a for a in snap.all("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
            if refs.cluster_name_of(a) == cluster]


def _dead_letter_queue(snap: Snapshot, queue: Registration) -> list[Registration]:
    try:
        target = json.loads(refs.get(queue, "redrivePolicy") or "")["deadLetterTargetArn"]
    except (ValueError, KeyError, TypeError):
        return []
    return refs.referenced(snap, "aws:sqs/queue:Queue", target)


def _proxy_credentials(snap: Snapshot, target: Registration) -> list[Registration]:
    proxies = refs.referenced(snap, "aws:rds/proxy:Proxy", refs.get(target, "dbProxyName"))
    secrets = refs.referenced_all(snap, "aws:secretsmanager/secret:Secret",
                                  [auth.get("secretArn") for p in proxies for auth in refs.get(p, "auths") or []])
    secret_names = {n for s in secrets for n in refs.names(s)}
    return [v for v in snap.all("aws:secretsmanager/secretVersion:SecretVersion")
            if refs.get(v, "secretId") in secret_names]


def _policy_principals(snap: Snapshot, resource: Registration) -> list[Registration]:
    document = refs.get(resource, "assumeRolePolicy" if resource.type == refs.ROLE else "policy")
    principals = refs.policy_principals(document)
    return (refs.referenced_all(snap, refs.ROLE, principals)
            + refs.referenced_all(snap, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", principals))


# --- the rules ----------------------------------------------------------------------------------

TF_DOCS = "hashicorp/terraform-provider-aws website/docs/r/"

AWS_CORE_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "alb-access-logs-bucket-policy", (LB,), _alb_log_bucket_policy,
        why="switching access logs on makes ELB write a test object, refused (InvalidConfigurationRequest: Access "
            "Denied for bucket) until the bucket policy lets the region's ELB account write",
        source="docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html; "
               "aws/aws-cdk#5758, terraform-aws-modules/terraform-aws-s3-bucket#185"),
    OrderRule(
        "internet-facing-alb-internet-gateway", (LB,), _alb_internet_gateway,
        why="CreateLoadBalancer refuses an internet-facing load balancer in a VPC without an attached internet "
            "gateway (InvalidSubnet: VPC ... has no internet gateway)",
        source="openshift/installer#1110, Kong/kong-mesh-ecs#17"),
    OrderRule(
        "nat-gateway-internet-gateway", ("aws:ec2/natGateway:NatGateway",), _nat_internet_gateway,
        why="a public NAT gateway needs the internet gateway attached to its subnet's VPC",
        source=TF_DOCS + "nat_gateway.html.markdown (\"the NAT Gateway depends on the Internet Gateway\"); "
               "docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html"),
    OrderRule(
        "s3-bucket-policy-after-bucket-configuration", ("aws:s3/bucketPolicy:BucketPolicy",), _bucket_configuration,
        why="S3 refuses concurrent changes to one bucket's policy, public-access block and ownership controls "
            "(409 OperationAborted: A conflicting conditional operation is currently in progress)",
        source="hashicorp/terraform-provider-aws#7628, sevenwestmedia-labs/pulumi-components#46"),
    OrderRule(
        "s3-noncurrent-version-rules-after-versioning",
        ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",), _versioning_for_noncurrent_rules,
        why="lifecycle rules on noncurrent versions need the bucket's versioning configured first",
        source=TF_DOCS + "s3_bucket_lifecycle_configuration.html.markdown (\"Must have bucket versioning enabled "
               "first\")"),
    OrderRule(
        "eks-cluster-role-policies", ("aws:eks/cluster:Cluster",), _role_policies_of("roleArn"),
        why="EKS uses the cluster role while creating and deleting the control plane's network interfaces and "
            "security groups: the policies must exist before and be deleted after the cluster",
        source=TF_DOCS + "eks_cluster.html.markdown (\"Ensure that IAM Role permissions are created before and "
               "deleted after EKS Cluster handling\")"),
    OrderRule(
        "eks-control-plane-log-group-first", ("aws:eks/cluster:Cluster",), _eks_control_plane_log_group,
        why="with control-plane logging on, EKS creates /aws/eks/<name>/cluster itself (never expiring) and the "
            "program's log group then fails with ResourceAlreadyExistsException",
        source=TF_DOCS + "eks_cluster.html.markdown (\"Enabling Control Plane Logging\"); pulumi/pulumi-aws#2433, "
               "terraform-aws-modules/terraform-aws-eks#2365"),
    OrderRule(
        "eks-node-group-role-policies", (NODE_GROUP,), _role_policies_of("nodeRoleArn"),
        why="nodes join with the node role, and EKS deletes the instances and network interfaces with it: the "
            "policies must exist before and be deleted after the node group",
        source=TF_DOCS + "eks_node_group.html.markdown (\"Ensure that IAM Role permissions are created before and "
               "deleted after EKS Node Group handling\")"),
    OrderRule(
        "eks-nodes-after-vpc-cni", (NODE_GROUP,), _network_addon_before_nodes,
        why="a node role without AmazonEKS_CNI_Policy leaves aws-node without permissions until the vpc-cni "
            "add-on with its IRSA role exists; nodes stay NotReady (cni plugin not initialized) and the node "
            "group fails with NodeCreationFailure",
        source="docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html; alphagov/govuk-infrastructure#3541, "
               "terraform-aws-modules/terraform-aws-eks#1972"),
    OrderRule(
        "eks-addon-service-account-role-policies", (ADDON,), _addon_service_account_role_policies,
        why="an add-on's pods call AWS with its IRSA role from their first start (vpc-cni cannot assign pod "
            "addresses without it), and keep needing it until the add-on is deleted",
        source="docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html; "
               "terraform-aws-modules/terraform-aws-eks#1894"),
    OrderRule(
        "eks-deployment-addons-need-nodes", (ADDON,), _nodes_for_addons_on_nodes,
        why="coredns and the EBS CSI controller run as Deployments: with no node the add-on stays DEGRADED and "
            "its creation times out after 20 minutes",
        source="pulumi/pulumi-eks#1525, terraform-aws-modules/terraform-aws-eks#3001"),
    OrderRule(
        "eks-access-policy-needs-entry", ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation",),
        _access_entry_of_association,
        why="AssociateAccessPolicy attaches a policy to an existing access entry (ResourceNotFoundException "
            "without one)",
        source="docs.aws.amazon.com/eks/latest/APIReference/API_AssociateAccessPolicy.html"),
    OrderRule(
        "kubernetes-api-needs-eks-access", ("pulumi:providers:kubernetes",), _eks_access_for_kubernetes_api,
        why="the cluster is created without a creator access entry, so the identity running Pulumi is "
            "Unauthorized at the API server until its access entry and policy association exist",
        source="docs.aws.amazon.com/eks/latest/userguide/access-entries.html; pulumi/pulumi-eks#2373"),
    OrderRule(
        "lambda-role-policies", (FUNCTION,), _role_policies_of("role"),
        why="CreateFunction of a VPC function checks its role may create network interfaces (\"The provided "
            "execution role does not have permissions to call CreateNetworkInterface on EC2\"), and Lambda "
            "deletes those interfaces with the same role: on destroy the policies must outlive the function",
        source="aws.amazon.com/premiumsupport/knowledge-center/lambda-eni-find-delete/; serverless/serverless#1966, "
               "terraform-aws-modules/terraform-aws-lambda#310; " + TF_DOCS + "lambda_function.html.markdown"),
    OrderRule(
        "lambda-log-group-first", (FUNCTION,), _lambda_log_group,
        why="Lambda creates its log group on the first invocation (never expiring), and the program's log group "
            "then fails with ResourceAlreadyExistsException",
        source=TF_DOCS + "lambda_function.html.markdown (\"CloudWatch Logging and Permissions\")"),
    OrderRule(
        "lambda-event-source-role-policies", ("aws:lambda/eventSourceMapping:EventSourceMapping",),
        _mapping_function_role_policies,
        why="CreateEventSourceMapping checks the function's role may read the queue (\"The provided execution "
            "role does not have permissions to call ReceiveMessage on SQS\")",
        source="aws/aws-cdk#6770, hashicorp/terraform-provider-aws#14042; "
               "docs.aws.amazon.com/lambda/latest/dg/with-sqs.html"),
    OrderRule(
        "sqs-dead-letter-queue-exists", ("aws:sqs/queue:Queue",), _dead_letter_queue,
        why="SQS refuses a redrive policy whose deadLetterTargetArn does not exist yet (\"Dead letter target does "
            "not exist\")",
        source="serverless/serverless#5215; docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
               "sqs-configure-dead-letter-queue.html"),
    OrderRule(
        "flow-log-role-policies", ("aws:ec2/flowLog:FlowLog",), _role_policies_of("iamRoleArn"),
        why="the flow log delivers with its role from the start (else its status is DeliverLogsPermissionIssue "
            "and records are lost) and until it is deleted",
        source="docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"),
    # RDS's exported log groups first: "rds-log-groups-first" in OBSERVABILITY_AWS_RULES (issue 17).
    OrderRule(
        "elasticache-log-destinations-exist", ("aws:elasticache/replicationGroup:ReplicationGroup",),
        _elasticache_log_destinations,
        why="ElastiCache delivers slow and engine logs to an existing CloudWatch Logs group; a missing one leaves "
            "the log delivery in an error state",
        source="docs.aws.amazon.com/AmazonElastiCache/latest/dg/Log_Delivery.html"),
    OrderRule(
        "rds-proxy-role-policies", ("aws:rds/proxy:Proxy",), _role_policies_of("roleArn"),
        why="RDS Proxy reads the credentials secret with its role; without the policy every target is "
            "unavailable (AUTH_FAILURE)",
        source="docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-iam-setup.html"),
    OrderRule(
        "rds-proxy-target-after-credentials", ("aws:rds/proxyTarget:ProxyTarget",), _proxy_credentials,
        why="the proxy logs in to the registered instance with the secret's value (username, password), which "
            "must be written before the target is registered",
        source="docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-secrets-arns.html"),
    OrderRule(
        "policy-principals-exist",
        ("aws:iam/role:Role", "aws:sqs/queuePolicy:QueuePolicy", "aws:s3/bucketPolicy:BucketPolicy",
         "aws:sns/topicPolicy:TopicPolicy", "aws:kms/key:Key"),
        _policy_principals,
        why="IAM, S3, SQS and KMS resolve a principal ARN when the policy is saved and refuse one that does not "
            "exist (MalformedPolicyDocument: Invalid principal; SQS: Invalid value for the parameter Policy; KMS "
            "PutKeyPolicy/CreateKey: MalformedPolicyDocumentException, e.g. the EKS secrets key naming the cluster "
            "role)",
        source="docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html; "
               "aws/aws-cdk#15602; docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html (Policy: "
               "\"The principals in the key policy must exist and be visible to KMS\")"),
)

# Amazon MSK's rules live in msk.py, the observability tier's in observability.py (each with its
# synthetic cases in its own test module); together with these they are the AWS rules.
AWS_RULES: tuple[OrderRule, ...] = (AWS_CORE_RULES + EDGE_RULES + MSK_RULES + OBSERVABILITY_AWS_RULES
                                     + AUTOSCALING_AWS_RULES)

# Resource types whose only create-time needs are the resources their inputs name.
NO_PRECONDITION: dict[str, str] = {
    **EDGE_NO_PRECONDITION,
    **AUTOSCALING_NO_PRECONDITION,
    "aws:cloudfront/cachePolicy:CachePolicy": "an account-level object; nothing else is checked",
    "aws:cloudfront/originAccessControl:OriginAccessControl": "an account-level object; nothing else is checked",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": "an account-level object",
    "aws:cloudfront/monitoringSubscription:MonitoringSubscription": "the distribution is an input",
    "aws:cloudwatch/logGroup:LogGroup": "needs nothing; services that write to it wait for it (rules above)",
    "aws:cloudwatch/dashboard:Dashboard": "PutDashboard checks the body's syntax only: a widget whose metric or "
                                          "alarm is missing is a warning and renders empty; the alarm ARNs and "
                                          "names in the body are inputs (CloudWatch API Reference, PutDashboard, "
                                          "DashboardValidationMessages)",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "PutMetricAlarm checks neither the metric nor the action's topic "
                                              "policy; the topic ARN is an input",
    "aws:ec2/eip:Eip": "not associated with an instance; the NAT gateway that takes it waits for the internet "
                       "gateway (nat-gateway-internet-gateway)",
    "aws:ec2/internetGateway:InternetGateway": "created and attached to its VPC (an input) in one step",
    "aws:ec2/launchTemplate:LaunchTemplate": "not validated against its security groups until an instance "
                                             "launches; they are inputs",
    "aws:ec2/route:Route": "the gateway or NAT gateway is an input, attached before its create returns",
    "aws:ec2/routeTable:RouteTable": "the VPC is an input",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "the table and subnet are inputs",
    "aws:ec2/securityGroup:SecurityGroup": "the VPC is an input",
    "aws:ec2/subnet:Subnet": "the VPC is an input",
    "aws:ec2/vpc:Vpc": "needs nothing",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "private DNS needs the VPC's DNS support and hostnames, which the VPC "
                                       "resource sets before its create returns; subnets and groups are inputs",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "the repository is an input",
    "aws:ecr/repository:Repository": "needs nothing",
    "aws:eks/accessEntry:AccessEntry": "the cluster (an input) was created with API authentication",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "the cluster's issuer URL is an input",
    "aws:iam/rolePolicy:RolePolicy": "the role is an input; policies name resources by ARN without checking them",
    "aws:iam/policy:Policy": "a managed policy names resources by ARN without checking them; the roles that attach "
                             "it (tiketi:queue.redriveRoleArns) are the operators'",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "the role is an input; the managed policy is AWS's",
    "aws:kms/alias:Alias": "the key is an input",
    "aws:msk/configuration:Configuration": "needs nothing; the cluster that uses it names it (an input)",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "the secret is an input; its only principal is MSK's service "
                                                    "principal, which always exists",
    "aws:lambda/permission:Permission": "the function is an input; the principal is SNS's service principal and "
                                        "the source topic ARN is a condition, not checked to exist",
    "aws:lb/listenerRule:ListenerRule": "the listener and target group are inputs",
    "aws:lb/targetGroup:TargetGroup": "the VPC is an input",
    "aws:rds/parameterGroup:ParameterGroup": "needs nothing",
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": "the proxy is an input",
    "aws:rds/subnetGroup:SubnetGroup": "the subnets are inputs",
    "aws:elasticache/parameterGroup:ParameterGroup": "needs nothing",
    "aws:elasticache/subnetGroup:SubnetGroup": "the subnets are inputs",
    "aws:s3/bucket:Bucket": "needs nothing",
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": "the bucket is an input",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "the bucket is an input",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "the bucket is an input",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "the bucket is an input",
    "aws:s3/bucketVersioning:BucketVersioning": "the bucket is an input",
    "aws:secretsmanager/secret:Secret": "needs nothing",
    "aws:secretsmanager/secretVersion:SecretVersion": "the secret is an input",
    "aws:secretsmanager/secretRotation:SecretRotation": "the secret is an input: the one RDS manages for the "
                                                        "instance, which RDS rotates itself (no rotation Lambda)",
    "aws:sns/topic:Topic": "the KMS key is an input",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "the queues are inputs",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "the groups and prefix list are inputs",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "the groups and prefix list are inputs",
    "aws:wafv2/webAcl:WebAcl": "its managed rule groups are AWS's; nothing else is checked",
}
