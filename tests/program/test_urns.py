"""No refactor replaces a resource: every stack's URNs equal the committed list (tests/golden/urns/).

The golden files were taken from the program before the move to tier packages; the move
kept every URN. A change that adds resources rewrites them with ``make urns``; one that
removes or renames a resource shows the vanished URN in review.
"""

from __future__ import annotations

import dataclasses

from tools.harness.mock_engine import Registration
from tools.harness.urns import STATEFUL_TYPES, alias_urns, compare, golden_urns


def test_every_stack_has_exactly_the_committed_urns(any_stack):
    assert compare(any_stack.run, golden_urns(any_stack.stack)) == []


def _renamed(run, urn: str, new_name: str, aliases=()):
    registrations = []
    for r in run.registrations:
        if r.urn == urn:
            r = dataclasses.replace(r, name=new_name, urn=urn.rsplit("::", 1)[0] + f"::{new_name}",
                                    aliases=tuple(aliases))
        registrations.append(r)
    return dataclasses.replace(run, registrations=registrations)


def test_a_renamed_stateful_resource_is_reported_as_data_loss(prod):
    [database] = prod.all("aws:rds/instance:Instance")
    renamed = _renamed(prod.run, database.urn, "database-primary")
    problems = compare(renamed, golden_urns("prod"))
    assert problems == [
        f"prod: URN gone (STATEFUL: its data would be lost): {database.urn}",
        f"prod: new URN not in tests/golden/urns/prod.txt: {database.urn.rsplit('::', 1)[0]}::database-primary",
    ]


def test_a_rename_with_an_alias_keeps_the_resource(prod):
    [database] = prod.all("aws:rds/instance:Instance")
    alias = {"name": database.name, "type": "", "parentUrn": "", "noParent": False}
    renamed = _renamed(prod.run, database.urn, "database-primary", aliases=[alias])
    [moved] = [r for r in renamed.registrations if r.name == "database-primary"]
    assert alias_urns(renamed, moved) == {database.urn}
    golden = golden_urns("prod") - {database.urn} | {moved.urn}
    assert compare(renamed, golden | {database.urn}) == []


def test_stateful_types_include_every_data_store_the_program_creates(prod, local):
    created = {r.type for snap in (prod, local) for r in snap.registrations}
    expected = {"aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup",
                "aws:s3/bucket:Bucket", "aws:sqs/queue:Queue", "aws:eks/cluster:Cluster",
                "aws:secretsmanager/secret:Secret", "aws:ecr/repository:Repository",
                "aws:cloudwatch/logGroup:LogGroup", "aws:ec2/vpc:Vpc", "aws:kms/key:Key",
                "kubernetes:core/v1:PersistentVolumeClaim"}
    assert expected <= created
    assert expected <= STATEFUL_TYPES


def test_registration_records_aliases_and_dependencies(prod):
    # The recording monitor keeps what the URN and deploy-order checks read.
    assert all(isinstance(r, Registration) and isinstance(r.all_dependencies, tuple) for r in prod.registrations)
    [node_group] = prod.all("aws:eks/nodeGroup:NodeGroup")
    [cluster] = prod.all("aws:eks/cluster:Cluster")
    assert cluster.urn in node_group.all_dependencies
