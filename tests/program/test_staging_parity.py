"""Staging mirrors prod: it composes every resource type prod composes, so a preview of staging runs
prod's code paths (smaller sizes, same components). A difference must be listed below with why.
"""

from __future__ import annotations

from tools.harness.snapshot import Snapshot

# type -> why staging and prod may differ in it. Keep this short; an entry that is no longer a
# difference fails test_every_allowed_difference_is_still_one, so the list cannot rot.
ALLOWED_DIFFERENCES: dict[str, str] = {
    # The final-snapshot name suffixes: staging deletes its database and cache without a final
    # snapshot (finalSnapshot: false), so it has no snapshot to name.
    "random:index/randomId:RandomId": "no final snapshots in staging (tiketi:database/cache.finalSnapshot)",
}


def resource_types(snap: Snapshot) -> set[str]:
    """Every type a stack registers: components, AWS and Kubernetes resources, providers."""
    return {r.type for r in snap.registrations}


def parity_problems(staging: set[str], prod: set[str], allowed: dict[str, str]) -> list[str]:
    problems = [f"prod composes {t} but staging does not" for t in sorted(prod - staging - set(allowed))]
    problems += [f"staging composes {t} but prod does not" for t in sorted(staging - prod - set(allowed))]
    return problems


def test_staging_composes_every_type_prod_composes(staging, prod):
    assert parity_problems(resource_types(staging), resource_types(prod), ALLOWED_DIFFERENCES) == []


def test_every_allowed_difference_is_still_one(staging, prod):
    differing = resource_types(staging) ^ resource_types(prod)
    assert [t for t in ALLOWED_DIFFERENCES if t not in differing] == []


def test_a_component_missing_from_staging_is_reported(staging, prod):
    # What staging looked like before it composed the RDS Proxy and the WAF.
    without = resource_types(staging) - {"aws:rds/proxy:Proxy", "aws:wafv2/webAcl:WebAcl"}
    assert parity_problems(without, resource_types(prod), ALLOWED_DIFFERENCES) == [
        "prod composes aws:rds/proxy:Proxy but staging does not",
        "prod composes aws:wafv2/webAcl:WebAcl but staging does not"]
    assert parity_problems(without, resource_types(prod), {**ALLOWED_DIFFERENCES, "aws:rds/proxy:Proxy": "why",
                                                           "aws:wafv2/webAcl:WebAcl": "why"}) == []


def test_staging_is_smaller_than_prod(staging, prod):
    def count(snap: Snapshot, type_: str) -> int:
        return len(snap.all(type_))

    assert count(staging, "aws:ec2/natGateway:NatGateway") < count(prod, "aws:ec2/natGateway:NatGateway")
    assert staging.one("aws:rds/instance:Instance").inputs["instanceClass"] == "db.t4g.medium"
    assert prod.one("aws:rds/instance:Instance").inputs["instanceClass"] == "db.r6g.large"
