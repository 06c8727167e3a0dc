"""components/config/stack.py: the committed stack files, the sections per platform, and no repeated default."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from components.config import ConfigError, parse_stack_config
from components.config.errors import HIDDEN
from components.config.schema import repeated_defaults
from components.config.stack import SECTIONS
from tests.support.config import KIND, WORKLOADS, aws_config, parse, parse_aws, problems_of
from tools.harness.mock_engine import ProgramError, available_stacks, load_stack_config_file, run_program
from tools.ops.config_reference import section_model

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("local", "staging", "prod")


def test_every_stack_file_is_tested():
    assert tuple(sorted(available_stacks())) == tuple(sorted(STACKS))


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_files_parse(stack):
    config = parse(stack)
    assert (config.project, config.stack, config.secret_keys) == ("tiketi", stack, frozenset())


def test_local_stack_targets_kind_with_the_default_context():
    config = parse("local")
    assert config.platform == "kind" and not config.is_aws
    assert config.kubernetes.context == "kind-tiketi"
    assert config.aws is None and config.network is None and config.database is None


def test_name_prefix_is_project_and_stack():
    assert parse("staging").name_prefix == "tiketi-staging"


# --- defaults in one place ----------------------------------------------------------------------


def stack_repeats(document: dict) -> list[str]:
    """``Pulumi.<stack>.yaml: tiketi:<section>.<key>`` for every key set to its default."""
    found = []
    for full_key, value in (document.get("config") or {}).items():
        namespace, _, section = full_key.partition(":")
        if namespace == "tiketi" and section in SECTIONS and isinstance(value, dict):
            found += [f"{full_key}.{key}" for key in repeated_defaults(section_model(section), value)]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_no_stack_file_repeats_a_default(stack):
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    assert stack_repeats(document) == [], (
        "these keys repeat the default in components/config/; delete them so a changed default reaches the stack")


def test_a_repeated_default_is_caught_at_any_depth_and_in_any_spelling():
    document = yaml.safe_load(textwrap.dedent("""
        config:
          tiketi:network:
            vpcCidr: 10.0.0.0/16
            natGateways: perAz
            flowLogsRetentionDays: 30
          tiketi:database:
            instanceClass: db.r6g.large
            engineVersion: "16"
            alarms:
              cpuPercent: 80.0
              connections: 500
          tiketi:alerts:
            emails: []
          tiketi:edge:
            fallbackCidrs: []
            albCertificateArn: null
    """))
    assert stack_repeats(document) == [
        "tiketi:network.natGateways", "tiketi:database.engineVersion", "tiketi:database.alarms.cpuPercent",
        "tiketi:alerts.emails", "tiketi:edge.fallbackCidrs", "tiketi:edge.albCertificateArn"]


def test_prod_sets_only_what_differs_from_the_defaults():
    raw, _ = load_stack_config_file("prod")
    assert sorted(json.loads(raw["tiketi:database"])) == [
        "allocatedStorageGb", "backupRetentionDays", "instanceClass", "logRetentionDays", "maxAllocatedStorageGb"]
    assert "tiketi:secrets" not in raw and "tiketi:queue" not in raw and "tiketi:protection" not in raw
    assert json.loads(raw["tiketi:alerts"]) == {"emails": ["oncall@tiketi.example.com"]}  # no default for who is paged


# --- sections per platform ----------------------------------------------------------------------


def test_missing_platform_names_the_key_and_the_allowed_values():
    assert problems_of({}) == ['tiketi:platform: is required; expected "kind" (local) or "aws"']


def test_unknown_platform_lists_the_allowed_ones():
    assert problems_of({"tiketi:platform": "gke", "tiketi:workloads": '{"namespace": "x"}'}) == [
        'tiketi:platform: "gke" is not allowed; expected "kind" or "aws"']


def test_missing_region_and_network_on_an_aws_stack_are_both_reported():
    assert problems_of(aws_config(**{"aws:region": "null", "tiketi:network": "null"})) == [
        "tiketi:network: is required when tiketi:platform is aws",
        "aws:region: is required when tiketi:platform is aws"]


def test_sections_with_per_environment_values_are_required_on_aws():
    assert problems_of(aws_config(**{"tiketi:database": "null", "tiketi:cache": "null"})) == [
        "tiketi:database: is required when tiketi:platform is aws",
        "tiketi:cache: is required when tiketi:platform is aws"]


def test_optional_sections_take_every_default():
    # Every optional section left out (alerts only says nobody is paged, its one required decision).
    config = parse_aws(**{"tiketi:alerts": {"requireSubscribers": False}})
    assert (config.secrets.recovery_window_days, config.alerts.emails, config.queue.max_receive_count) == (7, [], 5)
    assert config.protection.stateful is True


def test_network_on_the_kind_platform_is_refused():
    assert problems_of({**KIND, "tiketi:network": "{}"}, "local") == [
        "tiketi:network: is only for tiketi:platform aws, not kind; remove it"]


def test_missing_default_tags_are_refused_on_aws_stacks():
    [problem] = problems_of(aws_config(**{"aws:defaultTags": "null"}))
    assert problem == ("aws:defaultTags: (not set) must be an object with a tags map (Project, Environment, "
                       "ManagedBy) when tiketi:platform is aws")


def test_the_project_must_be_this_one():
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("shop", "prod", aws_config())
    assert caught.value.problems == ['project: "shop" is not this program; expected "tiketi"']


@pytest.mark.parametrize("zones,bad", [(["ap-northeast-2a", "us-east-1a"], 1),
                                       (["ap-northeast-2", "ap-northeast-2b"], 0)])
def test_zone_outside_the_region_is_refused(zones, bad):  # StackConfig._zones_in_region
    network = {"vpcCidr": "10.0.0.0/16", "availabilityZones": zones}
    assert problems_of(aws_config(network=network)) == [
        f'tiketi:network.availabilityZones[{bad}]: "{zones[bad]}" is not an availability zone of aws:region '
        "ap-northeast-2 (expected ap-northeast-2a, ap-northeast-2b, ...)"]


# --- through the engine -------------------------------------------------------------------------


def test_bad_config_fails_the_program_before_any_resource_is_registered():
    raw, _ = load_stack_config_file("prod")
    bad_network = json.dumps({**json.loads(raw["tiketi:network"]), "natGateways": "double"})
    with pytest.raises(ProgramError) as caught:
        run_program("prod", config_overrides={"tiketi:network": bad_network})
    assert 'tiketi:network.natGateways: "double" is not allowed' in str(caught.value)
    assert caught.value.registrations == []


def test_a_nested_secure_value_keeps_its_key_secret_through_the_engine(tmp_path, monkeypatch):
    """`secure:` two levels down marks tiketi:alerts secret (as the CLI does); the program sees
    the key as secret, so its error never shows the value."""
    text = (ROOT / "Pulumi.staging.yaml").read_text() + (
        "  tiketi:alerts:\n"
        "    emails:\n"
        "      - secure: AAABAHhZ3ciphertext\n")
    (tmp_path / "Pulumi.staging.yaml").write_text(text)
    raw, secret_keys = load_stack_config_file("staging", root=tmp_path)
    assert secret_keys == {"tiketi:alerts"}
    assert json.loads(raw["tiketi:alerts"]) == {"emails": ["offline-placeholder-for-tiketi:alerts.emails[0]"]}
    monkeypatch.setattr("tools.harness.mock_engine.load_stack_config_file",
                        lambda stack, root=tmp_path: (raw, secret_keys))
    with pytest.raises(ProgramError) as caught:
        run_program("staging")
    assert str(caught.value) == ("invalid stack config:\n  tiketi:alerts.emails: " + HIDDEN
                                 + " has entry [0], which is not an email address")
    assert caught.value.registrations == []


# --- tiketi:kafka against the stack's zones and its external-cluster switch -------------------------

THREE_ZONES = {"vpcCidr": "10.0.0.0/16", "availabilityZones": ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]}


def test_kafka_brokers_must_be_a_multiple_of_the_zones():  # StackConfig._kafka_fits_the_zones
    assert problems_of(aws_config(THREE_ZONES, **{"tiketi:kafka": {"brokers": 4}})) == [
        "tiketi:kafka.brokers: 4 is not a multiple of the 3 availability zones in tiketi:network.availabilityZones; "
        "MSK places the same number of brokers in each zone"]
    assert parse_aws(**{"tiketi:network": THREE_ZONES, "tiketi:kafka": {"brokers": 6}}).kafka.sizing(3) == (6, 3, 2)


def test_kafka_replication_must_fit_the_brokers_and_leave_room_for_a_restart():
    assert problems_of(aws_config(**{"tiketi:kafka": {"replicationFactor": 3}})) == [
        "tiketi:kafka.replicationFactor: 3 is above the broker count (2): each replica needs its own broker"]
    assert problems_of(aws_config(THREE_ZONES, **{"tiketi:kafka": {"minInsyncReplicas": 3}})) == [
        "tiketi:kafka.minInsyncReplicas: 3 must be below replicationFactor (3) so producers keep writing while MSK "
        "restarts one broker"]


def test_an_external_kafka_cluster_and_an_msk_section_together_are_refused():
    raw = aws_config(**{"tiketi:kafka": {"brokers": 2},
                        "tiketi:workloads": {"namespace": "tiketi-prod", "imageTag": "1.0.0",
                                             "kafkaBootstrapServers": "b-1.example.com:9096"}})
    assert problems_of(raw) == [
        'tiketi:kafka: ["brokers"] is set, but tiketi:workloads.kafkaBootstrapServers points the services at an '
        "external cluster and no MSK cluster is built; remove one of them"]


def test_the_bootstrap_namespace_must_fit_a_dns_label_on_aws():  # StackConfig._bootstrap_namespace_fits
    longest = "t" * 50
    assert parse_aws(**{"tiketi:workloads": {**WORKLOADS, "namespace": longest}}).workloads.namespace == longest
    assert problems_of(aws_config(**{"tiketi:workloads": {**WORKLOADS, "namespace": longest + "x"}})) == [
        f'tiketi:workloads.namespace: "{longest}x" is too long on AWS: the database bootstrap\'s namespace '
        "<namespace>-db-bootstrap must fit in 63 characters, so at most 50"]
    # kind has no bootstrap: any DNS label will do.
    assert parse_stack_config("tiketi", "local", {**KIND, "tiketi:workloads": '{"namespace": "%s"}' % ("k" * 63)})
