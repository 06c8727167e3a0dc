"""Network: the VPC every AWS component lives in.

Owns the VPC, its four subnet tiers per availability zone, the internet and NAT
gateways, the route tables, the VPC endpoints (with their security group), the VPC
flow logs and the VPC's default security group, kept without a single rule: anything
created without a group of its own lands in it and can then talk to nothing (and nothing
to it). The provider adopts that group and removes AWS's default rules when it first
manages it (pulumi-aws ``ec2.DefaultSecurityGroup``); every component here names its own
groups. It does not own any workload security group: each tier's component owns its
own and receives subnet ids from here.

Subnet tiers, one subnet of each per availability zone (``plan_subnets`` fixes the CIDRs;
shown for 10.0.0.0/16 with three zones):

- public  10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24: ALB and NAT gateways; default route to
  the internet gateway.
- app     10.0.16.0/20, 10.0.32.0/20, 10.0.48.0/20: EKS nodes and pods (the VPC CNI gives
  every pod a VPC address, hence /20), RDS Proxy, interface endpoints; default route to
  the zone's NAT gateway.
- data    10.0.64.0/24, 10.0.65.0/24, 10.0.66.0/24: RDS and ElastiCache; no route out of
  the VPC at all.
- worker  10.0.80.0/24, 10.0.81.0/24, 10.0.82.0/24: the ticket-worker Lambda; default route
  to the zone's NAT gateway.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.base import Component

TIERS = ("public", "app", "data", "worker")
# The AWS APIs EKS nodes and the worker call without leaving the VPC (interface endpoints).
# xray: the trace collector exports to X-Ray without a path to the internet (its NetworkPolicy
# allows 443 to the VPC CIDR only).
INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "sts", "logs", "secretsmanager", "sqs", "xray")
# Subnet tags the AWS Load Balancer Controller uses to discover where to put load balancers.
ELB_ROLE_TAGS = {"public": {"kubernetes.io/role/elb": "1"}, "app": {"kubernetes.io/role/internal-elb": "1"}}


@dataclass(frozen=True)
class SubnetPlan:
    tier: str
    zone: str
    cidr: str


def plan_subnets(vpc_cidr: str, zones: Sequence[str]) -> list[SubnetPlan]:
    """Fixed, documented offsets inside a /16 so adding a third AZ never renumbers a subnet."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    if vpc.prefixlen != 16:
        raise ValueError(f"plan_subnets needs a /16, got {vpc_cidr}")
    base = int(vpc.network_address)
    offsets = {  # tier -> (address offset of AZ i, prefix length)
        "public": (lambda i: i * 256, 24),
        "app": (lambda i: (i + 1) * 4096, 20),
        "data": (lambda i: (64 + i) * 256, 24),
        "worker": (lambda i: (80 + i) * 256, 24),
    }
    plans = []
    for tier in TIERS:
        offset, prefix = offsets[tier]
        for index, zone in enumerate(zones):
            cidr = ipaddress.IPv4Network((base + offset(index), prefix))
            plans.append(SubnetPlan(tier, zone, str(cidr)))
    return plans


@dataclass(frozen=True)
class NetworkArgs:
    name_prefix: str
    region: str
    vpc_cidr: str
    availability_zones: Sequence[str]
    nat_gateways: Literal["perAz", "single"] = "perAz"
    flow_logs_retention_days: int = 90
    interface_endpoint_services: Sequence[str] = INTERFACE_ENDPOINT_SERVICES
    # Extra tags on the app subnets: Karpenter finds where to launch nodes by its discovery tag.
    app_subnet_tags: Mapping[str, str] = field(default_factory=dict)


class Network(Component):
    TYPE = "tiketi:network:Network"
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    subnet_ids: dict[str, list[pulumi.Output[str]]]
    subnet_cidrs: dict[str, list[str]]
    endpoint_security_group_id: pulumi.Output[str]
    internet_gateway: aws.ec2.InternetGateway  # what an internet-facing load balancer must wait for

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        child = pulumi.ResourceOptions(parent=self)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,  # both are required for interface endpoints' private DNS
            enable_dns_hostnames=True,
            tags={"Name": f"{args.name_prefix}-vpc"},
            opts=child,
        )
        self.vpc_id, self.vpc_cidr = vpc.id, args.vpc_cidr
        # No ingress or egress argument: no rule at all. Removing this resource later leaves the
        # group as it is (the provider only forgets it), it does not restore AWS's defaults.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id,
                                     tags={"Name": f"{args.name_prefix}-default-unused"}, opts=child)
        plans = plan_subnets(args.vpc_cidr, args.availability_zones)
        self.subnet_cidrs = {tier: [p.cidr for p in plans if p.tier == tier] for tier in TIERS}

        subnets = self._subnets = self._build_subnets(vpc)
        self.subnet_ids = {tier: [s.id for s in subnets[tier]] for tier in TIERS}
        private_tables = self._build_routing(vpc, subnets)
        self.endpoint_security_group_id = self._build_endpoints(vpc, subnets["app"], private_tables)
        self._build_flow_logs(vpc)

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "vpcCidr": self.vpc_cidr,
                **{f"{tier}SubnetIds": ids for tier, ids in self.subnet_ids.items()},
                "endpointSecurityGroupId": self.endpoint_security_group_id,
            }
        )

    def _opts(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _build_subnets(self, vpc: aws.ec2.Vpc) -> dict[str, list[aws.ec2.Subnet]]:
        args, subnets = self._args, {tier: [] for tier in TIERS}
        for plan in plan_subnets(args.vpc_cidr, args.availability_zones):
            subnet = aws.ec2.Subnet(
                f"{self._name}-{plan.tier}-{plan.zone}",
                vpc_id=vpc.id,
                cidr_block=plan.cidr,
                availability_zone=plan.zone,
                # Nothing in the public tier needs an automatic public IP (ALB and NAT bring their own).
                map_public_ip_on_launch=False,
                tags={"Name": f"{args.name_prefix}-{plan.tier}-{plan.zone}", "Tier": plan.tier,
                      **ELB_ROLE_TAGS.get(plan.tier, {}), **(args.app_subnet_tags if plan.tier == "app" else {})},
                opts=self._opts(),
            )
            subnets[plan.tier].append(subnet)
        return subnets

    def _build_routing(self, vpc: aws.ec2.Vpc, subnets: dict[str, list[aws.ec2.Subnet]]) -> list[aws.ec2.RouteTable]:
        """Public -> IGW; app and worker -> their AZ's NAT (or the single NAT); data -> nowhere."""
        args, name = self._args, self._name
        zones = list(args.availability_zones)
        igw = self.internet_gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id,
                                                              tags={"Name": f"{args.name_prefix}-igw"},
                                                              opts=self._opts())

        public_table = self._route_table("public", vpc, "public")
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_table.id,
                      destination_cidr_block="0.0.0.0/0", gateway_id=igw.id, opts=self._opts())
        self._associate(public_table, "public", subnets["public"])

        nat_zones = zones if args.nat_gateways == "perAz" else zones[:1]
        nats = []
        for index, zone in enumerate(nat_zones):
            eip = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc",
                              tags={"Name": f"{args.name_prefix}-nat-{zone}"}, opts=self._opts())
            nats.append(aws.ec2.NatGateway(
                f"{name}-nat-{zone}", allocation_id=eip.id, subnet_id=subnets["public"][index].id,
                tags={"Name": f"{args.name_prefix}-nat-{zone}"},
                opts=self._opts(depends_on=[igw]),
            ))

        private_tables = []
        for index, zone in enumerate(zones):
            table = self._route_table(f"private-{zone}", vpc, "private")
            nat = nats[index] if args.nat_gateways == "perAz" else nats[0]
            aws.ec2.Route(f"{name}-private-{zone}-default", route_table_id=table.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=self._opts())
            self._associate(table, "app", [subnets["app"][index]])
            self._associate(table, "worker", [subnets["worker"][index]])
            private_tables.append(table)

        # Data subnets get a table of their own with only the implicit local route: RDS and
        # ElastiCache never need to reach, or be reached from, outside the VPC.
        data_table = self._route_table("data", vpc, "data")
        self._associate(data_table, "data", subnets["data"])
        return private_tables

    def _route_table(self, role: str, vpc: aws.ec2.Vpc, tier: str) -> aws.ec2.RouteTable:
        return aws.ec2.RouteTable(f"{self._name}-{role}", vpc_id=vpc.id,
                                  tags={"Name": f"{self._args.name_prefix}-{role}", "Tier": tier},
                                  opts=self._opts())

    def _associate(self, table: aws.ec2.RouteTable, tier: str, subnets: list[aws.ec2.Subnet]) -> None:
        zones = self._args.availability_zones
        for subnet in subnets:
            zone = zones[self._subnets[tier].index(subnet)]
            aws.ec2.RouteTableAssociation(f"{self._name}-{tier}-{zone}", route_table_id=table.id,
                                          subnet_id=subnet.id, opts=self._opts())

    def _build_endpoints(self, vpc: aws.ec2.Vpc, app_subnets: list[aws.ec2.Subnet],
                         private_tables: list[aws.ec2.RouteTable]) -> pulumi.Output[str]:
        args, name = self._args, self._name
        aws.ec2.VpcEndpoint(
            f"{name}-s3", vpc_id=vpc.id, service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway", route_table_ids=[t.id for t in private_tables],
            tags={"Name": f"{args.name_prefix}-s3"}, opts=self._opts(),
        )
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints", vpc_id=vpc.id,
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            tags={"Name": f"{args.name_prefix}-endpoints"}, opts=self._opts(),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https", security_group_id=endpoint_sg.id, description="HTTPS from the VPC",
            ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4=args.vpc_cidr, opts=self._opts(),
        )
        for service in args.interface_endpoint_services:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}", vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}", vpc_endpoint_type="Interface",
                private_dns_enabled=True, subnet_ids=[s.id for s in app_subnets],
                security_group_ids=[endpoint_sg.id],
                tags={"Name": f"{args.name_prefix}-{service}"}, opts=self._opts(),
            )
        return endpoint_sg.id

    def _build_flow_logs(self, vpc: aws.ec2.Vpc) -> None:
        args, name = self._args, self._name
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=f"/tiketi/{args.name_prefix}/vpc-flow-logs",
            retention_in_days=args.flow_logs_retention_days, opts=self._opts(),
        )
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        # Confused-deputy guard: only flow logs of this account may assume the role.
        assume_role = account_id.apply(lambda account: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }],
        }))
        role = aws.iam.Role(f"{name}-flow-logs", assume_role_policy=assume_role,
                            description="VPC flow logs delivery to CloudWatch Logs", opts=self._opts())
        delivery = aws.iam.RolePolicy(
            f"{name}-flow-logs", role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [arn, f"{arn}:*"],
                }],
            })),
            opts=self._opts(),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn, iam_role_arn=role.arn, max_aggregation_interval=60,
            tags={"Name": f"{args.name_prefix}-flow-logs"},
            # The role must be able to deliver before the first records arrive, and keep that right
            # until the flow log is gone (destroy runs this edge backwards).
            opts=self._opts(depends_on=[delivery]),
        )
