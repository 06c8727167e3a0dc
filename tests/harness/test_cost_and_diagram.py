"""The monthly cost estimate (prices.yaml, keyed by resource type) and the diagram drawn from the registrations."""

from __future__ import annotations

import copy
import json
import re
from datetime import date

import pytest
import yaml

from components.config import eks_versions
from tests.conftest import AWS_STACKS, STACKS, snapshot_of
from tools.harness import inventory
from tools.harness.mock_engine import ROOT, run_program
from tools.harness.review import cost, diagram
from tools.harness.snapshot import Snapshot

TABLE = cost.price_table()
HOURS = TABLE["hours_per_month"]


def doc_of(snap: Snapshot) -> dict:
    return inventory.normalise(json.loads(inventory.dumps(inventory.document(snap))))


def line(lines: list[cost.Line], resource: str, what: str) -> cost.Line:
    [found] = [ln for ln in lines if ln.resource == resource and ln.what.startswith(what)]
    return found


# --- cost ---------------------------------------------------------------------------------------


def test_the_price_table_names_a_source_and_both_regions_for_every_price():
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", TABLE["compiled"])
    for key, price in TABLE["prices"].items():
        assert price["source"] in TABLE["sources"], key
        assert isinstance(price["ap-northeast-2"], float | int) and isinstance(price["us-east-1"], float | int), key
        assert set(price.get("checked", [])) <= {"ap-northeast-2", "us-east-1"}, key
    for family in TABLE["instances"].values():
        assert family["source"] in TABLE["sources"]
    assert all(s["url"].startswith("https://aws.amazon.com/") for s in TABLE["sources"].values())


def test_every_aws_type_the_stacks_register_is_priced_or_free():
    for stack in STACKS:
        assert cost.unpriced_types(doc_of(snapshot_of(stack))["resources"]) == [], stack


def test_every_size_the_stacks_register_has_a_price_in_both_regions():
    for stack in AWS_STACKS:
        snap = snapshot_of(stack)
        chosen = [("rds-postgresql", r.inputs["instanceClass"]) for r in snap.all("aws:rds/instance:Instance")]
        chosen += [("elasticache", r.inputs["nodeType"])
                   for r in snap.all("aws:elasticache/replicationGroup:ReplicationGroup")]
        chosen += [("ec2", t) for r in snap.all("aws:eks/nodeGroup:NodeGroup") for t in r.inputs["instanceTypes"]]
        assert len(chosen) >= 3, stack
        for family, size in chosen:
            row = TABLE["instances"][family][size]
            assert {"ap-northeast-2", "us-east-1"} <= set(row), f"{stack}: {size}"
    assert {"kafka.t3.small", "kafka.m5.large", "kafka.m7g.large"} <= set(TABLE["instances"]["msk"])


def test_prod_lines_follow_the_configuration(prod):
    lines = cost.estimate(doc_of(prod))
    nat = TABLE["prices"]["nat_gateway_hour"]["ap-northeast-2"]
    gateways = [ln for ln in lines if ln.what == "NAT gateway"]
    assert len(gateways) == 3 and all(ln.monthly == round(nat * HOURS, 2) for ln in gateways)
    r6g = TABLE["instances"]["rds-postgresql"]["db.r6g.large"]["ap-northeast-2"]
    database = line(lines, "database-instance", "PostgreSQL db.r6g.large Multi-AZ")
    assert (database.quantity, database.monthly) == (f"2 × {HOURS} h", round(2 * HOURS * r6g, 2))
    nodes = line(lines, "cluster-nodes", "EKS nodes m7g.large")
    assert nodes.quantity == f"3 nodes × {HOURS} h"
    # Karpenter's nodes at rest: the workloads' minimums need 1.47 vCPU beyond the fixed group, one
    # m6g.xlarge (the allowed type that costs least for it), priced on-demand.
    karpenter = line(lines, "node-autoscaling-node-pool", "Karpenter nodes m6g.xlarge")
    m6g = TABLE["instances"]["ec2"]["m6g.xlarge"]["ap-northeast-2"]
    assert (karpenter.quantity, karpenter.monthly) == (f"1 nodes × {HOURS} h", round(HOURS * m6g, 2))
    assert line(lines, "cdn-waf", "WAF web ACL").monthly == 5.0
    assert line(lines, "cdn-distribution", "CloudFront data").assumption == "500 GB a month"
    assert line(lines, "cdn-edge", "Lambda@Edge requests").assumption == "20 million viewer requests a month"


def test_changing_the_instance_class_changes_the_cost_by_its_price_difference(prod):
    base = doc_of(prod)
    head = copy.deepcopy(base)
    [instance] = [e for e in head["resources"] if e["type"] == "aws:rds/instance:Instance"]
    instance["inputs"]["instanceClass"] = "db.r7g.large"
    classes = TABLE["instances"]["rds-postgresql"]
    expected = (classes["db.r7g.large"]["ap-northeast-2"] - classes["db.r6g.large"]["ap-northeast-2"]) * HOURS * 2
    assert cost.total(cost.estimate(head)) - cost.total(cost.estimate(base)) == pytest.approx(expected, abs=0.011)


def test_an_instance_class_changed_in_the_stack_file_moves_the_estimate(staging):
    """End to end: the program registers the configured class, the estimate prices it."""
    database = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())["config"]["tiketi:database"]
    bigger = Snapshot(run_program("staging", {"tiketi:database": json.dumps({**database,
                                                                                "instanceClass": "db.m6g.large"})}))
    classes = TABLE["instances"]["rds-postgresql"]
    old, new = classes[database["instanceClass"]]["ap-northeast-2"], classes["db.m6g.large"]["ap-northeast-2"]
    expected = (new - old) * HOURS
    delta = cost.total(cost.estimate(doc_of(bigger))) - cost.total(cost.estimate(doc_of(staging)))
    assert database["multiAz"] is False
    assert delta == pytest.approx(expected, abs=0.011)


REVIEW_DAY = date(2026, 11, 28)  # 1.33 in extended support since 2026-07-29, 1.35 in standard support


def test_the_control_plane_is_priced_at_the_standard_rate_in_standard_support(prod, monkeypatch):
    monkeypatch.setattr(eks_versions, "today", lambda: REVIEW_DAY)
    plane = line(cost.estimate(doc_of(prod)), "cluster-eks", "EKS control plane")
    assert (plane.what, plane.quantity, plane.monthly) == ("EKS control plane", f"{HOURS} h", 73.0)


def test_a_version_in_extended_support_is_priced_at_the_extended_rate(staging, monkeypatch):
    """End to end: 1.33 with supportType EXTENDED on the review day costs $0.60 instead of $0.10 an hour."""
    monkeypatch.setattr(eks_versions, "today", lambda: REVIEW_DAY)
    cluster = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())["config"]["tiketi:cluster"]
    old = Snapshot(run_program("staging", {"tiketi:cluster": json.dumps({**cluster, "version": "1.33",
                                                                          "supportType": "EXTENDED"})}))
    lines = cost.estimate(doc_of(old))
    plane = line(lines, "cluster-eks", "EKS control plane")
    assert (plane.what, plane.monthly, plane.assumption) == (
        "EKS control plane 1.33 (extended support)", 438.0, "1.33 left standard support on 2026-07-29")
    assert cost.total(lines) - cost.total(cost.estimate(doc_of(staging))) == pytest.approx(365.0, abs=0.011)


def test_a_standard_policy_is_priced_at_the_standard_rate_after_standard_support_ends(prod, monkeypatch):
    # EKS upgrades a STANDARD cluster at the end of standard support instead of billing extended support.
    monkeypatch.setattr(eks_versions, "today", lambda: date(2027, 4, 1))
    doc = doc_of(prod)
    [cluster] = [e for e in doc["resources"] if e["type"] == "aws:eks/cluster:Cluster"]
    assert (cluster["inputs"]["version"], cluster["inputs"]["upgradePolicy"]) == ("1.35", {"supportType": "STANDARD"})
    assert line(cost.estimate(doc), "cluster-eks", "EKS control plane").monthly == 73.0
    cluster["inputs"]["upgradePolicy"] = {"supportType": "EXTENDED"}
    assert line(cost.estimate(doc), "cluster-eks", "EKS control plane").monthly == 438.0


def test_the_local_stack_costs_nothing(local):
    assert cost.estimate(doc_of(local)) == []
    assert "$0.00: this stack creates no AWS resources" in cost.markdown(doc_of(local))


# --- diagram ------------------------------------------------------------------------------------


def edges(snap: Snapshot) -> set[tuple[str, str, str]]:
    model = diagram.build(doc_of(snap))
    return {(model.label_of(e.source), model.label_of(e.target), e.label) for e in model.edges}


def test_prod_diagram_follows_the_traffic(prod):
    found = edges(prod)
    assert {
        ("viewers", "CloudFront", "443"),
        ("CloudFront", "ALB", "443"),                       # the CloudFront prefix list on the ALB's group
        ("CloudFront", "S3", "origin"),
        ("WAF", "CloudFront", "filters"),
        ("ALB", "gateway-service", "3001"),                 # TargetGroupBinding
        ("gateway-service", "ticket-service", ""),          # NetworkPolicy allow-gateway-to-services
        ("gateway-service", "auth-service", ""),
        ("workloads", "RDS Proxy", "5432"),                 # pods use the node group's security group
        ("workloads", "ElastiCache redis cache.r6g.large", "6379"),
        ("RDS Proxy", "RDS PostgreSQL db.r6g.large", "5432"),
        ("SQS FIFO queue", "λ tiketi-prod-ticket-worker", "poll"),
        ("SQS FIFO queue", "SQS DLQ", "dead letters"),
        ("λ tiketi-prod-ticket-worker", "internal ALB", "443"),
        ("internal ALB", "ticket-service", "3002"),
    } <= found
    assert not [e for e in found if e[0] == "internet"]     # no open ingress in prod
    model = diagram.build(doc_of(prod))
    assert {g.label.split(" ")[0] for g in model.groups.values()} >= {"network", "cdn", "database", "workloads"}


def test_staging_diagram_has_the_same_paths_at_its_own_sizes(staging):
    found = edges(staging)
    assert {("workloads", "RDS Proxy", "5432"), ("RDS Proxy", "RDS PostgreSQL db.t4g.medium", "5432"),
            ("WAF", "CloudFront", "filters"), ("CloudFront", "ALB", "443"), ("ALB", "gateway-service", "3001"),
            ("internal ALB", "ticket-service", "3002"),
            ("workloads", "ElastiCache redis cache.t4g.small", "6379")} <= found
    assert not [e for e in found if e[0] == "internet"]


def test_local_diagram_shows_nodeports_and_policies(local):
    found = edges(local)
    assert {("host (kind NodePorts)", "frontend", "30000"), ("host (kind NodePorts)", "gateway-service", "30001"),
            ("promtail", "loki", "3100"), ("grafana", "loki", "3100"),
            ("workloads", "local-platform", "")} <= found


def test_svg_and_mermaid_name_every_node(prod):
    model = diagram.build(doc_of(prod))
    svg, mermaid = diagram.svg(model), diagram.mermaid(model)
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    for node in model.nodes.values():
        assert (node.label.replace("&", "&amp;") in svg and f'["{node.label}"]' in mermaid) or node.group == "external"
    assert mermaid.count("subgraph ") == len(model.groups)


def test_the_msk_cluster_is_priced_by_its_brokers_and_storage(prod):
    """Issue 15's MSK cluster: the table is keyed by type, so its brokers and storage are priced as configured."""
    doc = doc_of(prod)
    lines = cost.estimate(doc)
    broker = TABLE["instances"]["msk"]["kafka.m7g.large"]["ap-northeast-2"]
    assert line(lines, "kafka-cluster", "MSK broker").monthly == round(3 * HOURS * broker, 2)
    storage = TABLE["prices"]["msk_storage_gb_month"]["ap-northeast-2"]
    assert line(lines, "kafka-cluster", "MSK storage").monthly == round(300 * storage, 2)
    assert cost.unpriced_types(doc["resources"]) == []
