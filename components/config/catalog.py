"""What AWS really offers, for the names the stack config may hold: instance classes and TLS policies.

The mock engine accepts any string, and AWS refuses a name that does not exist only at
create time (``db.m6g.micro`` would fail half an hour into a first deploy, after the VPC
and EKS). Each table below is a family -> sizes matrix for the families this program
allows, taken from AWS's own lists:

- RDS for PostgreSQL: "DB instance class types" and "Supported DB engines for DB instance
  classes" in the RDS User Guide
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html),
  as DescribeOrderableDBInstanceOptions answers in ap-northeast-2. Graviton classes start at
  ``large`` (there is no ``db.m6g.micro``); the 7th-generation Intel classes jump from
  24xlarge to 48xlarge.
- ElastiCache: the current-generation node types of the ElastiCache API reference
  (``CacheNodeType``; the same text ships in botocore's elasticache service model, which
  tests/config/test_catalog.py reads to check this table).
- EC2 (EKS managed node groups): the ``InstanceType`` enum of the EC2 API (botocore's ec2
  service model; the test checks every family against it, sizes included).
- EC2 node sizes (vCPUs, memory, architecture and what a node leaves to pods): the table
  Karpenter generates from the EC2 API for its docs (``ec2_node_sizes.json``, source inside),
  read by the capacity check (components/capacity/).
- RDS memory per class: "Hardware specifications for DB instance classes" in the RDS User Guide
  (db.t4g.medium 4 GiB, db.r6g.large 16 GiB; burstable micro..2xlarge 1..32 GiB, M classes
  8 GiB at large and R classes 16 GiB, doubling with each size), for ``max_connections``.
- Amazon MSK: "Amazon MSK broker sizes"
  (https://docs.aws.amazon.com/msk/latest/developerguide/broker-instance-sizes.html), for the
  brokers the MSK issue adds (``check_instance_class(value, MSK_BROKER_TYPES)``).

The ALB TLS policies are one list shared with the policy pack (``policy/alb_tls_policies.json``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from components.config.base import did_you_mean

_GRAVITON_LARGE_UP = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_BURSTABLE = ("micro", "small", "medium", "large", "xlarge", "2xlarge")
_INTEL_6TH = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge")
_INTEL_7TH = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")


@dataclass(frozen=True)
class InstanceCatalog:
    """One service's instance names, ``<stem>.<size>``: the stem is the family with the service's
    prefix (``db.r6g``, ``cache.t4g``, ``kafka.m7g``) or, for EC2, the family alone (``m7g``)."""

    service: str  # how an error names it: "RDS for PostgreSQL instance class"
    families: dict[str, tuple[str, ...]]  # stem -> sizes
    graviton: frozenset[str] = frozenset()  # stems on Arm (AWS Graviton)

    @property
    def names(self) -> list[str]:
        return [f"{stem}.{size}" for stem, sizes in self.families.items() for size in sizes]

    def family_of(self, name: str) -> str:
        return name.rsplit(".", 1)[0]

    def expected(self) -> str:
        """``db.<family>.<size> with family one of t4g, t3, ...`` (grouped by prefix)."""
        by_prefix: dict[str, list[str]] = {}
        for stem in self.families:
            prefix, _, family = stem.rpartition(".")
            by_prefix.setdefault(prefix, []).append(family)
        return "; or ".join(
            f"{prefix + '.' if prefix else ''}<family>.<size> with family one of {', '.join(families)}"
            for prefix, families in by_prefix.items())


RDS_POSTGRES_CLASSES = InstanceCatalog(
    service="RDS for PostgreSQL instance class",
    families={
        "db.t4g": _BURSTABLE, "db.t3": _BURSTABLE,
        "db.m6g": _GRAVITON_LARGE_UP, "db.m7g": _GRAVITON_LARGE_UP,
        "db.m6i": _INTEL_6TH, "db.m7i": _INTEL_7TH,
        "db.r6g": _GRAVITON_LARGE_UP, "db.r7g": _GRAVITON_LARGE_UP,
        "db.r6i": _INTEL_6TH, "db.r7i": _INTEL_7TH,
    },
)

ELASTICACHE_NODE_TYPES = InstanceCatalog(
    service="ElastiCache node type",
    families={
        "cache.t4g": ("micro", "small", "medium"), "cache.t3": ("micro", "small", "medium"),
        "cache.m6g": _GRAVITON_LARGE_UP, "cache.m7g": _GRAVITON_LARGE_UP,
        "cache.r6g": _GRAVITON_LARGE_UP, "cache.r7g": _GRAVITON_LARGE_UP,
    },
)

_EC2_GRAVITON = ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "metal")
_EC2_BURSTABLE = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")
_EC2_INTEL_6TH = (*_INTEL_6TH, "metal")
_EC2_INTEL_7TH = (*_INTEL_7TH, "metal-24xl", "metal-48xl")
EKS_NODE_INSTANCE_TYPES = InstanceCatalog(
    service="EC2 instance type",
    families={
        "t4g": _EC2_BURSTABLE, "m6g": _EC2_GRAVITON, "m7g": _EC2_GRAVITON, "c6g": _EC2_GRAVITON,
        "c7g": _EC2_GRAVITON, "r6g": _EC2_GRAVITON, "r7g": _EC2_GRAVITON,
        "t3": _EC2_BURSTABLE, "m6i": _EC2_INTEL_6TH, "c6i": _EC2_INTEL_6TH, "r6i": _EC2_INTEL_6TH,
        "m7i": _EC2_INTEL_7TH, "c7i": _EC2_INTEL_7TH, "r7i": _EC2_INTEL_7TH,
    },
    graviton=frozenset({"t4g", "m6g", "m7g", "c6g", "c7g", "r6g", "r7g"}),
)

MSK_BROKER_TYPES = InstanceCatalog(
    service="Amazon MSK broker size",
    families={
        "kafka.t3": ("small",), "kafka.m5": (*_GRAVITON_LARGE_UP, "24xlarge"), "kafka.m7g": _GRAVITON_LARGE_UP,
        "express.m7g": _GRAVITON_LARGE_UP,
    },
)


def check_instance_class(value: str, catalog: InstanceCatalog) -> str:
    """Accept a real name from ``catalog``; else say which part is wrong and what exists."""
    if value in catalog.names:
        return value
    stem = catalog.family_of(value)
    if stem in catalog.families:  # a real family, a size it does not come in
        sizes = catalog.families[stem]
        hint = did_you_mean(value, [f"{stem}.{size}" for size in sizes])
        raise ValueError(f"is not an allowed {catalog.service}; {stem} comes in {', '.join(sizes)}{hint}")
    raise ValueError(f"is not an allowed {catalog.service}; expected {catalog.expected()}"
                     f"{did_you_mean(value, catalog.names)}")


@dataclass(frozen=True)
class NodeSize:
    """One EC2 instance type as Karpenter sees it: capacity, and what is left for pods (allocatable:
    after kube-reserved, the 100Mi eviction threshold and Karpenter's 7.5 % VM memory overhead)."""

    name: str
    vcpu: int
    memory_mi: int
    arch: str  # "arm64" | "amd64"
    allocatable_cpu_m: int
    allocatable_memory_mi: int
    pods: int


def _node_sizes() -> dict[str, NodeSize]:
    table = json.loads((Path(__file__).with_name("ec2_node_sizes.json")).read_text())
    return {name: NodeSize(name, *row) for name, row in table.items() if not name.startswith("_")}


EC2_NODE_SIZES: dict[str, NodeSize] = _node_sizes()

# RDS memory (GiB) at the smallest size of each class letter, and the factor each larger size applies.
_RDS_BASE_GIB = {"t": ("micro", 1), "m": ("large", 8), "r": ("large", 16)}
_RDS_FACTOR = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64,
               "8xlarge": 128, "12xlarge": 192, "16xlarge": 256, "24xlarge": 384, "32xlarge": 512,
               "48xlarge": 768}


def rds_memory_gib(instance_class: str) -> int:
    """Nominal memory of an RDS class (``db.r6g.large`` -> 16)."""
    _, family, size = instance_class.split(".")
    base_size, base_gib = _RDS_BASE_GIB[family[0]]
    return base_gib * _RDS_FACTOR[size] // _RDS_FACTOR[base_size]


# RDS's default max_connections: LEAST(DBInstanceClassMemory/9531392, 5000) (AWS Prescriptive Guidance,
# "Tuning PostgreSQL parameters: max_connections").
RDS_BYTES_PER_CONNECTION = 9531392
RDS_MAX_CONNECTIONS_CAP = 5000


def rds_default_max_connections(memory_gib: int, share: float = 1.0) -> int:
    """RDS's formula on ``share`` of the nominal memory.

    With ``share=1`` it is an upper bound: DBInstanceClassMemory is smaller than the nominal size
    (the OS and RDS processes keep some; ~413 is observed on a 4 GiB class where the nominal
    formula gives 450). ``share=0.9`` stays at or under what RDS itself would set."""
    return min(math.floor(share * memory_gib * 1024 ** 3 / RDS_BYTES_PER_CONNECTION), RDS_MAX_CONNECTIONS_CAP)


ALB_TLS_POLICY_FILE = Path(__file__).resolve().parents[2] / "policy" / "alb_tls_policies.json"
ALB_TLS_POLICIES: tuple[str, ...] = tuple(json.loads(ALB_TLS_POLICY_FILE.read_text())["policies"])
