"""components/config/data.py: tiketi:database, tiketi:cache and tiketi:kafka."""

from __future__ import annotations

import pytest

from components.config.data import MSK_KAFKA_VERSIONS
from tests.support.config import CACHE, DATABASE, KIND, parse, parse_aws, problem_with, problems_of


def test_prod_data_tier_config():
    config = parse("prod")
    assert config.database.engine_version == "16" and config.database.parameter_group_family == "postgres16"
    assert config.database.instance_class == "db.r6g.large"
    assert (config.database.multi_az, config.database.deletion_protection, config.database.final_snapshot) == (
        True, True, True)
    assert config.database.proxy is True and config.database.backup_retention_days == 14
    assert (config.cache.engine, config.cache.engine_version, config.cache.nodes) == ("redis", "7.1", 2)
    assert config.cache.parameter_group_family == "redis7" and config.cache.failover is True
    assert config.secrets.recovery_window_days == 7


def test_staging_runs_smaller_with_a_proxy_and_without_failover():
    config = parse("staging")
    assert config.database.instance_class == "db.t4g.medium"
    assert config.database.proxy is True and config.database.multi_az is False  # the proxy as in prod
    assert config.database.deletion_protection is False
    assert config.cache.nodes == 1 and config.cache.failover is False and config.cache.multi_az is False
    assert (config.database.final_snapshot, config.cache.final_snapshot) == (False, False)


def test_data_tier_defaults_are_the_secure_ones():
    config = parse_aws()
    db, cache = config.database, config.cache
    assert (db.multi_az, db.deletion_protection, db.final_snapshot, db.proxy) == (True, True, True, True)
    assert (db.apply_immediately, db.allow_major_version_upgrade) == (False, False)
    assert (cache.transit_encryption, cache.auth_token, cache.multi_az, cache.nodes) == (True, True, True, 2)
    assert cache.final_snapshot is True
    assert config.secrets.recovery_window_days == 7


def test_unknown_postgres_version_family():  # DatabaseSettings._known_family
    assert problem_with("database", engineVersion="13.7") == (
        'tiketi:database.engineVersion: "13.7" has no known parameter group family; expected a '
        "version of postgres15, postgres16, postgres17 (e.g. 16)")


def test_unquoted_postgres_version_is_a_yaml_number_trap():
    assert problem_with("database", engineVersion=16.1).startswith(
        "tiketi:database.engineVersion: 16.1 is a YAML number, not a version string")


def test_unknown_instance_family_names_the_allowed_families():  # DatabaseSettings._allowed_class
    assert problem_with("database", instanceClass="db.t9.huge") == (
        'tiketi:database.instanceClass: "db.t9.huge" is not an allowed RDS for PostgreSQL instance class; expected '
        "db.<family>.<size> with family one of t4g, t3, m6g, m7g, m6i, m7i, r6g, r7g, r6i, r7i")


def test_an_instance_class_that_does_not_exist_is_refused():
    # m6g is a real family, but Graviton classes start at large: db.m6g.micro does not exist.
    assert problem_with("database", instanceClass="db.m6g.micro") == (
        'tiketi:database.instanceClass: "db.m6g.micro" is not an allowed RDS for PostgreSQL instance class; '
        "db.m6g comes in large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge")
    assert problem_with("database", instanceClass="db.r6g.lage").endswith("(did you mean db.r6g.large?)")


def test_storage_autoscaling_ceiling_below_the_allocation():  # DatabaseSettings._storage_can_grow
    assert problem_with("database", allocatedStorageGb=100, maxAllocatedStorageGb=50) == (
        "tiketi:database.maxAllocatedStorageGb: 50 is below allocatedStorageGb (100); storage autoscaling "
        "needs max >= allocated")


@pytest.mark.parametrize("name", ["postgres", "Admin", "1abc"])
def test_reserved_or_invalid_master_username(name):  # DatabaseSettings._username
    assert problem_with("database", masterUsername=name) == (
        f'tiketi:database.masterUsername: "{name}" is not allowed; expected a lower-case identifier that is not a '
        "reserved name")


def test_alarm_threshold_bounds():
    assert problem_with("database", alarms={"cpuPercent": 150}).startswith(
        "tiketi:database.alarms.cpuPercent: 150 is invalid: input should be less than or equal to 100")


def test_multi_az_cache_with_one_node_is_a_clear_error():  # CacheSettings._consistent
    assert problem_with("cache", nodes=1, multiAz=True) == (
        "tiketi:cache.multiAz: true needs at least 2 nodes (tiketi:cache.nodes is 1): a replica to fail over to")


def test_auth_token_without_transit_encryption_is_a_clear_error():  # CacheSettings._consistent
    assert problem_with("cache", transitEncryption=False) == (
        "tiketi:cache.authToken: true needs tiketi:cache.transitEncryption: ElastiCache accepts an AUTH token "
        "only with in-transit encryption")


def test_auth_token_update_strategy_defaults_to_rotate_and_allows_set():
    assert parse_aws().cache.auth_token_update_strategy == "ROTATE"
    assert parse_aws(**{"tiketi:cache": {**CACHE, "authTokenUpdateStrategy": "SET"}}).cache.auth_token_update_strategy \
        == "SET"


def test_auth_token_update_strategy_refuses_delete():
    # DELETE is ElastiCache's move to RBAC, not a rotation step.
    assert problem_with("cache", authTokenUpdateStrategy="DELETE") == (
        'tiketi:cache.authTokenUpdateStrategy: "DELETE" is not allowed; expected "ROTATE" or "SET"')


def test_set_without_an_auth_token_is_a_clear_error():  # CacheSettings._consistent
    assert problem_with("cache", authToken=False, authTokenUpdateStrategy="SET") == (
        'tiketi:cache.authTokenUpdateStrategy: "SET" needs tiketi:cache.authToken: without a token there is nothing '
        "to set; expected ROTATE (the default)")


def test_unknown_cache_engine_version_family():  # CacheSettings._consistent
    valkey = parse_aws(**{"tiketi:cache": {**CACHE, "engine": "valkey", "engineVersion": "8.0"}})
    assert valkey.cache.parameter_group_family == "valkey8"
    assert problem_with("cache", engine="redis", engineVersion="5.0.6") == (
        'tiketi:cache.engineVersion: "5.0.6" has no known redis parameter group family; expected major version '
        "6 or 7")


def test_unquoted_cache_version_is_a_yaml_number_trap():
    # `engineVersion: 7.10` arrives as 7.1: refused, with the fix.
    assert problem_with("cache", engineVersion=7.1) == (
        "tiketi:cache.engineVersion: 7.1 is a YAML number, not a version string: YAML reads an unquoted 1.30 as "
        '1.3 and 7.10 as 7.1; put the version in quotes as you mean it, e.g. "1.30"')


def test_unknown_cache_engine():
    assert problem_with("cache", engine="memcached") == (
        'tiketi:cache.engine: "memcached" is not allowed; expected "redis" or "valkey"')


def test_cache_node_type_allow_list():  # CacheSettings._allowed_node
    assert problem_with("cache", nodeType="cache.x99.mega").startswith(
        'tiketi:cache.nodeType: "cache.x99.mega" is not an allowed ElastiCache node type; expected '
        "cache.<family>.<size> with family one of t4g, t3, m6g, m7g, r6g, r7g")
    # Burstable cache nodes stop at medium.
    assert problem_with("cache", nodeType="cache.t4g.large") == (
        'tiketi:cache.nodeType: "cache.t4g.large" is not an allowed ElastiCache node type; cache.t4g comes in '
        "micro, small, medium")


def test_data_sections_are_refused_on_the_kind_platform():
    raw = {**KIND, "tiketi:database": '{"instanceClass": "db.t4g.micro"}'}
    assert problems_of(raw, "local") == ["tiketi:database: is only for tiketi:platform aws, not kind; remove it"]


def test_the_minimal_sections_parse():
    config = parse_aws(**{"tiketi:database": DATABASE})
    assert config.database.instance_class == "db.t4g.medium"


# --- tiketi:kafka (Amazon MSK) -------------------------------------------------------------------

THREE_ZONES = {"vpcCidr": "10.0.0.0/16", "availabilityZones": ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]}


def test_committed_kafka_config():
    prod, staging = parse("prod").kafka, parse("staging").kafka
    assert (prod.version, prod.instance_type, prod.sizing(3)) == ("3.8.x.kraft", "kafka.m7g.large", (3, 3, 2))
    assert (prod.enhanced_monitoring, prod.deletion_protection, prod.retention_hours) == ("PER_BROKER", True, 168)
    assert (staging.instance_type, staging.sizing(2)) == ("kafka.m7g.large", (2, 2, 1))
    assert (staging.enhanced_monitoring, staging.deletion_protection, staging.retention_hours) == (
        "DEFAULT", False, 72)
    assert (staging.volume_gb, staging.max_volume_gb) == (20, 100)


def test_kafka_defaults_follow_the_zones_and_are_the_safe_ones():
    kafka = parse_aws().kafka  # no tiketi:kafka section
    assert kafka.sizing(2) == (2, 2, 1) and kafka.sizing(3) == (3, 3, 2)
    assert (kafka.version, kafka.instance_type, kafka.volume_gb, kafka.max_volume_gb) == (
        "3.8.x.kraft", "kafka.m7g.large", 100, 1000)
    assert (kafka.deletion_protection, kafka.scram_users, kafka.client_user) == (True, ["services"], "services")
    assert kafka.alarms.disk_used_percent == 85 and kafka.storage_target_percent == 60


def test_kafka_versions_are_kraft_versions_msk_offers():
    assert MSK_KAFKA_VERSIONS == ("3.7.x.kraft", "3.8.x.kraft", "3.9.x.kraft", "4.0.x.kraft", "4.1.x.kraft")


@pytest.mark.parametrize("version", ["3.8.x", "3.6.0", "2.8.1", "3.8.0.kraft"])
def test_only_kraft_versions_msk_offers(version):  # KafkaSettings._known_version
    problem = problem_with("kafka", version=version)
    assert problem.startswith(f'tiketi:kafka.version: "{version}" is not an MSK KRaft version this program creates; '
                              f"expected one of {', '.join(MSK_KAFKA_VERSIONS)}")


def test_kafka_brokers_are_msk_standard_sizes():  # KafkaSettings._standard_broker
    assert problem_with("kafka", instanceType="kafka.m7g.24xlarge") == (
        'tiketi:kafka.instanceType: "kafka.m7g.24xlarge" is not an allowed Amazon MSK broker size; kafka.m7g comes '
        "in large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge (did you mean kafka.m7g.4xlarge?)")
    assert problem_with("kafka", instanceType="m7g.large").startswith(
        'tiketi:kafka.instanceType: "m7g.large" is not an allowed Amazon MSK broker size; expected')
    assert problem_with("kafka", instanceType="express.m7g.large") == (
        'tiketi:kafka.instanceType: "express.m7g.large" is an Express broker size; this program runs Standard '
        "brokers (kafka.<family>.<size>)")
    assert parse_aws(**{"tiketi:kafka": {"instanceType": "kafka.t3.small"}}).kafka.instance_type == "kafka.t3.small"


def test_kafka_scram_users_are_distinct_names():  # KafkaSettings._users
    assert problem_with("kafka", scramUsers=["services", "services"]).startswith(
        'tiketi:kafka.scramUsers: ["services", "services"] must be distinct lower-case names')
    assert problem_with("kafka", scramUsers=["Services"]).startswith("tiketi:kafka.scramUsers: ")


def test_kafka_storage_and_client_user_are_consistent():  # KafkaSettings._consistent
    assert problem_with("kafka", volumeGb=500, maxVolumeGb=200) == (
        "tiketi:kafka.maxVolumeGb: 200 is below volumeGb (500); storage autoscaling only grows")
    assert problem_with("kafka", clientUser="app") == (
        'tiketi:kafka.clientUser: "app" is not one of scramUsers (services)')


def test_kafka_monitoring_level_is_one_msk_knows():
    assert problem_with("kafka", enhancedMonitoring="FULL").startswith(
        'tiketi:kafka.enhancedMonitoring: "FULL" is not allowed; expected "DEFAULT"')


# --- a major PostgreSQL upgrade must not strand the old parameter group (issue 12, finding 6) ------------


def test_a_major_upgrade_without_apply_immediately_is_refused():  # DatabaseSettings._major_upgrade_applies_now
    assert problem_with("database", engineVersion="17", allowMajorVersionUpgrade=True) == (
        "tiketi:database.allowMajorVersionUpgrade: true needs tiketi:database.applyImmediately: true; queued for "
        "the maintenance window, the upgrade would leave the instance on the old parameter group, which Pulumi "
        "deletes in the same update (InvalidDBParameterGroupState)")


def test_a_major_upgrade_applied_immediately_is_accepted():
    database = parse_aws(**{"tiketi:database": {**DATABASE, "engineVersion": "17", "allowMajorVersionUpgrade": True,
                                                "applyImmediately": True}}).database
    assert (database.parameter_group_family, database.apply_immediately) == ("postgres17", True)


def test_max_connections_is_explicit_and_within_what_the_class_holds():  # DatabaseSettings._connections_fit
    # Unset: 90 % of RDS's own formula on the class's memory, at or under what RDS would set.
    assert parse("staging").database.effective_max_connections == 405  # db.t4g.medium, 4 GiB
    assert parse("prod").database.effective_max_connections == 1622  # db.r6g.large, 16 GiB
    assert parse_aws(**{"tiketi:database": {**DATABASE, "maxConnections": 300}}).database.effective_max_connections \
        == 300
    assert problem_with("database", maxConnections=500) == (
        "tiketi:database.maxConnections: 500 is above what db.t4g.medium (4 GiB) can hold: RDS's own formula gives at "
        "most 450; every connection costs memory")


def test_the_master_password_rotates_weekly_by_default():
    assert parse("prod").database.master_password_rotation_days == 7
    days = {"tiketi:database": {**DATABASE, "masterPasswordRotationDays": 30}}
    assert parse_aws(**days).database.master_password_rotation_days == 30
    assert problem_with("database", masterPasswordRotationDays=0).startswith(
        "tiketi:database.masterPasswordRotationDays: 0 is invalid: input should be greater than or equal to 1")



def test_kafka_replication_is_at_least_two_and_min_insync_at_least_one():
    # One replica loses data with its broker; the reference says it in words, so the bounds are tested here.
    assert problem_with("kafka", replicationFactor=1) == (
        "tiketi:kafka.replicationFactor: 1 is invalid: input should be greater than or equal to 2")
    assert problem_with("kafka", minInsyncReplicas=0) == (
        "tiketi:kafka.minInsyncReplicas: 0 is invalid: input should be greater than or equal to 1")
    assert parse_aws(**{"tiketi:kafka": {"replicationFactor": 2, "minInsyncReplicas": 1}}).kafka.sizing(2) == (2, 2, 1)
