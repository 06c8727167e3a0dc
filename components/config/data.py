"""``tiketi:database``, ``tiketi:cache``, ``tiketi:kafka``: RDS PostgreSQL with RDS Proxy, ElastiCache, Amazon MSK."""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from pydantic import Field, field_validator, model_validator

from components.config.base import KeyProblemError, RetentionDays, Section, VersionString, allowed, did_you_mean
from components.config.catalog import (
    ELASTICACHE_NODE_TYPES,
    MSK_BROKER_TYPES,
    RDS_POSTGRES_CLASSES,
    check_instance_class,
    rds_default_max_connections,
    rds_memory_gib,
)

# RDS Proxy may open up to this percent of max_connections (ConnectionPoolConfiguration
# MaxConnectionsPercent; the API default is 100 for PostgreSQL).
PROXY_MAX_CONNECTIONS_PERCENT = 100
# Major versions with a parameter group family this program knows (postgres<major>).
POSTGRES_MAJOR_VERSIONS = ("15", "16", "17")
# engine -> major versions -> parameter group family
CACHE_FAMILIES = {"redis": {"6": "redis6.x", "7": "redis7"}, "valkey": {"7": "valkey7", "8": "valkey8"}}


class DatabaseAlarmSettings(Section):
    """``tiketi:database.alarms``: thresholds of the database's CloudWatch alarms."""

    cpu_percent: float = Field(default=80, gt=0, le=100, description="CPU utilisation alarm")
    free_storage_gb: float = Field(default=10, gt=0, description="alarm when free storage falls below this")
    connections: int = Field(default=400, gt=0, description="alarm when connections exceed this")


class DatabaseSettings(Section):
    """``tiketi:database``: RDS PostgreSQL and RDS Proxy (spec 4.3)."""

    # Major version only: RDS applies minor versions itself (auto minor upgrades), and a pinned
    # minor would make the next `pulumi up` try to downgrade.
    engine_version: VersionString = Field(
        default="16", description="PostgreSQL major version (RDS applies minors); picks the parameter group family",
        json_schema_extra=allowed("quoted `15`, `16` or `17` (a minor may be given)"))
    allow_major_version_upgrade: bool = Field(
        default=False, description="set only while performing a major upgrade (docs/operations.md)",
        json_schema_extra=allowed("bool; needs applyImmediately"))
    apply_immediately: bool = Field(
        default=False, description="apply instance changes during the update instead of in the maintenance window "
                                   "(until then every preview shows them again)")
    instance_class: str = Field(
        description="instance size: a per-stack cost decision",
        json_schema_extra=allowed("`db.<family>.<size>` RDS for PostgreSQL offers (components/config/catalog.py)"))
    allocated_storage_gb: int = Field(default=50, ge=20, le=65536, description="gp3 storage at creation")
    max_allocated_storage_gb: int = Field(default=200, ge=20, le=65536,
                                          description="storage autoscaling ceiling; at least allocatedStorageGb")
    multi_az: bool = Field(default=True, description="a standby in another zone")
    backup_retention_days: int = Field(default=7, ge=1, le=35, description="automated backups")
    deletion_protection: bool = Field(default=True, description="refuse to delete the instance")
    final_snapshot: bool = Field(default=True, description="take a snapshot when the instance is deleted")
    proxy: bool = Field(default=True, description="RDS Proxy in front of the instance (clients use its endpoint)")
    max_connections: int | None = Field(
        default=None, ge=20, description="PostgreSQL max_connections, set in the parameter group so the connection "
                                         "budget is known (unset: 90 % of RDS's memory formula for the class)",
        json_schema_extra=allowed("20 up to RDS's default for the class, LEAST(memory/9531392, 5000)"))
    master_username: str = Field(default="tiketi_admin", description="the master user",
                                 json_schema_extra=allowed("lower-case identifier, not a reserved name"))
    # RDS keeps the master password in its own Secrets Manager secret and rotates it (every 7
    # days unless told otherwise; Secrets Manager allows 1 to 1000 days). Only the database
    # bootstrap Job reads it, so a rotation restarts nothing.
    master_password_rotation_days: int = Field(
        default=7, ge=1, le=1000, description="days between rotations of the RDS-managed master password")
    log_retention_days: RetentionDays = Field(default=30, description="the PostgreSQL and upgrade log groups")
    # RDS accepts only these intervals (CreateDBInstance MonitoringInterval); 0 turns it off.
    enhanced_monitoring_seconds: Literal[0, 1, 5, 10, 15, 30, 60] = Field(
        default=60, description="Enhanced Monitoring (OS metrics into the RDSOSMetrics log group) interval; 0: off")
    alarms: DatabaseAlarmSettings = Field(default=DatabaseAlarmSettings(), description="alarm thresholds")

    @field_validator("engine_version")
    @classmethod
    def _known_family(cls, version: str) -> str:
        major = version.split(".")[0]
        if major not in POSTGRES_MAJOR_VERSIONS or not re.fullmatch(r"\d+(\.\d+)?", version):
            known = ", ".join(f"postgres{m}" for m in POSTGRES_MAJOR_VERSIONS)
            raise ValueError(f"has no known parameter group family; expected a version of {known} (e.g. 16)")
        return version

    @field_validator("instance_class")
    @classmethod
    def _allowed_class(cls, instance_class: str) -> str:
        return check_instance_class(instance_class, RDS_POSTGRES_CLASSES)

    @field_validator("master_username")
    @classmethod
    def _username(cls, name: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name) or name in ("postgres", "rdsadmin", "admin"):
            raise ValueError("is not allowed; expected a lower-case identifier that is not a reserved name")
        return name

    @model_validator(mode="after")
    def _major_upgrade_applies_now(self) -> DatabaseSettings:
        if self.allow_major_version_upgrade and not self.apply_immediately:
            # A major version needs the new family's parameter group in the same ModifyDBInstance
            # call. Queued for the maintenance window, the instance keeps the old group while
            # Pulumi deletes it right after the update: InvalidDBParameterGroupState
            # (hashicorp/terraform-provider-aws#6448).
            raise KeyProblemError(
                "tiketi:database.allowMajorVersionUpgrade", True,
                "needs tiketi:database.applyImmediately: true; queued for the maintenance window, the upgrade "
                "would leave the instance on the old parameter group, which Pulumi deletes in the same update "
                "(InvalidDBParameterGroupState)",
            )
        return self

    @model_validator(mode="after")
    def _storage_can_grow(self) -> DatabaseSettings:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise KeyProblemError(
                "tiketi:database.maxAllocatedStorageGb", self.max_allocated_storage_gb,
                f"is below allocatedStorageGb ({self.allocated_storage_gb}); "
                "storage autoscaling needs max >= allocated",
            )
        return self

    @model_validator(mode="after")
    def _connections_fit(self) -> DatabaseSettings:
        if self.max_connections is not None:
            bound = rds_default_max_connections(rds_memory_gib(self.instance_class))
            if self.max_connections > bound:
                raise KeyProblemError(
                    "tiketi:database.maxConnections", self.max_connections,
                    f"is above what {self.instance_class} ({rds_memory_gib(self.instance_class)} GiB) can hold: RDS's "
                    f"own formula gives at most {bound}; every connection costs memory")
        return self

    @property
    def parameter_group_family(self) -> str:
        return f"postgres{self.engine_version.split('.')[0]}"

    @property
    def effective_max_connections(self) -> int:
        """The ``max_connections`` the parameter group sets: configured, or derived from the class."""
        if self.max_connections is not None:
            return self.max_connections
        return rds_default_max_connections(rds_memory_gib(self.instance_class), share=0.9)


class CacheAlarmSettings(Section):
    """``tiketi:cache.alarms``: thresholds of the cache's CloudWatch alarms."""

    cpu_percent: float = Field(default=80, gt=0, le=100, description="engine CPU utilisation alarm")
    memory_percent: float = Field(default=80, gt=0, le=100, description="memory usage alarm")
    evictions: int = Field(default=100, ge=0, description="alarm when evictions in 5 minutes exceed this")


class CacheSettings(Section):
    """``tiketi:cache``: the ElastiCache replication group (spec 4.4)."""

    engine: Literal["redis", "valkey"] = Field(default="redis", description="cache engine")
    engine_version: VersionString = Field(
        default="7.1", description="engine version; its major picks the parameter group family",
        json_schema_extra=allowed("quoted; redis 6 or 7, valkey 7 or 8"))
    node_type: str = Field(
        description="node size: a per-stack cost decision",
        json_schema_extra=allowed("`cache.<family>.<size>` ElastiCache offers (components/config/catalog.py)"))
    nodes: int = Field(default=2, ge=1, le=6, description="primary plus replicas")
    multi_az: bool = Field(default=True, description="Multi-AZ with automatic failover; needs 2 or more nodes")
    transit_encryption: bool = Field(default=True, description="TLS between clients and the cache")
    auth_token: bool = Field(default=True, description="require the generated AUTH token; needs transitEncryption")
    # ElastiCache ModifyReplicationGroup AuthTokenUpdateStrategy: "ROTATE - default … SET - allowed only
    # after ROTATE"; DELETE (moving to RBAC) is not offered. The provider sends it with the current token
    # whenever the token or this value changes (terraform-provider-aws replication_group.go,
    # d.HasChanges("auth_token", "auth_token_update_strategy")), so ROTATE -> SET revokes the old token.
    auth_token_update_strategy: Literal["ROTATE", "SET"] = Field(
        default="ROTATE", description="how a changed AUTH token is applied: ROTATE keeps the old token valid next to "
                                      "the new one; SET, once the services use the new one, revokes the old "
                                      "(docs/operations.md, secret rotation)")
    snapshot_retention_days: int = Field(default=7, ge=0, le=35, description="daily snapshots kept (0: none)")
    final_snapshot: bool = Field(default=True, description="take a snapshot when the replication group is deleted")
    log_retention_days: RetentionDays = Field(default=30, description="slow-log and engine-log groups")
    alarms: CacheAlarmSettings = Field(default=CacheAlarmSettings(), description="alarm thresholds")

    @field_validator("node_type")
    @classmethod
    def _allowed_node(cls, node_type: str) -> str:
        return check_instance_class(node_type, ELASTICACHE_NODE_TYPES)

    @model_validator(mode="after")
    def _consistent(self) -> CacheSettings:
        majors = CACHE_FAMILIES[self.engine]
        if self.engine_version.split(".")[0] not in majors:
            raise KeyProblemError(
                "tiketi:cache.engineVersion", self.engine_version,
                f"has no known {self.engine} parameter group family; expected major version "
                f"{' or '.join(majors)}",
            )
        if self.multi_az and self.nodes < 2:
            raise KeyProblemError(
                "tiketi:cache.multiAz", True,
                f"needs at least 2 nodes (tiketi:cache.nodes is {self.nodes}): a replica to fail over to",
            )
        if self.auth_token and not self.transit_encryption:
            raise KeyProblemError(
                "tiketi:cache.authToken", True,
                "needs tiketi:cache.transitEncryption: ElastiCache accepts an AUTH token only with in-transit "
                "encryption",
            )
        if self.auth_token_update_strategy == "SET" and not self.auth_token:  # noqa: S105 (a strategy name)
            raise KeyProblemError(
                "tiketi:cache.authTokenUpdateStrategy", "SET",
                "needs tiketi:cache.authToken: without a token there is nothing to set; expected ROTATE (the default)",
            )
        return self

    @property
    def parameter_group_family(self) -> str:
        return CACHE_FAMILIES[self.engine][self.engine_version.split(".")[0]]

    @property
    def failover(self) -> bool:
        # Automatic failover and Multi-AZ exactly when there is a replica to fail over to.
        return self.nodes > 1


# --- tiketi:kafka: Amazon MSK (provisioned, Standard brokers) --------------------------------

# KRaft versions MSK creates clusters with. MSK's table lists 3.7.x to 4.0.x as supported with no
# end-of-support date, 3.8.x "Recommended" (https://docs.aws.amazon.com/msk/latest/developerguide/
# supported-kafka-versions.html); 4.1.x.kraft is in AWS CDK's MSK version list (aws/aws-cdk
# packages/@aws-cdk/aws-msk-alpha/lib/cluster-version.ts, v2.275.0). CreateCluster needs the
# ".kraft" suffix for KRaft mode, and the mode cannot change after creation
# (https://docs.amazonaws.cn/en_us/msk/latest/developerguide/kraft-intro.html): ZooKeeper
# versions are refused so a cluster never starts in the mode Kafka 4 removed.
MSK_KAFKA_VERSIONS = ("3.7.x.kraft", "3.8.x.kraft", "3.9.x.kraft", "4.0.x.kraft", "4.1.x.kraft")
MonitoringLevel = Literal["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"]
_SCRAM_USER = re.compile(r"[a-z][a-z0-9-]{0,31}")


class KafkaAlarmSettings(Section):
    """``tiketi:kafka.alarms``: thresholds of the MSK cluster's CloudWatch alarms."""

    disk_used_percent: float = Field(
        default=85, gt=0, le=100,
        description="alarm when a broker's data disk (KafkaDataLogsDiskUsed) reaches this percentage; MSK's "
                    "best practices name 85 %, storage autoscaling targets storageTargetPercent below it")


class KafkaSettings(Section):
    """``tiketi:kafka``: the Amazon MSK cluster the Spring services use on AWS (staging, prod)."""

    version: str = Field(
        default="3.8.x.kraft", description="MSK Kafka version in KRaft mode (MSK's recommended 3.8.x by default); "
                                           "upgrades are in place, a downgrade replaces the cluster",
        json_schema_extra=allowed(", ".join(f"`{v}`" for v in MSK_KAFKA_VERSIONS)))
    instance_type: str = Field(
        default="kafka.m7g.large", description="Standard broker size",
        json_schema_extra=allowed("`kafka.<family>.<size>` MSK offers for Standard brokers "
                                  "(components/config/catalog.py); not Express (`express.*`)"))
    brokers: int | None = Field(
        default=None, ge=2, description="broker count (default one per zone); can only grow",
        json_schema_extra=allowed("2 or more, a multiple of tiketi:network.availabilityZones' count"))
    volume_gb: int = Field(default=100, ge=1, le=16384, description="initial EBS storage per broker, GiB; "
                           "afterwards storage autoscaling owns the size (storage only grows)")
    max_volume_gb: int = Field(default=1000, ge=1, le=16384, description="storage autoscaling ceiling per "
                               "broker, GiB; at least volumeGb")
    storage_target_percent: int = Field(default=60, ge=10, le=80, description="disk use that storage "
                                        "autoscaling keeps each broker under (MSK recommends 50-60)")
    replication_factor: int | None = Field(
        default=None, ge=2, description="default.replication.factor and the internal topics' replication "
                                        "(default min(3, brokers))",
        json_schema_extra=allowed("2 up to the broker count"))
    min_insync_replicas: int | None = Field(
        default=None, ge=1, description="min.insync.replicas (default replicationFactor - 1), so rolling broker "
                                        "restarts keep producers writing",
        json_schema_extra=allowed("1 up to replicationFactor - 1"))
    retention_hours: int = Field(default=168, ge=1, description="log.retention.hours for topics that set no "
                                 "retention.ms")
    enhanced_monitoring: MonitoringLevel = Field(
        default="PER_BROKER", description="CloudWatch metrics level; DEFAULT is free, the others are billed")
    log_retention_days: RetentionDays = Field(default=30, description="the broker log group")
    deletion_protection: bool = Field(default=True, description="protect the cluster in Pulumi state "
                                      "(pulumi destroy stops at it); MSK has no deletion protection of its own")
    scram_users: list[str] = Field(
        default=["services"], min_length=1, description="SASL/SCRAM users, one AmazonMSK_<stack>-<user> secret "
                                                        "each; add one to rotate credentials (docs/operations.md)",
        json_schema_extra=allowed("distinct lower-case names (letters, digits, `-`), at most 32 characters"))
    client_user: str = Field(default="services", description="the SCRAM user the services log in as",
                             json_schema_extra=allowed("one of scramUsers"))
    alarms: KafkaAlarmSettings = Field(default=KafkaAlarmSettings(), description="alarm thresholds")

    @field_validator("version")
    @classmethod
    def _known_version(cls, version: str) -> str:
        if version not in MSK_KAFKA_VERSIONS:
            raise ValueError(f"is not an MSK KRaft version this program creates; expected one of "
                             f"{', '.join(MSK_KAFKA_VERSIONS)}{did_you_mean(version, MSK_KAFKA_VERSIONS)}")
        return version

    @field_validator("instance_type")
    @classmethod
    def _standard_broker(cls, instance_type: str) -> str:
        # Express brokers manage their own storage and configuration: the EBS storage, storage
        # autoscaling and disk alarms of this component do not apply to them.
        if instance_type.startswith("express."):
            raise ValueError("is an Express broker size; this program runs Standard brokers (kafka.<family>.<size>)")
        return check_instance_class(instance_type, MSK_BROKER_TYPES)

    @field_validator("scram_users")
    @classmethod
    def _users(cls, users: list[str]) -> list[str]:
        if len(set(users)) != len(users) or not all(_SCRAM_USER.fullmatch(user) for user in users):
            raise ValueError("must be distinct lower-case names (letters, digits, '-', at most 32 characters, "
                             "starting with a letter)")
        return users

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSettings:
        if self.max_volume_gb < self.volume_gb:
            raise KeyProblemError("tiketi:kafka.maxVolumeGb", self.max_volume_gb,
                                  f"is below volumeGb ({self.volume_gb}); storage autoscaling only grows")
        if self.client_user not in self.scram_users:
            raise KeyProblemError("tiketi:kafka.clientUser", self.client_user,
                                  f"is not one of scramUsers ({', '.join(self.scram_users)})")
        return self

    def sizing(self, zones: int) -> KafkaSizing:
        """Broker count and replication for a stack with ``zones`` availability zones (validated by StackConfig)."""
        brokers = self.brokers or zones
        replication = self.replication_factor or min(3, brokers)
        return KafkaSizing(brokers, replication, self.min_insync_replicas or max(1, replication - 1))


class KafkaSizing(NamedTuple):
    brokers: int
    replication_factor: int
    min_insync_replicas: int
