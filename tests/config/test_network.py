"""components/config/network.py: aws:region, aws:defaultTags and tiketi:network."""

from __future__ import annotations

import ipaddress
import json

import pytest

from tests.support.config import NETWORK, TAGS, aws_config, parse, parse_aws, problem_with, problems_of


def test_prod_network_is_three_zones_with_a_nat_per_zone():
    config = parse("prod")
    assert config.aws.region == "ap-northeast-2"
    assert config.aws.default_tags == {"Project": "Tiketi", "Environment": "prod", "ManagedBy": "Pulumi"}
    assert config.network.vpc_cidr == ipaddress.IPv4Network("10.0.0.0/16")
    assert config.network.availability_zones == ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
    assert (config.network.nat_gateways, config.network.flow_logs_retention_days) == ("perAz", 90)


def test_staging_network_is_two_zones_with_a_single_nat():
    config = parse("staging")
    assert config.aws.default_tags["Environment"] == "staging"
    assert config.network.vpc_cidr == ipaddress.IPv4Network("10.1.0.0/16")
    assert config.network.availability_zones == ["ap-northeast-2a", "ap-northeast-2c"]
    assert (config.network.nat_gateways, config.network.flow_logs_retention_days) == ("single", 30)


def test_defaults_apply_when_optional_network_keys_are_omitted():
    config = parse_aws()
    assert (config.network.nat_gateways, config.network.flow_logs_retention_days) == ("perAz", 90)


def test_region_must_look_like_a_region():  # AwsSettings._region_shape
    [problem] = problems_of(aws_config(**{"aws:region": "seoul"}))
    assert problem == 'aws:region: "seoul" is not an AWS region name; expected e.g. ap-northeast-2'


def test_missing_nested_key_is_named_with_its_path():
    assert problems_of(aws_config(network={"availabilityZones": NETWORK["availabilityZones"]})) == [
        "tiketi:network.vpcCidr: is required"]


def test_zones_given_as_a_string_instead_of_a_list():
    problem = problem_with("network", availabilityZones="ap-northeast-2a")
    assert problem.startswith('tiketi:network.availabilityZones: "ap-northeast-2a" is invalid')
    assert "list" in problem


def test_retention_that_is_not_a_number():
    assert problem_with("network", flowLogsRetentionDays="forever").startswith(
        'tiketi:network.flowLogsRetentionDays: "forever" is invalid')


def test_unparseable_cidr():
    assert problem_with("network", vpcCidr="10.0.0/16").startswith('tiketi:network.vpcCidr: "10.0.0/16" is invalid')


def test_unknown_nat_mode_lists_the_allowed_ones():
    assert problem_with("network", natGateways="double") == (
        'tiketi:network.natGateways: "double" is not allowed; expected "perAz" or "single"')
    assert problem_with("network", natGateways="perAZ") == (
        'tiketi:network.natGateways: "perAZ" is not allowed; expected "perAz" or "single" (did you mean perAz?)')


@pytest.mark.parametrize("zones", [["ap-northeast-2a"], ["ap-northeast-2a", "ap-northeast-2b",
                                                         "ap-northeast-2c", "ap-northeast-2d"]])
def test_zone_count_must_be_two_or_three(zones):
    assert problem_with("network", availabilityZones=zones).startswith(
        f"tiketi:network.availabilityZones: {json.dumps(zones)} is invalid")


def test_duplicate_zones_are_refused():  # NetworkSettings._unique_zones
    assert problem_with("network", availabilityZones=["ap-northeast-2a", "ap-northeast-2a"]) == (
        'tiketi:network.availabilityZones: ["ap-northeast-2a", "ap-northeast-2a"] must name distinct '
        "availability zones")


@pytest.mark.parametrize("cidr", ["10.0.0.0/24", "10.0.0.0/8", "54.180.0.0/16"])
def test_vpc_cidr_must_be_a_private_slash_16(cidr):  # NetworkSettings._private_slash_16
    assert problem_with("network", vpcCidr=cidr) == (
        f'tiketi:network.vpcCidr: "{cidr}" is not allowed; expected a private (RFC 1918) /16 such as 10.0.0.0/16')


def test_several_problems_are_reported_together():
    network = {"vpcCidr": "10.0.0.0/24", "availabilityZones": ["ap-northeast-2a"], "natGateways": "double"}
    assert [p.split(":")[1] for p in problems_of(aws_config(network=network))] == [
        "network.vpcCidr", "network.availabilityZones", "network.natGateways"]


def test_default_tags_must_name_this_stack():
    raw = aws_config(**{"aws:defaultTags": {"tags": {**TAGS, "Environment": "staging"}}})
    assert problems_of(raw, "prod") == [
        'aws:defaultTags.tags.Environment: "staging" must be "prod" so every AWS resource carries the required tags']


def test_a_default_tag_of_the_wrong_type_is_named_by_its_full_key():
    raw = aws_config(**{"aws:defaultTags": {"tags": {**TAGS, "CostCenter": {"team": 1}}}})
    assert problems_of(raw) == [
        'aws:defaultTags.tags.CostCenter: {"team": 1} is invalid: input should be a valid string']
