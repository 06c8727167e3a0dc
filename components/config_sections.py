"""The shape of each ``tiketi:<section>`` config object: typed, with secure defaults.

Each section is a frozen pydantic model with camelCase keys (as written in
``Pulumi.<stack>.yaml``) and unknown keys rejected. Validators raise ``ValueError`` with
a message that reads after the key and value (``... "8" is not a CloudWatch Logs
retention period; expected one of ...``); ``components/config.py`` assembles the lines.
Cross-section rules live in ``config.StackConfig``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class _KeyProblemError(ValueError):
    """A cross-field problem that knows which config key it is about."""

    def __init__(self, key: str, value: Any, what: str):
        self.key, self.value, self.what = key, value, what
        super().__init__(what)


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"is not a CloudWatch Logs retention period; expected one of {allowed}")
    return days


def _check_family_size(value: str, prefix: str, what: str, families: tuple, sizes: tuple) -> str:
    """Allow-list an AWS size name such as db.r6g.large: the mock engine would accept any string."""
    match = re.fullmatch(rf"{prefix}\.([a-z0-9]+)\.([a-z0-9]+)", value)
    if not match or match[1] not in families or match[2] not in sizes:
        raise ValueError(
            f"is not an allowed {what}; expected {prefix}.<family>.<size> with family one of "
            f"{', '.join(families)} and size one of {', '.join(sizes)}"
        )
    return value


# A CloudWatch Logs retention period, checked wherever a section has one.
RetentionDays = Annotated[int, AfterValidator(_check_retention)]


class _Section(BaseModel):
    """A config object: camelCase keys in YAML, unknown keys rejected, immutable once parsed."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
    )


class AwsSettings(_Section):
    """Read from the ``aws:`` namespace so explicit providers can copy the default provider."""

    region: str
    default_tags: dict[str, str]

    @field_validator("region")
    @classmethod
    def _region_shape(cls, region: str) -> str:
        if not _REGION_PATTERN.match(region):
            raise ValueError("is not an AWS region name; expected e.g. ap-northeast-2")
        return region


class NetworkSettings(_Section):
    """``tiketi:network``: the VPC the AWS stacks build (see components/network.py)."""

    vpc_cidr: ipaddress.IPv4Network
    availability_zones: list[str] = Field(min_length=2, max_length=3)
    nat_gateways: Literal["perAz", "single"] = "perAz"
    flow_logs_retention_days: RetentionDays = 90

    @field_validator("vpc_cidr")
    @classmethod
    def _private_slash_16(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        # The subnet plan carves fixed /24 and /20 blocks out of a /16 (network.plan_subnets).
        if cidr.prefixlen != 16 or not cidr.is_private:
            raise ValueError("is not allowed; expected a private (RFC 1918) /16 such as 10.0.0.0/16")
        return cidr

    @field_validator("availability_zones")
    @classmethod
    def _unique_zones(cls, zones: list[str]) -> list[str]:
        if len(set(zones)) != len(zones):
            raise ValueError("must name distinct availability zones")
        return zones



class KindSettings(_Section):
    """``tiketi:kubernetes`` on the local stack: which kubeconfig context is the kind cluster."""

    context: str = "kind-tiketi"




class SecretsSettings(_Section):
    """``tiketi:secrets``: how the generated secrets are kept in Secrets Manager."""

    # 0 deletes at once (a scratch stack); otherwise AWS allows 7-30 days to undo a delete.
    recovery_window_days: int = 7

    @field_validator("recovery_window_days")
    @classmethod
    def _window(cls, days: int) -> int:
        if days != 0 and not 7 <= days <= 30:
            raise ValueError("is not a Secrets Manager recovery window; expected 0 or 7 to 30")
        return days


# Instance classes RDS PostgreSQL 16 runs on that this program allows (Graviton first).
RDS_INSTANCE_FAMILIES = ("t4g", "t3", "m6g", "m7g", "m6i", "m7i", "r6g", "r7g", "r6i", "r7i")
RDS_INSTANCE_SIZES = ("micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge")
# Major versions with a parameter group family this program knows (postgres<major>).
POSTGRES_MAJOR_VERSIONS = ("15", "16", "17")


class DatabaseAlarmSettings(_Section):
    cpu_percent: float = Field(default=80, gt=0, le=100)
    free_storage_gb: float = Field(default=10, gt=0)
    connections: int = Field(default=400, gt=0)


class DatabaseSettings(_Section):
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
        return _check_family_size(instance_class, "db", "instance class", RDS_INSTANCE_FAMILIES, RDS_INSTANCE_SIZES)

    @field_validator("master_username")
    @classmethod
    def _username(cls, name: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name) or name in ("postgres", "rdsadmin", "admin"):
            raise ValueError("is not allowed; expected a lower-case identifier that is not a reserved name")
        return name


    @model_validator(mode="after")
    def _storage_can_grow(self) -> DatabaseSettings:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise _KeyProblemError(
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


class CacheAlarmSettings(_Section):
    cpu_percent: float = Field(default=80, gt=0, le=100)
    memory_percent: float = Field(default=80, gt=0, le=100)
    evictions: int = Field(default=100, ge=0)


class CacheSettings(_Section):
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
        return _check_family_size(node_type, "cache", "node type", CACHE_NODE_FAMILIES, CACHE_NODE_SIZES)


    @model_validator(mode="after")
    def _consistent(self) -> CacheSettings:
        majors = CACHE_FAMILIES[self.engine]
        if self.engine_version.split(".")[0] not in majors:
            raise _KeyProblemError(
                "tiketi:cache.engineVersion", self.engine_version,
                f"has no known {self.engine} parameter group family; expected major version "
                f"{' or '.join(majors)}",
            )
        if self.multi_az and self.nodes < 2:
            raise _KeyProblemError(
                "tiketi:cache.multiAz", True,
                f"needs at least 2 nodes (tiketi:cache.nodes is {self.nodes}): a replica to fail over to",
            )
        if self.auth_token and not self.transit_encryption:
            raise _KeyProblemError(
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


class AlertsSettings(_Section):
    """``tiketi:alerts``: who hears about alarms (the stack's SNS topic)."""

    emails: list[str] = []

    @field_validator("emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise ValueError(f"contains {email!r}, which is not an email address")
        return emails
