"""components/config/schema.py: the models read as data."""

from __future__ import annotations

from components.config.data import CacheSettings, DatabaseSettings
from components.config.kubernetes import AutoscalingRange, ClusterSettings, WorkloadsSettings
from components.config.network import NetworkSettings
from components.config.schema import describe_type, leaf_keys, model_at, repeated_defaults
from components.config.stack import StackConfig


def test_model_at_walks_models_lists_and_maps():
    assert model_at(StackConfig, ("network", "natGateway")) is NetworkSettings
    assert model_at(StackConfig, ("database", "alarms", "cpuPercnt")).__name__ == "DatabaseAlarmSettings"
    assert model_at(StackConfig, ("workloads", "autoscaling", "gateway-service", "mn")) is AutoscalingRange
    assert model_at(StackConfig, ("workloads", "nosuch", "x")) is None


def test_leaf_keys_expand_nested_sections_and_map_entries():
    assert [k.path for k in leaf_keys(DatabaseSettings)][-3:] == [
        "alarms.cpuPercent", "alarms.freeStorageGb", "alarms.connections"]
    paths = [k.path for k in leaf_keys(WorkloadsSettings)]
    assert paths[4:7] == ["autoscaling", "autoscaling.<service>.min", "autoscaling.<service>.max"]


def test_leaf_keys_expand_list_entries():
    from components.config.autoscaling import NodePoolSettings

    paths = [k.path for k in leaf_keys(NodePoolSettings)]
    start = paths.index("onSaleFreezes")
    assert paths[start:start + 3] == ["onSaleFreezes", "onSaleFreezes[].schedule", "onSaleFreezes[].duration"]


def test_what_a_field_allows_in_words():
    keys = {k.path: k for k in leaf_keys(ClusterSettings)}
    assert keys["capacityType"].allowed == "`ON_DEMAND` \\| `SPOT`"
    assert keys["minSize"].allowed == "≥ 1"
    assert keys["logRetentionDays"].allowed.startswith("CloudWatch Logs retention days")
    # the field's own words win
    assert keys["version"].allowed == ("quoted `1.32` to `1.35` (the ones whose extended support has not ended: "
                                       "eks_versions.py); past standard support only with supportType EXTENDED")
    assert describe_type(bool) == "`true` \\| `false`"
    assert (describe_type(int), describe_type(float), describe_type(list[str]), describe_type(dict[str, int])) == (
        "integer", "number", "list of text", "map of text to integer")
    assert {k.path: k.allowed for k in leaf_keys(CacheSettings)}["nodes"] == "1–6"


def test_repeated_defaults_compare_validated_values():
    assert repeated_defaults(NetworkSettings, {"natGateways": "perAz", "flowLogsRetentionDays": "90",
                                               "vpcCidr": "10.0.0.0/16"}) == ["natGateways", "flowLogsRetentionDays"]
    assert repeated_defaults(NetworkSettings, {"natGateways": "single", "flowLogsRetentionDays": "bad"}) == []
    assert repeated_defaults(DatabaseSettings, {"alarms": {"connections": 400}, "nosuch": 1}) == ["alarms.connections"]
