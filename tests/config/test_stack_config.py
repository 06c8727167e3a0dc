"""Stack config: the committed stack files parse, and every class of bad config is refused
with a message that names the key, the bad value and what is allowed."""

from __future__ import annotations

import ipaddress
import json

import pytest

from components.config import ConfigError, StackConfig, parse_stack_config
from tools.harness.mock_engine import ProgramError, load_stack_config_file, run_program

TAGS = {"Project": "Tiketi", "Environment": "prod", "ManagedBy": "Pulumi"}
NETWORK = {"vpcCidr": "10.0.0.0/16", "availabilityZones": ["ap-northeast-2a", "ap-northeast-2b"]}
DATABASE = {"instanceClass": "db.t4g.medium"}
CACHE = {"nodeType": "cache.t4g.small"}
WORKER = {"reservedConcurrency": 10}
CLUSTER: dict = {}
WORKLOADS = {"namespace": "tiketi-prod", "imageTag": "1.0.0"}
KIND = {"tiketi:platform": "kind", "tiketi:workloads": json.dumps({"namespace": "tiketi-spring"})}
EDGE = {"cloudfront": False, "useCloudfrontPrefixList": False, "waf": False, "fallbackCidrs": ["203.0.113.0/24"]}


def aws_config(network: dict | None = None, **extra: object) -> dict[str, str]:
    raw = {
        "tiketi:platform": "aws",
        "aws:region": "ap-northeast-2",
        "aws:defaultTags": json.dumps({"tags": TAGS}),
        "tiketi:network": json.dumps(NETWORK if network is None else network),
        "tiketi:database": json.dumps(DATABASE),
        "tiketi:cache": json.dumps(CACHE),
        "tiketi:worker": json.dumps(WORKER),
        "tiketi:edge": json.dumps(EDGE),
        "tiketi:cluster": json.dumps(CLUSTER),
        "tiketi:workloads": json.dumps(WORKLOADS),
    }
    raw.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in extra.items()})
    return {k: v for k, v in raw.items() if v != "null"}


def problems_of(raw: dict, stack: str = "prod") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("tiketi", stack, raw)
    return caught.value.problems


def parse(stack: str) -> StackConfig:
    raw, _ = load_stack_config_file(stack)
    return parse_stack_config("tiketi", stack, raw)


# --- the committed stack files ------------------------------------------------------------


def test_local_stack_targets_kind_with_the_default_context():
    config = parse("local")
    assert config.platform == "kind" and not config.is_aws
    assert config.kubernetes.context == "kind-tiketi"
    assert config.aws is None and config.network is None


def test_prod_stack_network_is_three_zones_with_a_nat_per_zone():
    config = parse("prod")
    assert config.aws.region == "ap-northeast-2"
    assert config.aws.default_tags == {"Project": "Tiketi", "Environment": "prod", "ManagedBy": "Pulumi"}
    assert config.network.vpc_cidr == ipaddress.IPv4Network("10.0.0.0/16")
    assert config.network.availability_zones == ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
    assert config.network.nat_gateways == "perAz"
    assert config.network.flow_logs_retention_days == 90


def test_staging_stack_network_is_two_zones_with_a_single_nat():
    config = parse("staging")
    assert config.aws.default_tags["Environment"] == "staging"
    assert config.network.vpc_cidr == ipaddress.IPv4Network("10.1.0.0/16")
    assert config.network.availability_zones == ["ap-northeast-2a", "ap-northeast-2c"]
    assert config.network.nat_gateways == "single"


def test_defaults_apply_when_optional_network_keys_are_omitted():
    config = parse_stack_config("tiketi", "prod", aws_config())
    assert config.network.nat_gateways == "perAz"
    assert config.network.flow_logs_retention_days == 90


# --- missing keys ---------------------------------------------------------------------------


def test_missing_platform_names_the_key_and_the_allowed_values():
    assert problems_of({}) == ['tiketi:platform: is required; expected "kind" (local) or "aws"']


def test_missing_region_and_network_on_an_aws_stack_are_both_reported():
    raw = aws_config(**{"aws:region": "null", "tiketi:network": "null"})
    assert problems_of(raw) == [
        "tiketi:network: is required when tiketi:platform is aws",
        "aws:region: is required when tiketi:platform is aws",
    ]


def test_sections_with_per_environment_sizes_are_required_on_aws():
    raw = aws_config(**{"tiketi:database": "null", "tiketi:cache": "null"})
    assert problems_of(raw) == [
        "tiketi:database: is required when tiketi:platform is aws",
        "tiketi:cache: is required when tiketi:platform is aws",
    ]


def test_missing_nested_key_is_named_with_its_path():
    assert problems_of(aws_config(network={"availabilityZones": NETWORK["availabilityZones"]})) == [
        "tiketi:network.vpcCidr: is required"
    ]


# --- wrong types ----------------------------------------------------------------------------


def test_zones_given_as_a_string_instead_of_a_list():
    [problem] = problems_of(aws_config(network={**NETWORK, "availabilityZones": "ap-northeast-2a"}))
    assert problem.startswith('tiketi:network.availabilityZones: "ap-northeast-2a" is invalid')
    assert "list" in problem


def test_retention_that_is_not_a_number():
    [problem] = problems_of(aws_config(network={**NETWORK, "flowLogsRetentionDays": "forever"}))
    assert problem.startswith('tiketi:network.flowLogsRetentionDays: "forever" is invalid')


def test_unparseable_cidr():
    [problem] = problems_of(aws_config(network={**NETWORK, "vpcCidr": "10.0.0/16"}))
    assert problem.startswith('tiketi:network.vpcCidr: "10.0.0/16" is invalid')


# --- unknown values -------------------------------------------------------------------------


def test_unknown_platform_lists_the_allowed_ones():
    assert problems_of({"tiketi:platform": "gke", "tiketi:workloads": '{"namespace": "x"}'}) == [
        'tiketi:platform: "gke" is not allowed; expected "kind" or "aws"'
    ]


def test_unknown_nat_mode_lists_the_allowed_ones():
    assert problems_of(aws_config(network={**NETWORK, "natGateways": "double"})) == [
        'tiketi:network.natGateways: "double" is not allowed; expected "perAz" or "single"'
    ]


def test_retention_must_be_one_cloudwatch_accepts():
    [problem] = problems_of(aws_config(network={**NETWORK, "flowLogsRetentionDays": 8}))
    assert problem.startswith("tiketi:network.flowLogsRetentionDays: 8 is not a CloudWatch Logs retention period")
    assert "1, 3, 5, 7, 14, 30, 60, 90" in problem


def test_region_must_look_like_a_region():
    [problem] = problems_of(aws_config(**{"aws:region": "seoul"}))
    assert problem.startswith('aws:region: "seoul" is not an AWS region name')


# --- unknown keys ---------------------------------------------------------------------------


def test_misspelt_top_level_key_is_refused_with_the_allowed_keys():
    raw = {**KIND, "tiketi:netwrok": "{}"}
    assert problems_of(raw, "local") == [
        "tiketi:netwrok: unknown key; allowed keys are tiketi:platform, tiketi:network, tiketi:secrets, "
        "tiketi:database, tiketi:cache, tiketi:alerts, tiketi:queue, tiketi:worker, tiketi:edge, "
        "tiketi:cluster, tiketi:workloads, tiketi:kubernetes"
    ]


def test_misspelt_nested_key_is_refused():
    assert problems_of(aws_config(network={**NETWORK, "natGateway": "single"})) == [
        'tiketi:network.natGateway: unknown key ("single"); check the spelling'
    ]


# --- impossible combinations ----------------------------------------------------------------


def test_network_on_the_kind_platform_is_refused():
    raw = {**KIND, "tiketi:network": json.dumps(NETWORK)}
    assert problems_of(raw, "local") == ["tiketi:network: is only for tiketi:platform aws, not kind; remove it"]


def test_kind_settings_on_an_aws_stack_are_refused():
    raw = aws_config(**{"tiketi:kubernetes": {"context": "kind-tiketi"}})
    assert problems_of(raw) == ["tiketi:kubernetes: is only for tiketi:platform kind, not aws; remove it"]


def test_zone_outside_the_region_is_refused():
    network = {**NETWORK, "availabilityZones": ["ap-northeast-2a", "us-east-1a"]}
    assert problems_of(aws_config(network=network)) == [
        'tiketi:network.availabilityZones[1]: "us-east-1a" is not an availability zone of aws:region '
        "ap-northeast-2 (expected ap-northeast-2a, ap-northeast-2b, ...)"
    ]


@pytest.mark.parametrize("zones", [["ap-northeast-2a"], ["ap-northeast-2a", "ap-northeast-2b",
                                                         "ap-northeast-2c", "ap-northeast-2d"]])
def test_zone_count_must_be_two_or_three(zones):
    [problem] = problems_of(aws_config(network={**NETWORK, "availabilityZones": zones}))
    assert problem.startswith(f"tiketi:network.availabilityZones: {json.dumps(zones)} is invalid")


def test_duplicate_zones_are_refused():
    network = {**NETWORK, "availabilityZones": ["ap-northeast-2a", "ap-northeast-2a"]}
    assert problems_of(aws_config(network=network)) == [
        'tiketi:network.availabilityZones: ["ap-northeast-2a", "ap-northeast-2a"] must name distinct availability zones'
    ]


@pytest.mark.parametrize("cidr", ["10.0.0.0/24", "10.0.0.0/8", "54.180.0.0/16"])
def test_vpc_cidr_must_be_a_private_slash_16(cidr):
    assert problems_of(aws_config(network={**NETWORK, "vpcCidr": cidr})) == [
        f'tiketi:network.vpcCidr: "{cidr}" is not allowed; expected a private (RFC 1918) /16 such as 10.0.0.0/16'
    ]


def test_default_tags_must_name_this_stack():
    raw = aws_config(**{"aws:defaultTags": {"tags": {**TAGS, "Environment": "staging"}}})
    assert problems_of(raw, "prod") == [
        'aws:defaultTags.tags.Environment: "staging" must be "prod" so every AWS resource carries the required tags'
    ]


def test_missing_default_tags_are_refused_on_aws_stacks():
    [problem] = problems_of(aws_config(**{"aws:defaultTags": "null"}))
    assert problem.startswith("aws:defaultTags: (not set) must be an object with a tags map")


def test_several_problems_are_reported_together():
    network = {"vpcCidr": "10.0.0.0/24", "availabilityZones": ["ap-northeast-2a"], "natGateways": "double"}
    problems = problems_of(aws_config(network=network))
    assert [p.split(":")[1] for p in problems] == [
        "network.vpcCidr", "network.availabilityZones", "network.natGateways",
    ]


# --- bad config stops the program before anything is registered ---------------------------


def test_bad_config_fails_the_program_before_any_resource_is_registered():
    bad_network = json.dumps({**NETWORK, "natGateways": "double"})
    with pytest.raises(ProgramError) as caught:
        run_program("prod", config_overrides={"tiketi:network": bad_network})
    assert 'tiketi:network.natGateways: "double" is not allowed' in str(caught.value)
    assert caught.value.registrations == []


def test_kind_settings_default_to_the_kind_tiketi_context():
    config = parse_stack_config("tiketi", "local", KIND)
    assert config.kubernetes.context == "kind-tiketi"
