"""Kafka branches the committed stacks do not take, each on one extra mock-engine run of staging."""

from __future__ import annotations

import json

import pytest

from tests.data.test_kafka import secret_values
from tests.support.manifests import manifest, of_kind
from tools.harness.deploy_order import check_deploy_order
from tools.harness.mock_engine import load_stack_config_file, run_program
from tools.harness.snapshot import Snapshot, unwrap

EXTERNAL = "b-1.shared-kafka.abc123.c3.kafka.ap-northeast-2.amazonaws.com:9096,10.1.64.20:9094"


@pytest.fixture(scope="module")
def external() -> Snapshot:
    """tiketi:workloads.kafkaBootstrapServers names an external cluster: no MSK cluster is built."""
    raw, _ = load_stack_config_file("staging")
    workloads = {**json.loads(raw["tiketi:workloads"]), "kafkaBootstrapServers": EXTERNAL}
    return Snapshot(run_program("staging", {"tiketi:workloads": json.dumps(workloads), "tiketi:kafka": "null"}))


@pytest.fixture(scope="module")
def rotating() -> Snapshot:
    """Mid-rotation: a second SCRAM user exists and the services already use it."""
    raw, _ = load_stack_config_file("staging")
    kafka = {**json.loads(raw["tiketi:kafka"]), "scramUsers": ["services", "services-2"], "clientUser": "services-2"}
    return Snapshot(run_program("staging", {"tiketi:kafka": json.dumps(kafka)}))


def test_an_external_cluster_replaces_msk(external):
    assert not any(r.type.startswith("aws:msk/") or r.type == "tiketi:data:Kafka" for r in external.registrations)
    data = manifest(external, "ConfigMap", "spring-config")["data"]
    assert data["SPRING_KAFKA_BOOTSTRAP_SERVERS"] == EXTERNAL
    # the external cluster's security settings are not managed here
    assert not {"SPRING_KAFKA_SECURITY_PROTOCOL", "SPRING_KAFKA_PROPERTIES_SASL_MECHANISM"} & set(data)
    assert "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG" not in secret_values(external)
    assert external.outputs["kafkaBootstrapServers"] == EXTERNAL
    assert "kafkaClusterArn" not in external.outputs


def test_the_network_policy_opens_the_external_clusters_ports_inside_the_vpc_only(external):
    egress = of_kind(external, "NetworkPolicy", "tiketi-staging")["allow-backend-to-data-services"]["spec"]["egress"]
    kafka = [rule for rule in egress if {p["port"] for p in rule["ports"]} & {9092, 9094, 9096}]
    assert kafka == [{"to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}],
                      "ports": [{"port": 9094, "protocol": "TCP"}, {"port": 9096, "protocol": "TCP"}]}]


def test_a_second_scram_user_is_associated_and_the_services_switch_to_it(rotating):
    secrets = {s.inputs["name"]: s for s in rotating.all("aws:secretsmanager/secret:Secret")
               if s.inputs["name"].startswith("AmazonMSK_")}
    assert sorted(secrets) == ["AmazonMSK_tiketi-staging-services", "AmazonMSK_tiketi-staging-services-2"]
    association = rotating.one("aws:msk/scramSecretAssociation:ScramSecretAssociation")
    assert association.inputs["secretArnLists"] == [secrets["AmazonMSK_tiketi-staging-services"].outputs["arn"],
                                                    secrets["AmazonMSK_tiketi-staging-services-2"].outputs["arn"]]
    [generated] = [r for r in rotating.all("random:index/randomPassword:RandomPassword")
                   if r.name == "kafka-services-2-password"]
    assert secret_values(rotating)["SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG"] == (
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="services-2" '
        f'password="{unwrap(generated.outputs["result"])}";')
    assert check_deploy_order(rotating) == []  # the association waits for both users' values and policies
