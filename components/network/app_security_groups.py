"""AppSecurityGroups: the identities of the application tier, created before anything refers to them.

The data tier admits traffic from "the EKS nodes" and "the worker"; the worker's egress
names the RDS Proxy and Redis groups. Creating the two client groups first (with no rules
of their own) breaks that cycle: each owner adds its rules as separate rule resources.
Rules on these groups are added by the LoadBalancer and InternalApi (ALB to pods) and the
Worker (its egress). The nodes' outbound traffic and node/control-plane traffic are allowed
by the EKS cluster security group, which the node launch template attaches next to this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import Component


@dataclass(frozen=True)
class AppSecurityGroupsArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    # Extra tags on eks-nodes: Karpenter's EC2NodeClass selects it by its discovery tag.
    eks_nodes_tags: Mapping[str, str] = field(default_factory=dict)


class AppSecurityGroups(Component):
    TYPE = "tiketi:network:AppSecurityGroups"
    eks_nodes_id: pulumi.Output[str]
    worker_id: pulumi.Output[str]

    def __init__(self, name: str, args: AppSecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        groups = {}
        for role, description in (("eks-nodes", "EKS worker nodes and their pods"),
                                  ("worker", "ticket-worker Lambda")):
            groups[role] = aws.ec2.SecurityGroup(
                f"{name}-{role}", vpc_id=args.vpc_id, description=description,
                # No inline rules (they would fight the separate rule resources owners add);
                # the provider removes AWS's default allow-all egress on create.
                tags={"Name": f"{args.name_prefix}-{role}", "Role": role,
                      **(args.eks_nodes_tags if role == "eks-nodes" else {})},
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.eks_nodes_id = groups["eks-nodes"].id
        self.worker_id = groups["worker"].id
        self.register_outputs({"eksNodesId": self.eks_nodes_id, "workerId": self.worker_id})

    @property
    def clients(self) -> dict[str, pulumi.Output[str]]:
        """The groups the data tier admits, by name (used in rule names and descriptions)."""
        return {"eks-nodes": self.eks_nodes_id, "worker": self.worker_id}


def allow_tcp_from(prefix: str, *, parent: pulumi.Resource, group_id: pulumi.Input[str], port: int,
                   sources: Mapping[str, pulumi.Input[str]], description: str) -> None:
    """Ingress on one TCP port from each named security group, as rules ``<prefix>-from-<source>``.

    ``description`` may name the source as ``{source}``.
    """
    for source, source_id in sources.items():
        aws.vpc.SecurityGroupIngressRule(
            f"{prefix}-from-{source}", security_group_id=group_id, description=description.format(source=source),
            ip_protocol="tcp", from_port=port, to_port=port, referenced_security_group_id=source_id,
            opts=pulumi.ResourceOptions(parent=parent))
