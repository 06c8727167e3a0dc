"""``tiketi:database`` and ``tiketi:cache``: RDS PostgreSQL with RDS Proxy, ElastiCache (spec 4.3, 4.4)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config.base import KeyProblemError, RetentionDays, Section, VersionString, allowed
from components.config.catalog import ELASTICACHE_NODE_TYPES, RDS_POSTGRES_CLASSES, check_instance_class

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
    allow_major_version_upgrade: bool = Field(default=False,
                                              description="set only while performing a major upgrade")
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
    master_username: str = Field(default="tiketi_admin", description="the master user",
                                 json_schema_extra=allowed("lower-case identifier, not a reserved name"))
    log_retention_days: RetentionDays = Field(default=30, description="the PostgreSQL log group")
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
    def _storage_can_grow(self) -> DatabaseSettings:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise KeyProblemError(
                "tiketi:database.maxAllocatedStorageGb", self.max_allocated_storage_gb,
                f"is below allocatedStorageGb ({self.allocated_storage_gb}); "
                "storage autoscaling needs max >= allocated",
            )
        return self

    @property
    def parameter_group_family(self) -> str:
        return f"postgres{self.engine_version.split('.')[0]}"


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
    snapshot_retention_days: int = Field(default=7, ge=0, le=35, description="daily snapshots kept (0: none)")
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
        return self

    @property
    def parameter_group_family(self) -> str:
        return CACHE_FAMILIES[self.engine][self.engine_version.split(".")[0]]

    @property
    def failover(self) -> bool:
        # Automatic failover and Multi-AZ exactly when there is a replica to fail over to.
        return self.nodes > 1
