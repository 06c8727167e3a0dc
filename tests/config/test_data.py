"""components/config/data.py: tiketi:database and tiketi:cache."""

from __future__ import annotations

import pytest

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


def test_data_tier_defaults_are_the_secure_ones():
    config = parse_aws()
    db, cache = config.database, config.cache
    assert (db.multi_az, db.deletion_protection, db.final_snapshot, db.proxy) == (True, True, True, True)
    assert (cache.transit_encryption, cache.auth_token, cache.multi_az, cache.nodes) == (True, True, True, 2)
    assert config.secrets.recovery_window_days == 7 and config.alerts.emails == []


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
