"""The URN list of every stack, committed, so a refactor that would replace a resource is seen.

    python -m tools.harness.urns            compare every stack with tests/golden/urns/<stack>.txt
    python -m tools.harness.urns --write    rewrite the golden files (make urns), then review the diff

A URN is ``<stack>::<project>::<parent types$>type::name``: renaming a resource, changing its
type token or its parent's gives it a new URN, and Pulumi deletes the old resource and
creates a new one. For a stateful resource (``STATEFUL_TYPES``) that loses the data. A
rename that must keep the resource carries ``aliases`` naming the old URN; the comparison
accepts an old URN that a current resource names as its alias.
"""

from __future__ import annotations

import argparse
import sys

from tools.harness.mock_engine import ROOT, ProgramRun, Registration, available_stacks, run_program

GOLDEN = ROOT / "tests" / "golden" / "urns"
# Resources whose replacement loses data or breaks what others hold (names, ARNs, keys).
STATEFUL_TYPES = frozenset({
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:rds/instance:Instance", "aws:rds/cluster:Cluster",
    "aws:elasticache/replicationGroup:ReplicationGroup", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
    "aws:sqs/queue:Queue", "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup",
    "aws:secretsmanager/secret:Secret", "aws:ecr/repository:Repository", "aws:cloudwatch/logGroup:LogGroup",
    "aws:kms/key:Key", "aws:msk/cluster:Cluster", "aws:route53/zone:Zone", "aws:acm/certificate:Certificate",
    "random:index/randomPassword:RandomPassword", "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:Namespace",
})


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def alias_urns(run: ProgramRun, resource: Registration) -> set[str]:
    """The URNs a resource's alias specs stand for (the URNs it used to have)."""
    by_urn = {r.urn: r for r in run.registrations}
    found = set()
    for alias in resource.aliases:
        if "urn" in alias:
            found.add(alias["urn"])
            continue
        name = alias.get("name") or resource.name
        type_ = alias.get("type") or resource.type
        parent = None if alias.get("noParent") else (alias.get("parentUrn") or resource.parent)
        qualified = type_ if parent is None or parent not in by_urn else f"{_qualified_type(parent)}${type_}"
        found.add(f"urn:pulumi:{run.stack}::tiketi::{qualified}::{name}")
    return found


def current_urns(run: ProgramRun) -> set[str]:
    return {r.urn for r in run.registrations}


def compare(run: ProgramRun, golden: set[str]) -> list[str]:
    """Problems: golden URNs that vanished (unless aliased) and new URNs not yet in the golden list."""
    current = current_urns(run)
    aliased = set().union(*(alias_urns(run, r) for r in run.registrations)) if run.registrations else set()
    problems = []
    for urn in sorted(golden - current - aliased):
        what = "STATEFUL: its data would be lost" if _qualified_type(urn).split("$")[-1] in STATEFUL_TYPES \
            else "it would be deleted and created anew"
        problems.append(f"{run.stack}: URN gone ({what}): {urn}")
    for urn in sorted(current - golden):
        problems.append(f"{run.stack}: new URN not in {GOLDEN.relative_to(ROOT)}/{run.stack}.txt: {urn}")
    return problems


def golden_urns(stack: str) -> set[str]:
    path = GOLDEN / f"{stack}.txt"
    return set(path.read_text().split()) if path.exists() else set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the golden files")
    options = parser.parse_args(argv)
    problems = []
    for stack in available_stacks():
        run = run_program(stack)
        if options.write:
            GOLDEN.mkdir(parents=True, exist_ok=True)
            (GOLDEN / f"{stack}.txt").write_text("\n".join(sorted(current_urns(run))) + "\n")
        else:
            problems += compare(run, golden_urns(stack))
    for problem in problems:
        print(problem, file=sys.stderr)
    if options.write:
        print(f"wrote {GOLDEN.relative_to(ROOT)}/<stack>.txt; review `git diff {GOLDEN.relative_to(ROOT)}`")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
