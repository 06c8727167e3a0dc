"""components/config/base.py, and what every config model owes: a description per field, a test per validator."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from pydantic import BaseModel

import components.config as config_package
from components.config import async_, autoscaling, data, edge, kubernetes, network, observability, security, stack
from components.config.base import LOG_RETENTION_DAYS, Section, did_you_mean
from components.config.schema import leaf_keys
from tests.config import (
    test_async_,
    test_autoscaling,
    test_data,
    test_edge,
    test_kubernetes,
    test_network,
    test_observability,
    test_security,
    test_stack,
)
from tests.support.config import problem_with

MODULES = (async_, autoscaling, data, edge, kubernetes, network, observability, security, stack)


def config_models() -> list[type[BaseModel]]:
    found = {obj for module in MODULES for _, obj in inspect.getmembers(module, inspect.isclass)
             if issubclass(obj, Section) and obj is not Section and obj.__module__.startswith("components.config")}
    return sorted(found, key=lambda model: model.__name__)


def test_every_field_of_every_model_has_a_description():
    missing = [f"{model.__name__}.{key.path}" for model in config_models() for key in leaf_keys(model)
               if not key.description]
    assert missing == []
    assert stack.StackConfig.model_fields["platform"].description


def test_every_model_says_what_it_is():
    assert [m.__name__ for m in config_models() if not (m.__doc__ or "").strip()] == []


# Every validator, and the test that makes it fail. A new validator without an entry fails here.
VALIDATOR_TESTS = {
    "AwsSettings._region_shape": test_network.test_region_must_look_like_a_region,
    "NetworkSettings._private_slash_16": test_network.test_vpc_cidr_must_be_a_private_slash_16,
    "NetworkSettings._unique_zones": test_network.test_duplicate_zones_are_refused,
    "SecretsSettings._window": test_security.test_secret_recovery_window_bounds,
    "AlertsSettings._emails": test_observability.test_alert_emails_must_be_addresses,
    "AlertsSettings._webhook": test_observability.test_a_chat_webhook_must_be_discords_and_its_value_stays_hidden,
    "ObservabilitySettings._addon_version": test_observability.test_addon_version_must_be_a_pinned_eks_build,
    "ObservabilitySettings._collector_tag": test_observability.test_collector_tag_must_be_a_release,
    "ObservabilitySettings._regions": test_observability.test_edge_log_regions_must_be_distinct_regions,
    "AlertsSettings._someone_listens": test_observability.test_an_empty_subscriber_list_is_refused_by_default,
    "WorkerSettings._concurrency_fits": test_async_.test_worker_concurrency_cannot_exceed_its_reservation,
    "QueueSettings._role_arns": test_async_.test_redrive_roles_must_be_role_arns,
    "DatabaseSettings._known_family": test_data.test_unknown_postgres_version_family,
    "DatabaseSettings._allowed_class": test_data.test_an_instance_class_that_does_not_exist_is_refused,
    "DatabaseSettings._username": test_data.test_reserved_or_invalid_master_username,
    "DatabaseSettings._storage_can_grow": test_data.test_storage_autoscaling_ceiling_below_the_allocation,
    "DatabaseSettings._major_upgrade_applies_now": test_data.test_a_major_upgrade_without_apply_immediately_is_refused,
    "CacheSettings._allowed_node": test_data.test_cache_node_type_allow_list,
    "CacheSettings._consistent": test_data.test_multi_az_cache_with_one_node_is_a_clear_error,
    "KafkaSettings._known_version": test_data.test_only_kraft_versions_msk_offers,
    "KafkaSettings._standard_broker": test_data.test_kafka_brokers_are_msk_standard_sizes,
    "KafkaSettings._users": test_data.test_kafka_scram_users_are_distinct_names,
    "KafkaSettings._consistent": test_data.test_kafka_storage_and_client_user_are_consistent,
    "EdgeSettings._acm_arn": test_edge.test_certificate_arn_shape,
    "EdgeSettings._tls13_policy": test_edge.test_a_tls_policy_outside_the_shared_allow_list_is_refused_at_its_key,
    "EdgeSettings._consistent": test_edge.test_waf_needs_cloudfront,
    "EdgeSettings._dns_mode": test_edge.test_route53_needs_exactly_one_zone,
    "EdgeSettings._distinct_names": test_edge.test_the_internal_name_must_not_hide_other_names_in_the_vpc,
    "EdgeSettings._dns_names": test_edge.test_names_must_be_dns_names,
    "EdgeSettings._alias_names": test_edge.test_aliases_are_dns_names_wildcards_allowed_once_each,
    "EdgeSettings._zone_id": test_edge.test_zone_id_shape,
    "ClusterSettings._eks_version": test_kubernetes.test_eks_version_range,
    "ClusterSettings._no_open_endpoint": test_kubernetes.test_api_server_open_to_the_internet_is_refused,
    "ClusterSettings._real_instance_types": test_kubernetes.test_node_instance_types_must_exist,
    "ClusterSettings._sizes": test_kubernetes.test_desired_size_must_lie_between_min_and_max,
    "ClusterSettings._support": test_kubernetes.test_a_version_in_extended_support_needs_support_type_extended,
    "ClusterSettings._entry_names": test_kubernetes.test_entry_names_become_resource_names_so_they_are_simple,
    "ClusterSettings._access": test_kubernetes.test_the_same_principal_twice_is_refused_before_eks_says_409,
    "AccessEntrySettings._iam_arn": test_kubernetes.test_principals_are_iam_role_or_user_arns,
    "AutoscalingRange._ordered": test_kubernetes.test_autoscaling_range_must_be_ordered,
    "WorkloadsSettings._namespace": test_kubernetes.test_namespace_must_be_a_dns_label,
    "WorkloadsSettings._tag": test_kubernetes.test_image_tag_must_be_pinned,
    "WorkloadsSettings._known_services": test_kubernetes.test_per_service_maps_name_real_services,
    "WorkloadsSettings._tags": test_kubernetes.test_per_service_tags_are_pinned_too,
    "WorkloadsSettings._replicas": test_kubernetes.test_every_replica_count_is_at_least_one,
    "WorkloadsSettings._bootstrap_servers":
        test_kubernetes.test_a_credential_or_url_in_the_bootstrap_list_is_refused_unechoed,
    "StackConfig._zones_in_region": test_edge.test_alb_certificate_must_be_in_the_stack_region,
    "StackConfig._kafka_fits_the_zones": test_stack.test_kafka_brokers_must_be_a_multiple_of_the_zones,
    "StackConfig._capacity":
        test_autoscaling.test_node_limits_below_what_the_hpas_need_name_the_limit_and_what_would_fit,
    "DatabaseSettings._connections_fit": test_data.test_max_connections_is_explicit_and_within_what_the_class_holds,
    "WorkloadsSettings._consistent": test_kubernetes.test_a_pdb_that_would_forbid_every_eviction_is_refused,
    "NodePoolSettings._sizes": test_autoscaling.test_an_x86_family_is_refused_the_images_are_arm64,
    "StackConfig._service_cidr": test_kubernetes.test_the_service_range_follows_the_eks_api_rules,
    "StackConfig._bootstrap_namespace_fits": test_stack.test_the_bootstrap_namespace_must_fit_a_dns_label_on_aws,
    "RetentionDays": None,  # below
    "matching": test_autoscaling.test_durations_follow_the_node_pool_crd,  # config/autoscaling.py's pattern types
    "VersionString": None,  # below
}


def test_every_validator_has_a_test():
    found = {"RetentionDays", "VersionString", "matching"}
    for model in [*config_models(), stack.StackConfig]:
        decorators = model.__pydantic_decorators__
        for name in [*decorators.field_validators, *decorators.model_validators]:
            found.add(f"{model.__name__}.{name}")
    assert found == set(VALIDATOR_TESTS)
    assert all(test is None or test.__name__.startswith("test_") for test in VALIDATOR_TESTS.values())


@pytest.mark.parametrize("days", [8, 0, 4000])
def test_retention_must_be_one_cloudwatch_accepts(days):  # RetentionDays
    assert problem_with("network", flowLogsRetentionDays=days) == (
        f"tiketi:network.flowLogsRetentionDays: {days} is not a CloudWatch Logs retention period; expected one of "
        + ", ".join(map(str, LOG_RETENTION_DAYS)))


def test_retention_periods_are_the_ones_cloudwatch_logs_accepts():
    # PutRetentionPolicy, retentionInDays: "Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365,
    # 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and 3653" (CloudWatch Logs API reference).
    assert LOG_RETENTION_DAYS == (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                                  2557, 2922, 3288, 3653)


@pytest.mark.parametrize("value,shown", [(1.3, "1.3"), (16, "16"), (7.1, "7.1")])
def test_a_version_written_as_a_yaml_number_is_refused_with_the_fix(value, shown):  # VersionString
    assert problem_with("cluster", loadBalancerControllerChart=value).startswith(
        f"tiketi:cluster.loadBalancerControllerChart: {shown} is a YAML number, not a version string: YAML reads an "
        "unquoted 1.30 as 1.3 and 7.10 as 7.1; put the version in quotes")


def test_did_you_mean_names_only_close_candidates():
    assert did_you_mean("natGateway", ["vpcCidr", "natGateways"]) == " (did you mean natGateways?)"
    assert did_you_mean("netwrok", ["network", "cache"], "tiketi:") == " (did you mean tiketi:network?)"
    assert did_you_mean("banana", ["network", "cache"]) == ""


def test_the_package_exports_the_entry_points():
    assert set(config_package.__all__) == {"ConfigError", "StackConfig", "load_stack_config", "parse_stack_config"}


def test_config_tests_mirror_the_config_modules():
    root = Path(__file__).resolve().parents[2]
    modules = {p.stem for p in (root / "components" / "config").glob("*.py") if p.stem != "__init__"}
    tests = {p.stem.removeprefix("test_") for p in (root / "tests" / "config").glob("test_*.py")}
    assert modules == tests
