"""Kafka: the Amazon MSK cluster the Spring services use on AWS (provisioned, Standard brokers).

Owns the cluster (KRaft, brokers in the data subnets, encrypted at rest with its own KMS key
and in transit with TLS only, client to broker and between brokers), its security group
(9096, SASL/SCRAM over TLS, from the EKS nodes only), the configuration (replication,
``min.insync.replicas``, retention, no topic auto-creation, no unclean leader election),
the broker log group (with retention), storage autoscaling, the SCRAM users (a generated
password each, in an ``AmazonMSK_`` secret encrypted with the key, with MSK's resource policy)
and the cluster alarms. Topics are not created here (docs/operations.md).

Why provisioned and SASL/SCRAM: MSK Serverless allows only IAM access control
(https://docs.aws.amazon.com/msk/latest/developerguide/serverless.html), which needs the
``aws-msk-iam-auth`` library in every service; SCRAM needs only Kafka client properties,
which Spring Boot reads from the environment (README, "Kafka").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.base import Component
from components.config.data import KafkaSettings, KafkaSizing
from components.network.app_security_groups import allow_tcp_from
from components.observability.alarms import metric_alarm
from components.security import iam

# SASL/SCRAM over TLS inside the VPC (https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html):
# with client_broker TLS and unauthenticated access off it is the cluster's only client listener.
PORT = 9096
SECURITY_PROTOCOL = "SASL_SSL"
# "Amazon MSK only supports SCRAM-SHA-512" (MSK developer guide, msk-password).
SASL_MECHANISM = "SCRAM-SHA-512"
SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
# Storage autoscaling changes the volume size outside Pulumi; without this the next `pulumi up`
# would try to shrink it (terraform-aws-modules/msk-kafka-cluster ignores the same attribute,
# "required for appautoscaling"). The engine path is camelCase: the Python SDK translates only
# top-level names (pulumi/runtime/resource.py, _translate_ignore_changes).
VOLUME_SIZE_PATH = "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"


@dataclass(frozen=True)
class KafkaArgs:
    name_prefix: str
    settings: KafkaSettings
    region: str
    vpc_id: pulumi.Input[str]
    data_subnet_ids: Sequence[pulumi.Input[str]]  # one per zone
    client_security_groups: Mapping[str, pulumi.Input[str]]  # who may connect, by name
    alarm_topic_arn: pulumi.Input[str]
    recovery_window_days: int = 7


class Kafka(Component):
    TYPE = "tiketi:data:Kafka"
    bootstrap_servers: pulumi.Output[str]
    arn: pulumi.Output[str]
    cluster_name: str  # also CloudWatch's "Cluster Name" dimension
    broker_ids: list[str]  # CloudWatch's "Broker ID" dimension
    port: int
    security_group_id: pulumi.Output[str]
    security_protocol: str
    sasl_mechanism: str
    client_jaas_config: pulumi.Output[str]  # secret: the services' SCRAM login
    secret_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: KafkaArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings
        self.cluster_name = f"{args.name_prefix}-kafka"
        self._sizing = settings.sizing(len(args.data_subnet_ids))
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        key = self._build_key(account_id)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id, description=f"Amazon MSK: {PORT} (SASL/SCRAM over TLS) from the "
                                                          "application groups named in its rules only",
            tags={"Name": self.cluster_name}, opts=self._child())
        allow_tcp_from(name, parent=self, group_id=group.id, port=PORT, sources=args.client_security_groups,
                       description="Kafka SASL/SCRAM from {source}")
        # MSK writes broker logs only into a group that exists: "Amazon MSK doesn't create these destination
        # resources" (MSK developer guide, msk-logging). The /aws/vendedlogs/ prefix lets CloudWatch Logs cover
        # the group with one wildcard in its delivery resource policy instead of an entry per group
        # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html).
        log_group = aws.cloudwatch.LogGroup(f"{name}-broker-logs", name=f"/aws/vendedlogs/msk/{self.cluster_name}",
                                            retention_in_days=settings.log_retention_days, opts=self._child())
        configuration = aws.msk.Configuration(
            # No fixed name: a replacement (a changed name or kafka_versions) must be created before the old one is
            # deleted, since MSK refuses to delete a configuration a cluster uses (msk-configuration-operations).
            # No kafka_versions either: it is optional, and whether CreateConfiguration takes the ".kraft" version
            # strings is not documented; without it the configuration fits every version the cluster moves to.
            f"{name}-configuration",
            description=f"{self.cluster_name}: replication, retention, no auto-created topics",
            server_properties=server_properties(self._sizing, settings), opts=self._child())
        cluster = aws.msk.Cluster(
            f"{name}-cluster",
            cluster_name=self.cluster_name,
            kafka_version=settings.version,
            number_of_broker_nodes=self._sizing.brokers,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                client_subnets=list(args.data_subnet_ids),
                security_groups=[group.id],
                instance_type=settings.instance_type,
                storage_info={"ebs_storage_info": {"volume_size": settings.volume_gb}},
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_at_rest_kms_key_arn=key.arn,
                encryption_in_transit={"client_broker": "TLS", "in_cluster": True},
            ),
            client_authentication={"sasl": {"scram": True, "iam": False}, "unauthenticated": False},
            configuration_info={"arn": configuration.arn, "revision": configuration.latest_revision},
            enhanced_monitoring=settings.enhanced_monitoring,
            logging_info={"broker_logs": {"cloudwatch_logs": {"enabled": True, "log_group": log_group.name}}},
            # MSK has no deletion protection of its own; Pulumi's protect stops `pulumi destroy` at the data.
            opts=self._child(protect=settings.deletion_protection, ignore_changes=[VOLUME_SIZE_PATH]),
        )
        self.client_jaas_config = self._build_users(cluster, key)
        self._build_storage_autoscaling(cluster)
        self._build_alarms()

        self.bootstrap_servers = cluster.bootstrap_brokers_sasl_scram
        self.arn = cluster.arn
        self.port = PORT
        self.broker_ids = [str(broker) for broker in range(1, self._sizing.brokers + 1)]
        self.security_group_id = group.id
        self.security_protocol = SECURITY_PROTOCOL
        self.sasl_mechanism = SASL_MECHANISM
        self.register_outputs({"bootstrapServers": self.bootstrap_servers, "arn": self.arn,
                               "securityGroupId": self.security_group_id, "secretArns": self.secret_arns})

    def _build_key(self, account_id: pulumi.Output[str]) -> aws.kms.Key:
        """One customer-managed key for the brokers' disks and the SCRAM secrets.

        MSK refuses SCRAM secrets encrypted with Secrets Manager's default key ("A secret created with
        the default AWS KMS key cannot be used with an Amazon MSK cluster", msk-password-tutorial).
        """
        region = self._args.region
        return aws.kms.Key(
            f"{self._name}-key",
            description=f"{self.cluster_name}: broker storage and SCRAM secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=iam.key_policy(
                account_id,
                {
                    # MSK reads the SCRAM secrets through Secrets Manager, which decrypts them with this key on
                    # the caller's behalf: AWS CDK's MSK cluster adds the same statement to its SCRAM key
                    # (https://docs.aws.amazon.com/kms/latest/developerguide/services-secrets-manager.html).
                    "Sid": "SecretsManagerInThisAccount",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                               "kms:CreateGrant", "kms:DescribeKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                                                   "kms:CallerAccount": account_id}},
                },
            ),
            opts=self._child(),
        )

    def _build_users(self, cluster: aws.msk.Cluster, key: aws.kms.Key) -> pulumi.Output[str]:
        """One AmazonMSK_ secret per SCRAM user, associated with the cluster once readable; the client's JAAS line."""
        args, name = self._args, self._name
        readable: list[pulumi.Resource] = []
        arns: list[pulumi.Output[str]] = []
        passwords: dict[str, pulumi.Output[str]] = {}
        self.secret_arns = {}
        for user in args.settings.scram_users:
            # Letters and digits only: the password sits inside password="..." in the JAAS line.
            password = random.RandomPassword(f"{name}-{user}-password", length=32, special=False,
                                             min_lower=1, min_upper=1, min_numeric=1, opts=self._child())
            passwords[user] = pulumi.Output.secret(password.result)
            secret = aws.secretsmanager.Secret(
                f"{name}-{user}",
                # MSK accepts only secrets named AmazonMSK_* (msk-password-tutorial).
                name=f"AmazonMSK_{args.name_prefix}-{user}",
                description=f"SASL/SCRAM user {user} of {self.cluster_name}",
                kms_key_id=key.arn,
                recovery_window_in_days=args.recovery_window_days,
                opts=self._child(),
            )
            value = aws.secretsmanager.SecretVersion(
                f"{name}-{user}", secret_id=secret.id,
                secret_string=pulumi.Output.secret(pulumi.Output.json_dumps({"username": user,
                                                                             "password": passwords[user]})),
                opts=self._child())
            # The statement MSK attaches itself on association; managing the identical one keeps Pulumi
            # from showing a diff (pulumi-aws msk.ScramSecretAssociation docs).
            policy = aws.secretsmanager.SecretPolicy(
                f"{name}-{user}", secret_arn=secret.arn,
                policy=iam.document({"Sid": "AWSKafkaResourcePolicy", "Effect": "Allow",
                                     "Principal": {"Service": "kafka.amazonaws.com"},
                                     "Action": "secretsmanager:getSecretValue", "Resource": secret.arn}),
                opts=self._child())
            readable += [value, policy]
            arns.append(secret.arn)
            self.secret_arns[user] = secret.arn
        # Associating before the value and policy exist fails with InvalidSecretArn "Amazon MSK wasn't able
        # to access the provided secret" (aws/aws-cdk#34794, ibm-mas/ansible-devops#2302); neither is an input.
        # Exclusive: users removed from config are disassociated (the rotation in docs/operations.md).
        aws.msk.ScramSecretAssociation(f"{name}-scram", cluster_arn=cluster.arn, secret_arn_lists=arns,
                                       opts=self._child(depends_on=readable))
        user = args.settings.client_user
        return pulumi.Output.secret(pulumi.Output.concat(
            f'{SCRAM_LOGIN_MODULE} required username="{user}" password="', passwords[user], '";'))

    def _build_storage_autoscaling(self, cluster: aws.msk.Cluster) -> None:
        """Grow each broker's disk before it fills (MSK developer guide, msk-autoexpand)."""
        settings = self._args.settings
        # The cluster must exist first: "You can't implement automatic scaling when you create a cluster"
        # (msk-autoexpand); resource_id is its ARN. min_capacity 1 as the provider's MSK example: MSK never
        # shrinks a volume, the floor only has to be valid.
        target = aws.appautoscaling.Target(
            f"{self._name}-storage", service_namespace="kafka", scalable_dimension="kafka:broker-storage:VolumeSize",
            resource_id=cluster.arn, min_capacity=1, max_capacity=settings.max_volume_gb, opts=self._child())
        # Reading the target's outputs orders the policy after the registration PutScalingPolicy needs.
        aws.appautoscaling.Policy(
            f"{self._name}-storage", name=f"{self.cluster_name}-broker-storage", policy_type="TargetTrackingScaling",
            resource_id=target.resource_id, scalable_dimension=target.scalable_dimension,
            service_namespace=target.service_namespace,
            target_tracking_scaling_policy_configuration={
                "predefined_metric_specification": {"predefined_metric_type": "KafkaBrokerStorageUtilization"},
                "target_value": settings.storage_target_percent,
                "disable_scale_in": True,  # MSK storage cannot shrink
            },
            opts=self._child())

    def _build_alarms(self) -> None:
        """The four health signals of a Standard cluster, all DEFAULT-level metrics (free)."""
        args, name, cluster = self._args, self._name, self.cluster_name
        # AWS/Kafka dimensions carry spaces: "Cluster Name", "Broker ID" (MSK metrics-details).
        common = {"parent": self, "topic_arn": args.alarm_topic_arn, "namespace": "AWS/Kafka"}
        by_cluster = {**common, "dimensions": {"Cluster Name": cluster}}
        metric_alarm(f"{name}-offline-partitions", metric="OfflinePartitionsCount", statistic="Maximum",
                     comparison="GreaterThanThreshold", threshold=0, evaluation_periods=1, period=60,
                     description=f"{cluster}: partitions without a leader (no reads or writes)",
                     first_check="broker health in the MSK console and the broker log group", **by_cluster)
        # Maximum, not Sum: a dip during a controller election is normal, none for 5 minutes is not. Missing data is
        # "missing", not breaching: in KRaft mode processes with only the broker role expose no controller metrics
        # (Apache Kafka cwiki page 188743985, "KRaft nodes with only the 'broker' role should not"), and MSK's
        # KRaft controllers are MSK-managed, so MSK may publish no ActiveControllerCount at all; breaching would
        # page around the clock. A reported 0 still alarms (review m1; check the metric after the first deploy).
        metric_alarm(f"{name}-active-controller", metric="ActiveControllerCount", statistic="Maximum",
                     comparison="LessThanThreshold", threshold=1, evaluation_periods=5, period=60,
                     missing_data="missing", description=f"{cluster}: no active controller for 5 minutes",
                     first_check="the MSK console's cluster state (an update or a broker replacement in progress?)",
                     **by_cluster)
        disk = args.settings.alarms.disk_used_percent
        for broker in range(1, self._sizing.brokers + 1):
            by_broker = {**common, "dimensions": {"Cluster Name": cluster, "Broker ID": str(broker)}}
            metric_alarm(f"{name}-broker-{broker}-disk", metric="KafkaDataLogsDiskUsed", statistic="Maximum",
                         comparison="GreaterThanOrEqualToThreshold", threshold=disk, evaluation_periods=1,
                         description=f"{cluster} broker {broker}: data disk {disk:g}% full (storage autoscaling "
                                     "is at its ceiling or in its 6-hour cool-down)",
                         first_check="topic retention and the storage autoscaling ceiling (tiketi:kafka)", **by_broker)
            # MSK patches one broker at a time, so short under-replication is routine; 15 minutes is not.
            metric_alarm(f"{name}-broker-{broker}-under-replicated", metric="UnderReplicatedPartitions",
                         statistic="Maximum", comparison="GreaterThanThreshold", threshold=0, evaluation_periods=3,
                         description=f"{cluster} broker {broker}: under-replicated partitions for 15 minutes",
                         first_check="the broker's CPU and disk on the dashboard's Kafka row; an MSK patch in progress",
                         **by_broker)


def server_properties(sizing: KafkaSizing, settings: KafkaSettings) -> str:
    """The cluster's configuration, every value set on purpose (MSK best practices, msk-configuration-properties)."""
    properties = {
        # Topics are created deliberately (docs/operations.md); a typo must not create one.
        "auto.create.topics.enable": "false",
        "default.replication.factor": sizing.replication_factor,
        "min.insync.replicas": sizing.min_insync_replicas,
        "num.partitions": sizing.brokers,  # one leader per broker for topics created without a count
        # Kafka's default is 3: internal topics cannot be created on fewer brokers.
        "offsets.topic.replication.factor": sizing.replication_factor,
        "transaction.state.log.replication.factor": sizing.replication_factor,
        "transaction.state.log.min.isr": sizing.min_insync_replicas,
        # MSK's default is true: an out-of-sync replica could become leader and drop acknowledged writes.
        "unclean.leader.election.enable": "false",
        "log.retention.hours": settings.retention_hours,
    }
    return "".join(f"{key}={value}\n" for key, value in properties.items())
