"""Cluster: EKS, its managed nodes, add-ons and the AWS Load Balancer Controller (staging, prod).

Owns the control plane (version from config, in the app subnets, private endpoint plus a
public one only for ``publicAccessCidrs``, all five control-plane log types into a log
group with retention, Kubernetes secrets envelope-encrypted with a KMS key whose key policy
is explicit), the access entries (``tiketi:cluster.accessEntries``), the managed node group
(its launch template attaches the AppSecurityGroups' ``eks-nodes`` group and requires IMDSv2
with a hop limit of 1, so pods cannot borrow the node's role), the OIDC provider for IRSA, the add-ons (vpc-cni
with network-policy enforcement on — without it the spec's NetworkPolicies do nothing on
EKS — coredns, kube-proxy and the EBS CSI driver with its IRSA role), the AWS Load Balancer
Controller (Helm, IRSA) and a Kubernetes provider for the cluster.

Order (tools/harness/deploy_order/aws.py): the control plane and the node group wait for
their roles' policy attachments (and keep them until EKS has cleaned up its instances,
network interfaces and security groups on destroy); the node role has no CNI policy, so the
vpc-cni add-on with its IRSA role and attachment exists before any node joins (nodes stay
NotReady without it); coredns and the EBS CSI driver run as Deployments and wait for nodes;
the Kubernetes provider waits for the access policy associations, so Pulumi's own identity
can use the API server before the first object is applied.

Access: ``bootstrap_cluster_creator_admin_permissions`` is off. The creator's automatic entry
would collide with the same principal listed explicitly (409 ResourceInUseException) and
would silently depend on who ran the first ``pulumi up``; every entry is explicit, keyed by
its config name. Changing the flag forces a new cluster, so it is fixed here for good.

Scaling: Pulumi owns the node group's min, desired and max sizes (config checks
min <= desired <= max, so raising minSize raises desiredSize with it in one update); the
group holds the controllers. Karpenter (NodeAutoscaling) adds the services' own nodes and leaves
this group alone; an autoscaler that moved the desired size (Cluster Autoscaler) would need
``ignore_changes`` on it again.

The controller is only asked to fill target groups Pulumi owns (TargetGroupBindings); its
IAM policy grants exactly that: read-only discovery plus register/deregister on those
target groups, nothing that creates or deletes load balancers.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.base import Component
from components.config.kubernetes import ClusterSettings
from components.kubernetes.cluster_addons import OFF_KARPENTER_NODES
from components.security import iam
from components.security.irsa import OidcIssuer, irsa_annotations, service_account_role

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
LBC_NAMESPACE = "kube-system"
LBC_SERVICE_ACCOUNT = "aws-load-balancer-controller"
LBC_CHART = "aws-load-balancer-controller"  # also its pods' app.kubernetes.io/name (chart _helpers.tpl)
LBC_DISCOVERY_ACTIONS = [
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth", "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
    "ec2:DescribeTags",
]


@dataclass(frozen=True)
class ClusterArgs:
    name_prefix: str
    settings: ClusterSettings
    region: str
    vpc_id: pulumi.Input[str]
    app_subnet_ids: Sequence[pulumi.Input[str]]
    eks_nodes_security_group_id: pulumi.Input[str]
    target_group_arns: Sequence[pulumi.Input[str]]
    service_ipv4_cidr: str | None  # tiketi:cluster.serviceIpv4Cidr; None: EKS chooses (read back from the cluster)
    protect: bool = True  # tiketi:protection.stateful: the control plane and its secrets key


class Cluster(Component):
    TYPE = "tiketi:kubernetes:Cluster"
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    security_group_id: pulumi.Output[str]  # the cluster security group EKS creates (control plane <-> nodes)
    oidc: OidcIssuer
    provider: k8s.Provider
    load_balancer_controller: k8s.helm.v3.Release
    node_group: aws.eks.NodeGroup

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings
        cluster_name = args.name_prefix

        role, role_policies = self._service_role("control-plane", "eks.amazonaws.com", ["AmazonEKSClusterPolicy"])
        key = self._secrets_key(cluster_name, role)
        log_group = aws.cloudwatch.LogGroup(f"{name}-control-plane", name=f"/aws/eks/{cluster_name}/cluster",
                                            retention_in_days=settings.log_retention_days, opts=self._child())
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=cluster_name,
            version=settings.version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.app_subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=bool(settings.public_access_cidrs),
                public_access_cidrs=[str(c) for c in settings.public_access_cidrs] or None,
            ),
            # Sent only when tiketi:cluster.serviceIpv4Cidr names a range: the field is Optional+Computed+
            # ForceNew (terraform-provider-aws internal/service/eks/cluster.go), so left out, EKS chooses and an
            # existing cluster keeps its range whatever it is; NetworkPolicies read it back (api_server_cidr).
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                service_ipv4_cidr=args.service_ipv4_cidr) if args.service_ipv4_cidr else None,
            enabled_cluster_log_types=LOG_TYPES,
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"], provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn)),
            access_config=aws.eks.ClusterAccessConfigArgs(authentication_mode="API",
                                                          bootstrap_cluster_creator_admin_permissions=False),
            # Unset, the API default EXTENDED bills $0.60/h once the version leaves standard support
            # (CloudFormation AWS::EKS::Cluster UpgradePolicy); tiketi:cluster.supportType decides.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=settings.support_type),
            # EKS creates /aws/eks/<name>/cluster itself (without retention) if it does not exist yet.
            opts=self._child(depends_on=[log_group, *role_policies], protect=args.protect,
                             delete_before_replace=True),
        )
        # The `default/kubernetes` Service's ClusterIP (the range's first address) as a /32: pods reach the API
        # server there, and the EKS network policy agent matches egress before kube-proxy's DNAT
        # (aws/amazon-network-policy-controller-k8s pkg/resolvers/endpoints.go), so policies must allow it.
        self.api_server_cidr: pulumi.Output[str] = cluster.kubernetes_network_config.apply(_first_address)
        access = self._grant_access(cluster)
        self.oidc = self._build_oidc(cluster)
        network_addon = self._build_network_addon(cluster)
        node_group = self.node_group = self._build_nodes(cluster, network_addon)
        self._build_addons(cluster, node_group)
        self.provider = k8s.Provider(f"{name}-k8s", kubeconfig=_kubeconfig(cluster, args.region),
                                     enable_server_side_apply=True, opts=self._child(depends_on=access))
        self.load_balancer_controller = self._build_load_balancer_controller(cluster, node_group)

        self.name, self.arn, self.endpoint = cluster.name, cluster.arn, cluster.endpoint
        self.security_group_id = cluster.vpc_config.cluster_security_group_id
        self.register_outputs({"name": self.name, "endpoint": self.endpoint,
                               "oidcProviderArn": self.oidc.provider_arn})


    def _secrets_key(self, cluster_name: str, role: aws.iam.Role) -> aws.kms.Key:
        """The key that envelope-encrypts Kubernetes Secrets, with its key policy written out.

        The first statement is exactly the policy KMS gives a key created without one (KMS
        Developer Guide, key-policy-default: the account may use IAM policies for every KMS action),
        so the identity that runs Pulumi keeps managing the key; the second names the cluster role
        as the key's user, with the actions EKS uses (terraform-aws-eks cluster_encryption). A policy
        change is PutKeyPolicy, in place: the key, which EKS cannot swap (EncryptionConfig
        "Update requires: Replacement"), stays.
        """
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        policy = iam.key_policy(
            account_id,
            {"Sid": "EksClusterUsesTheKey", "Effect": "Allow", "Principal": {"AWS": role.arn},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], "Resource": "*"},
        )
        return aws.kms.Key(f"{self._name}-secrets", description=f"{cluster_name}: EKS secrets envelope encryption",
                           enable_key_rotation=True, deletion_window_in_days=30, policy=policy,
                           opts=self._child(protect=self._args.protect))

    def _service_role(self, role: str, service: str,
                      managed: list[str]) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        """A service role and its managed-policy attachments (what its user must wait for)."""
        iam_role = aws.iam.Role(f"{self._name}-{role}", assume_role_policy=iam.trust(service),
                                opts=self._child())
        attachments = [aws.iam.RolePolicyAttachment(f"{self._name}-{role}-{policy}", role=iam_role.name,
                                                    policy_arn=f"arn:aws:iam::aws:policy/{policy}",
                                                    opts=self._child())
                       for policy in managed]
        return iam_role, attachments

    def _grant_access(self, cluster: aws.eks.Cluster) -> list[aws.eks.AccessPolicyAssociation]:
        """One access entry and policy association per ``accessEntries`` name (the name keys the URNs)."""
        associations = []
        for key, entry in sorted(self._args.settings.access_entries.items()):
            access_entry = aws.eks.AccessEntry(f"{self._name}-access-{key}", cluster_name=cluster.name,
                                               principal_arn=entry.principal_arn, opts=self._child())
            associations.append(aws.eks.AccessPolicyAssociation(
                f"{self._name}-access-{key}", cluster_name=cluster.name, principal_arn=access_entry.principal_arn,
                policy_arn=entry.policy_arn,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"), opts=self._child()))
        return associations

    def _build_oidc(self, cluster: aws.eks.Cluster) -> OidcIssuer:
        issuer = cluster.identities[0].oidcs[0].issuer
        provider = aws.iam.OpenIdConnectProvider(f"{self._name}-oidc", url=issuer,
                                                 client_id_lists=["sts.amazonaws.com"], opts=self._child())
        return OidcIssuer(provider_arn=provider.arn, url=issuer)

    def _build_nodes(self, cluster: aws.eks.Cluster, network_addon: aws.eks.Addon) -> aws.eks.NodeGroup:
        args, settings, name = self._args, self._args.settings, self._name
        # No AmazonEKS_CNI_Policy here: aws-node gets it through IRSA (the vpc-cni add-on).
        role, role_policies = self._service_role("nodes", "ec2.amazonaws.com",
                                                 ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"])
        template = aws.ec2.LaunchTemplate(
            f"{name}-nodes",
            description=f"{args.name_prefix} nodes: app security group, IMDSv2 only, encrypted gp3 root",
            vpc_security_group_ids=[cluster.vpc_config.cluster_security_group_id, args.eks_nodes_security_group_id],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda", ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=50, volume_type="gp3", encrypted="true", delete_on_termination="true"))],
            opts=self._child())
        return aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=cluster.name,
            node_role_arn=role.arn,
            version=settings.version,  # nodes follow the control plane on upgrades
            subnet_ids=list(args.app_subnet_ids),
            instance_types=list(settings.instance_types),
            ami_type=settings.ami_type,
            capacity_type=settings.capacity_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=settings.min_size, desired_size=settings.desired_size, max_size=settings.max_size),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version),
            opts=self._child(depends_on=[*role_policies, network_addon]),
        )

    def _addon(self, addon: str, cluster: aws.eks.Cluster, depends_on: list[pulumi.Resource],
               **extra) -> aws.eks.Addon:
        return aws.eks.Addon(f"{self._name}-{addon}", cluster_name=cluster.name, addon_name=addon,
                             resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
                             opts=self._child(depends_on=depends_on), **extra)

    def _irsa_role(self, role: str, service_account: str, policy_arn: str,
                   description: str) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
        iam_role = service_account_role(f"{self._name}-{role}", parent=self, issuer=self.oidc,
                                        namespace="kube-system", service_account=service_account,
                                        description=description)
        attachment = aws.iam.RolePolicyAttachment(f"{self._name}-{role}", role=iam_role.name, policy_arn=policy_arn,
                                                  opts=self._child())
        return iam_role, attachment

    def _build_network_addon(self, cluster: aws.eks.Cluster) -> aws.eks.Addon:
        """vpc-cni with its IRSA role: nodes are NotReady until aws-node can manage pod ENIs."""
        role, attachment = self._irsa_role("vpc-cni", "aws-node", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
                                           "vpc-cni: manage pod ENIs")
        # Network policy enforcement: without it EKS ignores every NetworkPolicy.
        return self._addon("vpc-cni", cluster, [attachment], service_account_role_arn=role.arn,
                           configuration_values=json.dumps({"enableNetworkPolicy": "true"}))

    def _build_addons(self, cluster: aws.eks.Cluster, node_group: aws.eks.NodeGroup) -> None:
        ebs_role, ebs_attachment = self._irsa_role(
            "ebs-csi", "ebs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
            "EBS CSI driver: manage volumes")
        self._addon("kube-proxy", cluster, [])  # a DaemonSet: nothing to wait for
        # Deployments: with no node to run on the add-on stays DEGRADED and its creation times out.
        self._addon("coredns", cluster, [node_group])
        self._addon("aws-ebs-csi-driver", cluster, [node_group, ebs_attachment],
                    service_account_role_arn=ebs_role.arn)

    def _build_load_balancer_controller(self, cluster: aws.eks.Cluster,
                                        node_group: aws.eks.NodeGroup) -> k8s.helm.v3.Release:
        args, name = self._args, self._name
        role = service_account_role(f"{name}-lbc", parent=self, issuer=self.oidc, namespace=LBC_NAMESPACE,
                                    service_account=LBC_SERVICE_ACCOUNT,
                                    description="AWS Load Balancer Controller: fill Pulumi's target groups")
        aws.iam.RolePolicy(
            f"{name}-lbc", role=role.id,
            policy=iam.document(
                iam.allow(LBC_DISCOVERY_ACTIONS, "*", sid="Discover"),
                iam.allow(["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                               list(args.target_group_arns), sid="FillTargetGroups"),
            ),
            opts=self._child())
        return k8s.helm.v3.Release(
            f"{name}-lbc",
            name="aws-load-balancer-controller",
            chart=LBC_CHART,
            version=args.settings.load_balancer_controller_chart,
            namespace=LBC_NAMESPACE,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://aws.github.io/eks-charts"),
            values={
                "clusterName": cluster.name,
                "region": args.region,  # pods cannot read it from IMDS (hop limit 1)
                "vpcId": args.vpc_id,
                "replicaCount": 2,
                "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT,
                                   "annotations": irsa_annotations(role.arn)},
                # The chart's default (1.13.0 values.yaml: enableServiceMutatorWebhook: true) registers
                # the mservice.elbv2.k8s.aws webhook on every Service CREATE with failurePolicy Fail:
                # while the controller is down no Service can be created. This stack has no
                # LoadBalancer Services (TargetGroupBindings fill Pulumi's target groups), so it is off.
                "enableServiceMutatorWebhook": False,
                # The pod mutator webhook that injects the readiness gates is failurePolicy Ignore (chart
                # 1.13.0 values.yaml podMutatorWebhookConfig): a pod admitted while no controller runs gets no
                # gate. So the controller stays on the managed node group, off Karpenter's consolidated
                # nodes, like ESO and Reloader, and a drain takes one replica at a time. A custom affinity
                # replaces the chart's default (templates/deployment.yaml, configureDefaultAffinity), so its
                # preferred hostname anti-affinity is restated here; preferred, not required: with the
                # default rolling update (maxSurge 1) a required one leaves the surge pod unschedulable
                # on staging's two nodes. The PDB is rendered only with replicaCount > 1 (templates/pdb.yaml).
                "affinity": {**OFF_KARPENTER_NODES, "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": LBC_CHART}}}}]}},
                "podDisruptionBudget": {"maxUnavailable": 1},
            },
            opts=self._child(provider=self.provider, depends_on=[node_group]),
        )


def _kubeconfig(cluster: aws.eks.Cluster, region: str) -> pulumi.Output[str]:
    """A kubeconfig that authenticates with `aws eks get-token` (no long-lived credentials)."""
    return pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(
        lambda values: json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": values[0],
            "clusters": [{"name": values[0], "cluster": {"server": values[1],
                                                          "certificate-authority-data": values[2]}}],
            "contexts": [{"name": values[0], "context": {"cluster": values[0], "user": values[0]}}],
            "users": [{"name": values[0], "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
                "args": ["eks", "get-token", "--cluster-name", values[0], "--region", region],
            }}}],
        }))


def _first_address(network_config: aws.eks.outputs.ClusterKubernetesNetworkConfig) -> str:
    return f"{ipaddress.IPv4Network(network_config.service_ipv4_cidr).network_address + 1}/32"
