"""Amazon MSK on the staging and prod snapshots, value by value (components/data/kafka.py)."""

from __future__ import annotations

import json

import pytest

from tests.data.test_data_tier import ingress_sources, topic_arn
from tests.support.aws_queries import ALARM, EGRESS, group
from tests.support.manifests import manifest
from tests.support.synced_secrets import services_secrets
from tools.harness.fake_cloud import ACCOUNT_ID
from tools.harness.snapshot import Snapshot, unwrap

CLUSTER = "aws:msk/cluster:Cluster"
CONFIGURATION = "aws:msk/configuration:Configuration"
ASSOCIATION = "aws:msk/scramSecretAssociation:ScramSecretAssociation"
SECRET = "aws:secretsmanager/secret:Secret"
# stack -> (version, brokers, broker size, GiB, max GiB, monitoring, log retention, protected)
EXPECTED = {"prod": ("3.8.x.kraft", 3, "kafka.m7g.large", 100, 1000, "PER_BROKER", 90, True),
            "staging": ("3.8.x.kraft", 2, "kafka.m7g.large", 20, 100, "DEFAULT", 14, False)}
# stack -> server properties the configuration must hold, every one set on purpose
PROPERTIES = {
    "prod": {"auto.create.topics.enable": "false", "default.replication.factor": "3", "min.insync.replicas": "2",
             "num.partitions": "3", "offsets.topic.replication.factor": "3",
             "transaction.state.log.replication.factor": "3", "transaction.state.log.min.isr": "2",
             "unclean.leader.election.enable": "false", "log.retention.hours": "168"},
    "staging": {"auto.create.topics.enable": "false", "default.replication.factor": "2", "min.insync.replicas": "1",
                "num.partitions": "2", "offsets.topic.replication.factor": "2",
                "transaction.state.log.replication.factor": "2", "transaction.state.log.min.isr": "1",
                "unclean.leader.election.enable": "false", "log.retention.hours": "72"},
}


def secret_values(snap: Snapshot, service: str = "ticket-service") -> dict[str, str]:
    """A service's Secret as the External Secrets Operator writes it (tests/support/synced_secrets.py)."""
    return services_secrets(snap)[service]


def kafka_key(snap: Snapshot):
    [key] = [k for k in snap.all("aws:kms/key:Key") if k.name == "kafka-key"]
    return key


def password(snap: Snapshot, user: str = "services") -> str:
    [generated] = [r for r in snap.all("random:index/randomPassword:RandomPassword")
                   if r.name == f"kafka-{user}-password"]
    return unwrap(generated.outputs["result"])


def properties(configuration) -> dict[str, str]:
    lines = configuration.inputs["serverProperties"].splitlines()
    return dict(line.split("=", 1) for line in lines)


# --- the cluster --------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_cluster_version_size_placement_and_storage(stack, request):
    snap = request.getfixturevalue(stack)
    version, brokers, size, volume, _, monitoring, _, protected = EXPECTED[stack]
    cluster = snap.one(CLUSTER)
    assert cluster.inputs["clusterName"] == f"tiketi-{stack}-kafka"
    assert (cluster.inputs["kafkaVersion"], cluster.inputs["numberOfBrokerNodes"]) == (version, brokers)
    nodes = cluster.inputs["brokerNodeGroupInfo"]
    assert nodes["instanceType"] == size
    assert nodes["storageInfo"] == {"ebsStorageInfo": {"volumeSize": volume}}
    # one broker per data subnet (one per zone): no route out of the VPC
    assert sorted(nodes["clientSubnets"]) == sorted(snap.outputs["dataSubnetIds"])
    assert len(nodes["clientSubnets"]) == len(snap.config("tiketi:network")["availabilityZones"])
    assert brokers % len(nodes["clientSubnets"]) == 0
    assert nodes["securityGroups"] == [group(snap, "kafka").id]
    assert cluster.inputs["enhancedMonitoring"] == monitoring
    assert cluster.protect is protected
    # storage autoscaling owns the size after creation
    assert cluster.ignore_changes == ("brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize",)


def test_cluster_encrypts_with_tls_only_and_its_own_key(aws_stack):
    cluster = aws_stack.one(CLUSTER)
    assert cluster.inputs["encryptionInfo"] == {
        "encryptionAtRestKmsKeyArn": kafka_key(aws_stack).outputs["arn"],
        "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},  # no plaintext listener anywhere
    }


def test_clients_authenticate_with_sasl_scram_only(aws_stack):
    cluster = aws_stack.one(CLUSTER)
    assert cluster.inputs["clientAuthentication"] == {"sasl": {"scram": True, "iam": False}, "unauthenticated": False}
    # so the only client listener is SASL/SCRAM on 9096 (the fake cloud answers as MSK does)
    assert cluster.outputs["bootstrapBrokers"] == "" and cluster.outputs["bootstrapBrokersTls"] == ""
    assert cluster.outputs["bootstrapBrokersSaslScram"].endswith(":9096")


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_configuration_sets_replication_retention_and_safety_deliberately(stack, request):
    snap = request.getfixturevalue(stack)
    configuration = snap.one(CONFIGURATION)
    assert properties(configuration) == PROPERTIES[stack]
    # no fixed name: a replacement is created (under a new name) before the old one is deleted; no version
    # list, so a Kafka upgrade neither replaces it nor depends on MSK accepting ".kraft" version strings there
    assert "name" not in configuration.inputs and "kafkaVersions" not in configuration.inputs
    assert not configuration.delete_before_replace
    cluster = snap.one(CLUSTER)
    assert cluster.inputs["configurationInfo"] == {"arn": configuration.outputs["arn"],
                                                   "revision": configuration.outputs["latestRevision"]}


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_broker_logs_go_to_a_log_group_with_retention(stack, request):
    snap = request.getfixturevalue(stack)
    log_group = snap.one("aws:cloudwatch/logGroup:LogGroup", name=f"/aws/vendedlogs/msk/tiketi-{stack}-kafka")
    assert log_group.inputs["retentionInDays"] == EXPECTED[stack][6]
    assert snap.one(CLUSTER).inputs["loggingInfo"] == {
        "brokerLogs": {"cloudwatchLogs": {"enabled": True, "logGroup": log_group.outputs["name"]}}}


def test_security_group_admits_only_the_eks_nodes_on_9096(aws_stack):
    kafka_sg = group(aws_stack, "kafka")
    assert ingress_sources(aws_stack, kafka_sg) == {"eks-nodes": ("tcp", 9096, 9096)}  # not the worker
    assert aws_stack.all(EGRESS, securityGroupId=kafka_sg.id) == []
    assert "ingress" not in kafka_sg.inputs and "egress" not in kafka_sg.inputs


def test_storage_autoscaling_tracks_disk_use_up_to_the_ceiling(aws_stack):
    cluster = aws_stack.one(CLUSTER)
    ceiling = EXPECTED[aws_stack.stack][4]
    target = aws_stack.one("aws:appautoscaling/target:Target", serviceNamespace="kafka")
    assert {k: target.inputs[k] for k in ("scalableDimension", "resourceId", "minCapacity", "maxCapacity")} == {
        "scalableDimension": "kafka:broker-storage:VolumeSize", "resourceId": cluster.outputs["arn"],
        "minCapacity": 1, "maxCapacity": ceiling}
    policy = aws_stack.one("aws:appautoscaling/policy:Policy", resourceId=cluster.outputs["arn"])
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    assert policy.inputs["targetTrackingScalingPolicyConfiguration"] == {
        "predefinedMetricSpecification": {"predefinedMetricType": "KafkaBrokerStorageUtilization"},
        "targetValue": 60, "disableScaleIn": True}


# --- SCRAM users ------------------------------------------------------------------------------


def test_scram_secret_is_named_for_msk_and_encrypted_with_the_customer_key(aws_stack):
    secret = aws_stack.one(SECRET, name=f"AmazonMSK_tiketi-{aws_stack.stack}-services")
    assert secret.inputs["kmsKeyId"] == kafka_key(aws_stack).outputs["arn"]  # never Secrets Manager's default key
    assert secret.inputs["recoveryWindowInDays"] == 7
    version = aws_stack.one("aws:secretsmanager/secretVersion:SecretVersion", secretId=secret.id)
    assert json.loads(unwrap(version.inputs["secretString"])) == {"username": "services",
                                                                  "password": password(aws_stack)}
    policy = aws_stack.one("aws:secretsmanager/secretPolicy:SecretPolicy", secretArn=secret.outputs["arn"])
    assert json.loads(policy.inputs["policy"])["Statement"] == [{
        "Sid": "AWSKafkaResourcePolicy", "Effect": "Allow", "Principal": {"Service": "kafka.amazonaws.com"},
        "Action": "secretsmanager:getSecretValue", "Resource": secret.outputs["arn"]}]


def test_association_names_the_secret_and_waits_for_its_value_and_policy(aws_stack):
    association = aws_stack.one(ASSOCIATION)
    secret = aws_stack.one(SECRET, name=f"AmazonMSK_tiketi-{aws_stack.stack}-services")
    assert association.inputs["clusterArn"] == aws_stack.one(CLUSTER).outputs["arn"]
    assert association.inputs["secretArnLists"] == [secret.outputs["arn"]]
    version = aws_stack.one("aws:secretsmanager/secretVersion:SecretVersion", secretId=secret.id)
    policy = aws_stack.one("aws:secretsmanager/secretPolicy:SecretPolicy", secretArn=secret.outputs["arn"])
    assert {version.urn, policy.urn} <= set(association.all_dependencies)


def test_key_lets_secrets_manager_use_it_for_this_account_only(aws_stack):
    key = kafka_key(aws_stack)
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 30
    admin, secrets_manager = json.loads(key.inputs["policy"])["Statement"]
    assert admin == {"Sid": "AccountAdministers", "Effect": "Allow",
                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "kms:*", "Resource": "*"}
    assert secrets_manager["Condition"] == {"StringEquals": {
        "kms:ViaService": "secretsmanager.ap-northeast-2.amazonaws.com", "kms:CallerAccount": ACCOUNT_ID}}
    assert secrets_manager["Action"] == ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                         "kms:CreateGrant", "kms:DescribeKey"]


# --- alarms ------------------------------------------------------------------------------------


def test_alarms_watch_partitions_controller_disk_and_replication(aws_stack):
    cluster = f"tiketi-{aws_stack.stack}-kafka"
    brokers = EXPECTED[aws_stack.stack][1]
    alarms = {a.inputs["metricName"]: [] for a in aws_stack.all(ALARM, namespace="AWS/Kafka")}
    for alarm in aws_stack.all(ALARM, namespace="AWS/Kafka"):
        inputs = alarm.inputs
        assert inputs["alarmActions"] == inputs["okActions"] == [topic_arn(aws_stack)]
        alarms[inputs["metricName"]].append((inputs["dimensions"], inputs["statistic"], inputs["comparisonOperator"],
                                             inputs["threshold"], inputs["period"], inputs["evaluationPeriods"],
                                             inputs["treatMissingData"]))
    for found in alarms.values():  # registration order follows output resolution, not program order
        found.sort(key=lambda alarm: alarm[0].get("Broker ID", ""))
    by_cluster = {"Cluster Name": cluster}
    per_broker = [{"Cluster Name": cluster, "Broker ID": str(b)} for b in range(1, brokers + 1)]
    assert alarms == {
        "OfflinePartitionsCount": [(by_cluster, "Maximum", "GreaterThanThreshold", 0, 60, 1, "missing")],
        # "missing": MSK's KRaft brokers may publish no controller metric at all (review m1).
        "ActiveControllerCount": [(by_cluster, "Maximum", "LessThanThreshold", 1, 60, 5, "missing")],
        "KafkaDataLogsDiskUsed": [(d, "Maximum", "GreaterThanOrEqualToThreshold", 85, 300, 1, "missing")
                                  for d in per_broker],
        "UnderReplicatedPartitions": [(d, "Maximum", "GreaterThanThreshold", 0, 300, 3, "missing")
                                      for d in per_broker],
    }


# --- the services ------------------------------------------------------------------------------


def test_services_read_the_clusters_brokers_and_scram_settings(aws_stack):
    cluster = aws_stack.one(CLUSTER)
    name = "spring-config"
    data = manifest(aws_stack, "ConfigMap", name)["data"]
    assert data["SPRING_KAFKA_BOOTSTRAP_SERVERS"] == cluster.outputs["bootstrapBrokersSaslScram"]
    assert all(broker.endswith(":9096") for broker in data["SPRING_KAFKA_BOOTSTRAP_SERVERS"].split(","))
    assert data["SPRING_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert data["SPRING_KAFKA_PROPERTIES_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert not any("JAAS" in key or "PASSWORD" in key for key in data if key.startswith("SPRING_KAFKA"))
    assert secret_values(aws_stack)["SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG"] == (
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="services" '
        f'password="{password(aws_stack)}";')


def test_stack_outputs_name_the_cluster(aws_stack):
    cluster = aws_stack.one(CLUSTER)
    assert aws_stack.outputs["kafkaBootstrapServers"] == cluster.outputs["bootstrapBrokersSaslScram"]
    assert aws_stack.outputs["kafkaClusterArn"] == cluster.outputs["arn"]
    assert aws_stack.outputs["kafkaClusterArn"].startswith(
        f"arn:aws:kafka:ap-northeast-2:{ACCOUNT_ID}:cluster/tiketi-{aws_stack.stack}-kafka/")


def test_local_keeps_its_in_cluster_broker(local):
    assert local.all(CLUSTER) == []
    data = manifest(local, "ConfigMap", "spring-kind-config")["data"]
    assert data["SPRING_KAFKA_BOOTSTRAP_SERVERS"] == "kafka-spring:9092"
    assert not {"SPRING_KAFKA_SECURITY_PROTOCOL", "SPRING_KAFKA_PROPERTIES_SASL_MECHANISM"} & set(data)
    assert "kafkaClusterArn" not in local.outputs


def test_service_pods_start_only_once_msk_takes_their_login(aws_stack):
    # Depending on the Kafka component waits for every child: the cluster and the SCRAM association.
    association = aws_stack.one(ASSOCIATION)
    deployments = [d for d in aws_stack.all("kubernetes:apps/v1:Deployment")
                   if aws_stack.component_of(d).type == "tiketi:kubernetes:Workloads"]  # not the ADOT collectors
    assert len(deployments) == 8
    assert all(association.urn in d.all_dependencies and aws_stack.one(CLUSTER).urn in d.all_dependencies
               for d in deployments)
