"""Network on the staging and prod snapshots: CIDRs, subnet layout, routes, endpoints, flow logs."""

from __future__ import annotations

import json

import pytest

from components.network.network import plan_subnets
from tools.harness.fake_cloud import ACCOUNT_ID
from tools.harness.snapshot import Snapshot

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"

PROD_ZONES = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
STAGING_ZONES = ["ap-northeast-2a", "ap-northeast-2c"]
EXPECTED = {
    "prod": {
        "vpc": "10.0.0.0/16",
        "public": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        "app": ["10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"],
        "data": ["10.0.64.0/24", "10.0.65.0/24", "10.0.66.0/24"],
        "worker": ["10.0.80.0/24", "10.0.81.0/24", "10.0.82.0/24"],
        "zones": PROD_ZONES,
    },
    "staging": {
        "vpc": "10.1.0.0/16",
        "public": ["10.1.0.0/24", "10.1.1.0/24"],
        "app": ["10.1.16.0/20", "10.1.32.0/20"],
        "data": ["10.1.64.0/24", "10.1.65.0/24"],
        "worker": ["10.1.80.0/24", "10.1.81.0/24"],
        "zones": STAGING_ZONES,
    },
}


def subnets_of(snap: Snapshot, tier: str) -> list:
    return sorted(snap.all(SUBNET, tags={"Tier": tier}), key=lambda s: s.inputs["availabilityZone"])


def tables_of(snap: Snapshot, subnet) -> list:
    """Route tables a subnet is associated with."""
    return [snap.by_id(a.inputs["routeTableId"]) for a in snap.all(ASSOCIATION, subnetId=subnet.id)]


def default_routes(snap: Snapshot, table) -> list:
    return snap.all(ROUTE, routeTableId=table.id, destinationCidrBlock="0.0.0.0/0")


# --- pure subnet plan -----------------------------------------------------------------------


def test_plan_keeps_existing_subnets_when_a_zone_is_added():
    two = {(p.tier, p.zone): p.cidr for p in plan_subnets("10.0.0.0/16", PROD_ZONES[:2])}
    three = {(p.tier, p.zone): p.cidr for p in plan_subnets("10.0.0.0/16", PROD_ZONES)}
    assert all(three[key] == cidr for key, cidr in two.items())


def test_plan_subnets_do_not_overlap_and_fit_in_the_vpc():
    import ipaddress

    networks = [ipaddress.IPv4Network(p.cidr) for p in plan_subnets("10.0.0.0/16", PROD_ZONES)]
    vpc = ipaddress.IPv4Network("10.0.0.0/16")
    assert all(n.subnet_of(vpc) for n in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1:])


# --- VPC and subnets ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_vpc_cidr_and_dns(stack, request):
    snap = request.getfixturevalue(stack)
    vpc = snap.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == EXPECTED[stack]["vpc"]
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True


@pytest.mark.parametrize("stack", ["prod", "staging"])
@pytest.mark.parametrize("tier", ["public", "app", "data", "worker"])
def test_one_subnet_per_tier_and_zone_with_the_planned_cidr(stack, tier, request):
    snap = request.getfixturevalue(stack)
    subnets = subnets_of(snap, tier)
    assert [s.inputs["availabilityZone"] for s in subnets] == EXPECTED[stack]["zones"]
    assert [s.inputs["cidrBlock"] for s in subnets] == EXPECTED[stack][tier]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_subnet_count_is_four_tiers_times_zones(prod, staging):
    assert len(prod.all(SUBNET)) == 12
    assert len(staging.all(SUBNET)) == 8


def test_load_balancer_controller_subnet_tags(aws_stack):
    for subnet in subnets_of(aws_stack, "public"):
        assert subnet.inputs["tags"]["kubernetes.io/role/elb"] == "1"
        assert "kubernetes.io/role/internal-elb" not in subnet.inputs["tags"]
    for subnet in subnets_of(aws_stack, "app"):
        assert subnet.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in subnet.inputs["tags"]
    for tier in ("data", "worker"):
        for subnet in subnets_of(aws_stack, tier):
            assert not any(key.startswith("kubernetes.io/") for key in subnet.inputs["tags"])


# --- routes ---------------------------------------------------------------------------------


def test_data_subnets_have_no_route_out_of_the_vpc(aws_stack):
    for subnet in subnets_of(aws_stack, "data"):
        [table] = tables_of(aws_stack, subnet)
        assert aws_stack.all(ROUTE, routeTableId=table.id) == []
        assert table.inputs.get("routes") in (None, [])
        # ...and no gateway endpoint adds a route to it either.
        for endpoint in aws_stack.all(ENDPOINT, vpcEndpointType="Gateway"):
            assert table.id not in endpoint.inputs["routeTableIds"]


def test_public_subnets_route_to_the_internet_gateway(aws_stack):
    igw = aws_stack.one("aws:ec2/internetGateway:InternetGateway")
    for subnet in subnets_of(aws_stack, "public"):
        [table] = tables_of(aws_stack, subnet)
        [route] = default_routes(aws_stack, table)
        assert route.inputs["gatewayId"] == igw.id


def test_prod_app_and_worker_subnets_use_their_own_zones_nat(prod):
    nats = prod.all("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3
    public_by_zone = {s.inputs["availabilityZone"]: s.id for s in subnets_of(prod, "public")}
    nat_zone = {nat.id: zone for nat in nats for zone, sid in public_by_zone.items() if nat.inputs["subnetId"] == sid}
    for tier in ("app", "worker"):
        for subnet in subnets_of(prod, tier):
            [table] = tables_of(prod, subnet)
            [route] = default_routes(prod, table)
            assert nat_zone[route.inputs["natGatewayId"]] == subnet.inputs["availabilityZone"]


def test_staging_shares_one_nat_gateway(staging):
    [nat] = staging.all("aws:ec2/natGateway:NatGateway")
    for tier in ("app", "worker"):
        for subnet in subnets_of(staging, tier):
            [table] = tables_of(staging, subnet)
            [route] = default_routes(staging, table)
            assert route.inputs["natGatewayId"] == nat.id


def test_every_nat_has_an_elastic_ip_in_a_public_subnet(aws_stack):
    public_ids = {s.id for s in subnets_of(aws_stack, "public")}
    eips = {e.id for e in aws_stack.all("aws:ec2/eip:Eip", domain="vpc")}
    for nat in aws_stack.all("aws:ec2/natGateway:NatGateway"):
        assert nat.inputs["subnetId"] in public_ids
        assert nat.inputs["allocationId"] in eips


def test_only_public_and_private_tables_have_a_default_route(aws_stack):
    routes = aws_stack.all(ROUTE, destinationCidrBlock="0.0.0.0/0")
    tiers = sorted(aws_stack.by_id(r.inputs["routeTableId"]).inputs["tags"]["Tier"] for r in routes)
    zones = len(subnets_of(aws_stack, "public"))
    assert tiers == ["private"] * zones + ["public"]


# --- endpoints ------------------------------------------------------------------------------


def test_s3_gateway_endpoint_serves_the_private_route_tables(aws_stack):
    endpoint = aws_stack.one(ENDPOINT, vpcEndpointType="Gateway")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.ap-northeast-2.s3"
    private = {t.id for t in aws_stack.all(ROUTE_TABLE, tags={"Tier": "private"})}
    assert set(endpoint.inputs["routeTableIds"]) == private


def test_interface_endpoints_for_the_apis_the_cluster_and_worker_call(aws_stack):
    endpoints = aws_stack.all(ENDPOINT, vpcEndpointType="Interface")
    assert sorted(e.inputs["serviceName"] for e in endpoints) == sorted(
        f"com.amazonaws.ap-northeast-2.{service}"
        for service in ("ecr.api", "ecr.dkr", "sts", "logs", "secretsmanager", "sqs", "xray")
    )
    app_subnets = sorted(s.id for s in subnets_of(aws_stack, "app"))
    sg = aws_stack.one("aws:ec2/securityGroup:SecurityGroup", tags={"Name": f"tiketi-{aws_stack.stack}-endpoints"})
    for endpoint in endpoints:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert sorted(endpoint.inputs["subnetIds"]) == app_subnets
        assert endpoint.inputs["securityGroupIds"] == [sg.id]


def test_endpoint_security_group_allows_only_https_from_the_vpc(aws_stack):
    sg = aws_stack.one("aws:ec2/securityGroup:SecurityGroup", tags={"Name": f"tiketi-{aws_stack.stack}-endpoints"})
    [rule] = aws_stack.all(INGRESS, securityGroupId=sg.id)
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
    assert rule.inputs["cidrIpv4"] == EXPECTED[aws_stack.stack]["vpc"]
    assert "ingress" not in sg.inputs  # no inline rules hiding next to the separate one
    assert aws_stack.all(EGRESS, securityGroupId=sg.id) == []


# --- flow logs ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack,retention", [("prod", 90), ("staging", 30)])
def test_flow_logs_capture_all_traffic_to_cloudwatch(stack, retention, request):
    snap = request.getfixturevalue(stack)
    vpc = snap.one("aws:ec2/vpc:Vpc")
    log_group = snap.one("aws:cloudwatch/logGroup:LogGroup", name=f"/tiketi/tiketi-{stack}/vpc-flow-logs")
    assert log_group.inputs["retentionInDays"] == retention
    flow_log = snap.one("aws:ec2/flowLog:FlowLog", vpcId=vpc.id)
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == log_group.outputs["arn"]
    assert flow_log.inputs["maxAggregationInterval"] == 60


def test_flow_log_role_is_trusted_by_flow_logs_of_this_account_only(aws_stack):
    flow_log = aws_stack.one("aws:ec2/flowLog:FlowLog")
    role = next(r for r in aws_stack.all("aws:iam/role:Role") if r.outputs["arn"] == flow_log.inputs["iamRoleArn"])
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    [policy] = aws_stack.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    [grant] = json.loads(policy.inputs["policy"])["Statement"]
    flow_logs_name = f"/tiketi/tiketi-{aws_stack.stack}/vpc-flow-logs"
    log_group = aws_stack.one("aws:cloudwatch/logGroup:LogGroup", name=flow_logs_name)
    assert grant["Resource"] == [log_group.outputs["arn"], log_group.outputs["arn"] + ":*"]
    assert sorted(grant["Action"]) == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]


# --- outputs --------------------------------------------------------------------------------


def test_network_outputs_are_exported(aws_stack):
    vpc = aws_stack.one("aws:ec2/vpc:Vpc")
    assert aws_stack.outputs["vpcId"] == vpc.id
    assert aws_stack.outputs["vpcCidr"] == EXPECTED[aws_stack.stack]["vpc"]
    for tier in ("public", "app", "data", "worker"):
        assert sorted(aws_stack.outputs[f"{tier}SubnetIds"]) == sorted(s.id for s in subnets_of(aws_stack, tier))


def test_the_default_security_group_is_managed_with_no_rule(aws_stack):
    """Anything created without a group of its own lands in the VPC's default group: with no rule it can
    talk to nothing. The provider adopts the group and drops AWS's default rules; no argument, no rule."""
    [default] = aws_stack.all("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    vpc = aws_stack.one("aws:ec2/vpc:Vpc")
    assert default.inputs == {"vpcId": vpc.id, "tags": {"Name": f"tiketi-{aws_stack.stack}-default-unused"}}
    rules = aws_stack.all(INGRESS) + aws_stack.all(EGRESS)
    assert not any(r.inputs.get("securityGroupId") == default.id for r in rules)
    assert "ingress" not in default.inputs and "egress" not in default.inputs
    # ...and nothing this program builds is put in it.
    for resource in aws_stack.registrations:
        for key in ("securityGroups", "securityGroupIds", "vpcSecurityGroupIds"):
            attached = resource.inputs.get(key) or (resource.inputs.get("vpcConfig") or {}).get(key) or []
            assert default.id not in attached, resource.name
