"""``tiketi:database`` and ``tiketi:cache``: RDS PostgreSQL with RDS Proxy, ElastiCache (spec 4.3, 4.4)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config.base import KeyProblemError, RetentionDays, Section, check_family_size

# Instance classes RDS PostgreSQL 16 runs on that this program allows (Graviton first).
RDS_INSTANCE_FAMILIES = ("t4g", "t3", "m6g", "m7g", "m6i", "m7i", "r6g", "r7g", "r6i", "r7i")
RDS_INSTANCE_SIZES = ("micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge")
# Major versions with a parameter group family this program knows (postgres<major>).
POSTGRES_MAJOR_VERSIONS = ("15", "16", "17")


class DatabaseAlarmSettings(Section):
    cpu_percent: float = Field(default=80, gt=0, le=100)
    free_storage_gb: float = Field(default=10, gt=0)
    connections: int = Field(default=400, gt=0)


class DatabaseSettings(Section):
    """``tiketi:database``: RDS PostgreSQL and RDS Proxy (spec 4.3)."""

    # Major version only: RDS applies minor versions itself (auto minor upgrades), and a pinned
    # minor would make the next `pulumi up` try to downgrade.
    engine_version: str = "16"
    allow_major_version_upgrade: bool = False
    instance_class: str
    allocated_storage_gb: int = Field(default=50, ge=20, le=65536)
    max_allocated_storage_gb: int = Field(default=200, ge=20, le=65536)
    multi_az: bool = True
    backup_retention_days: int = Field(default=7, ge=1, le=35)
    deletion_protection: bool = True
    final_snapshot: bool = True
    proxy: bool = True
    master_username: str = "tiketi_admin"
    log_retention_days: RetentionDays = 30
    alarms: DatabaseAlarmSettings = DatabaseAlarmSettings()

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
        return check_family_size(instance_class, "db", "instance class", RDS_INSTANCE_FAMILIES, RDS_INSTANCE_SIZES)

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


CACHE_NODE_FAMILIES = ("t4g", "t3", "m6g", "m7g", "r6g", "r7g")
CACHE_NODE_SIZES = ("micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge")
# engine -> major versions -> parameter group family
CACHE_FAMILIES = {"redis": {"6": "redis6.x", "7": "redis7"}, "valkey": {"7": "valkey7", "8": "valkey8"}}


class CacheAlarmSettings(Section):
    cpu_percent: float = Field(default=80, gt=0, le=100)
    memory_percent: float = Field(default=80, gt=0, le=100)
    evictions: int = Field(default=100, ge=0)


class CacheSettings(Section):
    """``tiketi:cache``: the ElastiCache replication group (spec 4.4)."""

    engine: Literal["redis", "valkey"] = "redis"
    engine_version: str = "7.1"
    node_type: str
    nodes: int = Field(default=2, ge=1, le=6)
    multi_az: bool = True
    transit_encryption: bool = True
    auth_token: bool = True
    snapshot_retention_days: int = Field(default=7, ge=0, le=35)
    log_retention_days: RetentionDays = 30
    alarms: CacheAlarmSettings = CacheAlarmSettings()

    @field_validator("node_type")
    @classmethod
    def _allowed_node(cls, node_type: str) -> str:
        return check_family_size(node_type, "cache", "node type", CACHE_NODE_FAMILIES, CACHE_NODE_SIZES)


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
