"""Cache: the ElastiCache (Redis OSS or Valkey) replication group of spec 4.4.

Owns its security group (6379 from the application groups only), subnet group (data
subnets), parameter group (``timeout=300``, ``maxmemory-policy=allkeys-lru``), the slow-log
and engine-log groups (JSON delivery, with retention), the replication group (encrypted at
rest and in transit, AUTH token from Secrets, automatic failover and Multi-AZ exactly when
there is more than one node) and the cache alarms.

Lifecycle: the replication group is ``protect``ed by config, keeps its id and is deleted
before a replacement is created (``protect`` stops that in prod). With ``finalSnapshot`` a
delete leaves ``<id>-final-<random>`` (suffix generated once per stack life, so a later
destroy of a re-created stack does not collide with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.base import Component
from components.config.data import CacheSettings
from components.network.app_security_groups import allow_tcp_from
from components.observability.alarms import metric_alarm

PORT = 6379


@dataclass(frozen=True)
class CacheArgs:
    name_prefix: str
    settings: CacheSettings
    vpc_id: pulumi.Input[str]
    data_subnet_ids: Sequence[pulumi.Input[str]]
    client_security_groups: Mapping[str, pulumi.Input[str]]
    auth_token: pulumi.Input[str] | None
    alarm_topic_arn: pulumi.Input[str]
    protect: bool = True  # tiketi:protection.stateful


class Cache(Component):
    TYPE = "tiketi:data:Cache"
    primary_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: int
    security_group_id: pulumi.Output[str]
    replication_group_id: str
    node_ids: list[str]  # CloudWatch's CacheClusterId dimension, one per node

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.replication_group_id = f"{args.name_prefix}-redis"
        # A cluster-mode-disabled group names its nodes <id>-001, -002, ...
        self.node_ids = [f"{self.replication_group_id}-{index:03d}" for index in range(1, settings.nodes + 1)]

        group = aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=args.vpc_id,
                                      description=f"{settings.engine}: 6379 from the application groups only",
                                      tags={"Name": f"{args.name_prefix}-redis"}, opts=child)
        allow_tcp_from(name, parent=self, group_id=group.id, port=PORT, sources=args.client_security_groups,
                       description=f"{settings.engine} from {{source}}")
        subnets = aws.elasticache.SubnetGroup(f"{name}-subnets", subnet_ids=list(args.data_subnet_ids),
                                              description="Data subnets: no route out of the VPC", opts=child)
        parameters = aws.elasticache.ParameterGroup(
            f"{name}-parameters", family=settings.parameter_group_family,
            description=f"{args.name_prefix}: idle timeout 300 s, evict least recently used keys",
            parameters=[aws.elasticache.ParameterGroupParameterArgs(name="timeout", value="300"),
                        aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy", value="allkeys-lru")],
            opts=child,
        )
        # Not under /aws/vendedlogs/ (which keeps them out of the account's CloudWatch Logs resource
        # policy, Step Functions guide "Avoiding CloudWatch Logs resource policy size restrictions"):
        # renaming replaces both groups and their logs; two stacks fit the 5,120-character policy (review m5).
        log_groups = {
            log_type: aws.cloudwatch.LogGroup(
                f"{name}-{log_type}", name=f"/aws/elasticache/{self.replication_group_id}/{log_type}",
                retention_in_days=settings.log_retention_days, opts=child,
            )
            for log_type in ("slow-log", "engine-log")
        }
        replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-replication-group",
            replication_group_id=self.replication_group_id,
            description=f"{args.name_prefix} cache (spec 4.4)",
            engine=settings.engine,
            engine_version=settings.engine_version,
            node_type=settings.node_type,
            num_cache_clusters=settings.nodes,
            automatic_failover_enabled=settings.failover,
            multi_az_enabled=settings.failover,
            port=PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[group.id],
            parameter_group_name=parameters.name,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=settings.transit_encryption,
            auth_token=args.auth_token if settings.auth_token else None,
            # ROTATE adds a new token next to the old one, so clients keep working while they pick it up;
            # SET (config, after the services restarted) then revokes the old one (docs/operations.md).
            auth_token_update_strategy=settings.auth_token_update_strategy if settings.auth_token else None,
            maintenance_window="sun:05:00-sun:07:00",
            snapshot_window="03:00-05:00",
            snapshot_retention_limit=settings.snapshot_retention_days,
            final_snapshot_identifier=self._final_snapshot_name() if settings.final_snapshot else None,
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=log_group.name, destination_type="cloudwatch-logs", log_format="json",
                    log_type=log_type,
                )
                for log_type, log_group in log_groups.items()
            ],
            opts=self._child(protect=args.protect, delete_before_replace=True),
        )
        self._build_alarms(name, args)

        self.primary_endpoint = replication_group.primary_endpoint_address
        self.reader_endpoint = replication_group.reader_endpoint_address
        self.port = PORT
        self.security_group_id = group.id
        self.register_outputs({"primaryEndpoint": self.primary_endpoint, "port": self.port,
                               "securityGroupId": self.security_group_id})

    def _final_snapshot_name(self) -> pulumi.Output[str]:
        suffix = random.RandomId(f"{self._name}-final-snapshot", byte_length=4, opts=self._child())
        return pulumi.Output.concat(self.replication_group_id, "-final-", suffix.hex)

    def _build_alarms(self, name: str, args: CacheArgs) -> None:
        thresholds = args.settings.alarms
        # Host metrics are per node.
        for index, node in enumerate(self.node_ids, start=1):
            common = {"parent": self, "topic_arn": args.alarm_topic_arn, "namespace": "AWS/ElastiCache",
                      "dimensions": {"CacheClusterId": node}}
            metric_alarm(f"{name}-{index:03d}-cpu", metric="EngineCPUUtilization", statistic="Average",
                         comparison="GreaterThanThreshold", threshold=thresholds.cpu_percent, evaluation_periods=3,
                         description=f"{node}: engine CPU above {thresholds.cpu_percent:g}% for 15 minutes",
                         first_check="the slow-log group for expensive commands (KEYS, large ranges)", **common)
            metric_alarm(f"{name}-{index:03d}-memory", metric="DatabaseMemoryUsagePercentage", statistic="Average",
                         comparison="GreaterThanThreshold", threshold=thresholds.memory_percent,
                         evaluation_periods=3,
                         description=f"{node}: memory above {thresholds.memory_percent:g}% for 15 minutes",
                         first_check="Evictions on the dashboard and keys written without a TTL", **common)
            metric_alarm(f"{name}-{index:03d}-evictions", metric="Evictions", statistic="Sum",
                         comparison="GreaterThanThreshold", threshold=thresholds.evictions, evaluation_periods=1,
                         description=f"{node}: more than {thresholds.evictions} evictions in 5 minutes",
                         first_check="memory use: the node is too small or keys lack a TTL", **common)
