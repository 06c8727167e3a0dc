"""Config of the data tier (tiketi:database, tiketi:cache, tiketi:secrets, tiketi:alerts)."""

from __future__ import annotations

import pytest

from components.config import parse_stack_config
from tests.config.test_stack_config import CACHE, DATABASE, KIND, aws_config, parse, problems_of


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


def test_staging_runs_smaller_without_proxy_or_failover():
    config = parse("staging")
    assert config.database.proxy is False and config.database.multi_az is False
    assert config.database.deletion_protection is False
    assert config.cache.nodes == 1 and config.cache.failover is False and config.cache.multi_az is False


def test_data_tier_defaults_are_the_secure_ones():
    config = parse_stack_config("tiketi", "prod", aws_config())
    db, cache = config.database, config.cache
    assert (db.multi_az, db.deletion_protection, db.final_snapshot, db.proxy) == (True, True, True, True)
    assert (cache.transit_encryption, cache.auth_token, cache.multi_az, cache.nodes) == (True, True, True, 2)
    assert config.secrets.recovery_window_days == 7 and config.alerts.emails == []


def test_unknown_postgres_version_family():
    [problem] = problems_of(aws_config(**{"tiketi:database": {**DATABASE, "engineVersion": "13.7"}}))
    assert problem == ('tiketi:database.engineVersion: "13.7" has no known parameter group family; expected a '
                       "version of postgres15, postgres16, postgres17 (e.g. 16)")


def test_unknown_instance_class_names_the_allowed_families():
    [problem] = problems_of(aws_config(**{"tiketi:database": {"instanceClass": "db.t9.huge"}}))
    assert problem.startswith('tiketi:database.instanceClass: "db.t9.huge" is not an allowed instance class')
    assert "t4g, t3, m6g" in problem


def test_storage_autoscaling_ceiling_below_the_allocation():
    database = {**DATABASE, "allocatedStorageGb": 100, "maxAllocatedStorageGb": 50}
    assert problems_of(aws_config(**{"tiketi:database": database})) == [
        "tiketi:database.maxAllocatedStorageGb: 50 is below allocatedStorageGb (100); storage autoscaling "
        "needs max >= allocated"
    ]


@pytest.mark.parametrize("name", ["postgres", "Admin", "1abc"])
def test_reserved_or_invalid_master_username(name):
    [problem] = problems_of(aws_config(**{"tiketi:database": {**DATABASE, "masterUsername": name}}))
    assert problem.startswith(f'tiketi:database.masterUsername: "{name}" is not allowed')


def test_multi_az_cache_with_one_node_is_a_clear_error():
    assert problems_of(aws_config(**{"tiketi:cache": {**CACHE, "nodes": 1, "multiAz": True}})) == [
        "tiketi:cache.multiAz: true needs at least 2 nodes (tiketi:cache.nodes is 1): a replica to fail over to"
    ]


def test_auth_token_without_transit_encryption_is_a_clear_error():
    assert problems_of(aws_config(**{"tiketi:cache": {**CACHE, "transitEncryption": False}})) == [
        "tiketi:cache.authToken: true needs tiketi:cache.transitEncryption: ElastiCache accepts an AUTH token "
        "only with in-transit encryption"
    ]


def test_unknown_cache_engine_version_family():
    valkey = parse_stack_config("tiketi", "prod", aws_config(**{"tiketi:cache": {**CACHE, "engine": "valkey",
                                                                               "engineVersion": "8.0"}}))
    assert valkey.cache.parameter_group_family == "valkey8"
    [problem] = problems_of(aws_config(**{"tiketi:cache": {**CACHE, "engine": "redis", "engineVersion": "5.0.6"}}))
    assert problem == ('tiketi:cache.engineVersion: "5.0.6" has no known redis parameter group family; '
                       "expected major version 6 or 7")


def test_unknown_cache_engine():
    [problem] = problems_of(aws_config(**{"tiketi:cache": {**CACHE, "engine": "memcached"}}))
    assert problem == 'tiketi:cache.engine: "memcached" is not allowed; expected "redis" or "valkey"'


def test_cache_node_type_allow_list():
    [problem] = problems_of(aws_config(**{"tiketi:cache": {"nodeType": "cache.x99.mega"}}))
    assert problem.startswith('tiketi:cache.nodeType: "cache.x99.mega" is not an allowed node type')


@pytest.mark.parametrize("days", [1, 6, 31])
def test_secret_recovery_window_bounds(days):
    [problem] = problems_of(aws_config(**{"tiketi:secrets": {"recoveryWindowDays": days}}))
    assert problem == (f"tiketi:secrets.recoveryWindowDays: {days} is not a Secrets Manager recovery window; "
                       "expected 0 or 7 to 30")


def test_alarm_threshold_bounds():
    [problem] = problems_of(aws_config(**{"tiketi:database": {**DATABASE, "alarms": {"cpuPercent": 150}}}))
    assert problem.startswith("tiketi:database.alarms.cpuPercent: 150 is invalid")


def test_alert_emails_must_be_addresses():
    [problem] = problems_of(aws_config(**{"tiketi:alerts": {"emails": ["oncall@tiketi.example", "nobody"]}}))
    assert problem.startswith("tiketi:alerts.emails: ")
    assert "'nobody', which is not an email address" in problem


def test_data_sections_are_refused_on_the_kind_platform():
    raw = {**KIND, "tiketi:database": '{"instanceClass": "db.t4g.micro"}'}
    assert problems_of(raw, "local") == ["tiketi:database: is only for tiketi:platform aws, not kind; remove it"]
