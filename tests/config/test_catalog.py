"""components/config/catalog.py: the instance names AWS really offers, checked against AWS's own lists."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import botocore
import pytest

from components.config.catalog import (
    ALB_TLS_POLICIES,
    EC2_NODE_SIZES,
    EKS_NODE_INSTANCE_TYPES,
    ELASTICACHE_NODE_TYPES,
    MSK_BROKER_TYPES,
    RDS_POSTGRES_CLASSES,
    check_instance_class,
    rds_default_max_connections,
    rds_memory_gib,
)

BOTOCORE_DATA = Path(botocore.__file__).parent / "data"


def service_model(service: str, version: str) -> dict:
    return json.loads(gzip.open(BOTOCORE_DATA / service / version / "service-2.json.gz").read())


def test_every_eks_node_family_has_exactly_the_sizes_ec2_offers():
    # The EC2 API's InstanceType enum (botocore's ec2 model) is the list of every instance type.
    offered = service_model("ec2", "2016-11-15")["shapes"]["InstanceType"]["enum"]
    for family, sizes in EKS_NODE_INSTANCE_TYPES.families.items():
        assert sorted(sizes) == sorted(t.split(".", 1)[1] for t in offered if t.split(".")[0] == family), family


def test_every_elasticache_node_type_is_a_documented_current_generation_one():
    # The ElastiCache API reference lists the node types in CacheNodeType's documentation.
    doc = service_model("elasticache", "2015-02-02")["shapes"]["CacheCluster"]["members"]["CacheNodeType"]
    text = re.sub(r"<[^>]+>", " ", doc["documentation"])
    current = text.split("Previous generation")[0] + text.split("Memory optimized")[1].split("Previous generation")[0]
    documented = set(re.findall(r"cache\.[a-z0-9]+\.[a-z0-9]+", current))
    for stem, sizes in ELASTICACHE_NODE_TYPES.families.items():
        assert {f"{stem}.{size}" for size in sizes} == {t for t in documented if t.rsplit(".", 1)[0] == stem}, stem


@pytest.mark.parametrize("name", ["db.t4g.micro", "db.t3.2xlarge", "db.m6g.large", "db.r6g.16xlarge",
                                  "db.m6i.32xlarge", "db.m7i.48xlarge", "db.r7g.xlarge"])
def test_real_rds_classes_pass(name):
    assert check_instance_class(name, RDS_POSTGRES_CLASSES) == name


@pytest.mark.parametrize("name,why", [
    ("db.m6g.micro", "db.m6g comes in large,"),  # Graviton classes start at large
    ("db.m6i.48xlarge", "db.m6i comes in large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, 24xlarge, "
                        "32xlarge"),
    ("db.m7i.32xlarge", "db.m7i comes in large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, 24xlarge, "
                        "48xlarge"),
    ("db.t4g.4xlarge", "db.t4g comes in micro, small, medium, large, xlarge, 2xlarge"),
    ("r6g.large", "expected db.<family>.<size>"),
])
def test_rds_classes_that_do_not_exist_are_refused(name, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        check_instance_class(name, RDS_POSTGRES_CLASSES)


def test_msk_broker_sizes():
    # "Amazon MSK broker sizes": kafka.t3.small, kafka.m5.large-24xlarge, kafka.m7g.large-16xlarge,
    # and Express brokers on M7g only.
    for name in ("kafka.t3.small", "kafka.m5.24xlarge", "kafka.m7g.16xlarge", "express.m7g.large"):
        assert check_instance_class(name, MSK_BROKER_TYPES) == name
    for name, why in (("kafka.m7g.24xlarge", "kafka.m7g comes in large,"), ("express.m5.large", "expected "),
                      ("kafka.t3.medium", "kafka.t3 comes in small")):
        with pytest.raises(ValueError, match=re.escape(why)):
            check_instance_class(name, MSK_BROKER_TYPES)


def test_a_misspelt_size_gets_the_closest_real_name():
    with pytest.raises(ValueError, match=re.escape("(did you mean cache.r7g.xlarge?)")):
        check_instance_class("cache.r7g.xlage", ELASTICACHE_NODE_TYPES)


def test_graviton_families_are_the_arm_ones():
    assert EKS_NODE_INSTANCE_TYPES.graviton == {f for f in EKS_NODE_INSTANCE_TYPES.families if f.endswith("g")}


def test_alb_tls_policies_are_the_policy_packs_tls13_list():
    document = json.loads((Path(__file__).resolve().parents[2] / "policy" / "alb_tls_policies.json").read_text())
    assert tuple(document["policies"]) == ALB_TLS_POLICIES
    assert all(p.startswith("ELBSecurityPolicy-TLS13-1-") for p in ALB_TLS_POLICIES)


def test_every_node_instance_type_has_its_size_and_architecture():
    # ec2_node_sizes.json is Karpenter's generated instance-type reference for these families.
    assert set(EC2_NODE_SIZES) == set(EKS_NODE_INSTANCE_TYPES.names)
    for name, size in EC2_NODE_SIZES.items():
        graviton = EKS_NODE_INSTANCE_TYPES.family_of(name) in EKS_NODE_INSTANCE_TYPES.graviton
        assert size.arch == ("arm64" if graviton else "amd64"), name
    assert (EC2_NODE_SIZES["m7g.large"].vcpu, EC2_NODE_SIZES["m7g.large"].memory_mi) == (2, 8192)
    assert (EC2_NODE_SIZES["c7g.xlarge"].vcpu, EC2_NODE_SIZES["c7g.xlarge"].memory_mi) == (4, 8192)


def kube_reserved_cpu_m(vcpus: int) -> int:
    """Karpenter's kube-reserved CPU: 6 % of the first core, 1 % of the second, 0.5 % of the next two,
    0.25 % above four (aws/karpenter-provider-aws pkg/providers/instancetype/types.go kubeReservedResources)."""
    millis, reserved = vcpus * 1000, 0.0
    for start, end, share in ((0, 1000, 0.06), (1000, 2000, 0.01), (2000, 4000, 0.005), (4000, 1 << 31, 0.0025)):
        if millis >= start:
            reserved += int((min(millis, end) - start) * share)
    return int(reserved)


def kube_reserved_memory_mi(pods: int) -> int:
    return 11 * pods + 255


def test_the_allocatable_figures_follow_karpenters_own_formulas():
    # CPU: capacity - kube-reserved. Memory: capacity (less the 64 MiB Graviton keeps for CMA) - 7.5 % VM
    # overhead (rounded up) - kube-reserved - the 100Mi eviction threshold (types.go memory, evictionThreshold).
    for name, size in EC2_NODE_SIZES.items():
        assert size.allocatable_cpu_m == size.vcpu * 1000 - kube_reserved_cpu_m(size.vcpu), name
        memory = size.memory_mi - (64 if size.arch == "arm64" else 0)
        expected = memory - -(-memory * 75 // 1000) - kube_reserved_memory_mi(size.pods) - 100
        assert size.allocatable_memory_mi == expected, name


# Memory per class from the RDS instance class tables (Amazon RDS User Guide, "Hardware specifications").
@pytest.mark.parametrize("name,gib", [("db.t4g.medium", 4), ("db.t3.micro", 1), ("db.r6g.large", 16),
                                      ("db.t4g.small", 2), ("db.t4g.large", 8), ("db.m7g.large", 8),
                                      ("db.m7g.xlarge", 16), ("db.r7g.4xlarge", 128), ("db.r7g.8xlarge", 256),
                                      ("db.r7g.12xlarge", 384), ("db.r7g.16xlarge", 512), ("db.m6i.24xlarge", 384),
                                      ("db.m7g.2xlarge", 32), ("db.r7i.48xlarge", 1536), ("db.m6i.32xlarge", 512)])
def test_rds_memory_per_class(name, gib):
    assert rds_memory_gib(name) == gib


def test_rds_default_max_connections():
    # LEAST(DBInstanceClassMemory/9531392, 5000): 4 GiB -> at most 450; 90 % stays at or under RDS's default.
    assert (rds_default_max_connections(4), rds_default_max_connections(4, 0.9)) == (450, 405)
    assert rds_default_max_connections(64) == 5000


def test_node_sizes_cannot_be_changed_by_whoever_reads_them():
    # The capacity check and Karpenter's NodePool read the same table: a caller must not shrink it for the other.
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        EC2_NODE_SIZES["m7g.large"].vcpu = 4
