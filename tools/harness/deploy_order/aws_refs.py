"""Find the AWS resources a registration refers to, by value, in one program run.

The deploy-order rules cannot follow the dependency graph to learn what a resource needs (a
missing edge is exactly what they look for), so they follow *values*: the bucket an ALB logs
to, the role a function runs as, the cluster a node group joins. A reference matches a
registration by its id (the mock engine gives every resource a unique one) or by the output
AWS uses to name it (ARN, name, bucket name, domain name, queue URL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot, unwrap

ROLE = "aws:iam/role:Role"
ROLE_POLICY_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
# The outputs by which other resources name a resource.
REFERENCE_OUTPUTS = ("arn", "name", "bucket", "bucketDomainName", "bucketRegionalDomainName", "url", "identifier",
                     "qualifiedArn", "keyId")


def get(resource: Registration, *path: str) -> Any:
    """An input value (secrets unwrapped), or None when any step is missing."""
    value: Any = unwrap(resource.inputs)
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def names(resource: Registration) -> set[str]:
    """Every value by which another resource may refer to this one."""
    found = {resource.id} if resource.id else set()
    for key in REFERENCE_OUTPUTS:
        value = resource.outputs.get(key)
        if isinstance(value, str):
            found.add(value)
    return found


def referenced(snap: Snapshot, type_: str, value: Any) -> list[Registration]:
    """The resources of ``type_`` that ``value`` names (none when value is empty)."""
    if not isinstance(value, str) or not value:
        return []
    return [r for r in snap.all(type_) if value in names(r)]


def referenced_all(snap: Snapshot, type_: str, values: Iterable[Any]) -> list[Registration]:
    found: list[Registration] = []
    for value in values:
        found += [r for r in referenced(snap, type_, value) if r not in found]
    return found


def role_policies(snap: Snapshot, role_reference: Any) -> list[Registration]:
    """Every inline policy and managed-policy attachment of the role ``role_reference`` names."""
    found = []
    for role in referenced(snap, ROLE, role_reference):
        role_names = names(role)
        found += [p for type_ in ROLE_POLICY_TYPES for p in snap.all(type_) if get(p, "role") in role_names]
    return found


def same_bucket(snap: Snapshot, type_: str, bucket_reference: Any) -> list[Registration]:
    """The ``type_`` configuration resources of the bucket ``bucket_reference`` names."""
    buckets = referenced(snap, "aws:s3/bucket:Bucket", bucket_reference)
    return [r for bucket in buckets for r in snap.all(type_) if get(r, "bucket") in names(bucket)]


def log_groups_named(snap: Snapshot, *group_names: Any) -> list[Registration]:
    wanted = {n for n in group_names if isinstance(n, str)}
    return [g for g in snap.all(LOG_GROUP) if get(g, "name") in wanted]


def vpcs_of_subnets(snap: Snapshot, subnet_ids: Iterable[Any]) -> set[str]:
    subnets = referenced_all(snap, "aws:ec2/subnet:Subnet", subnet_ids)
    return {get(s, "vpcId") for s in subnets}


def internet_gateways(snap: Snapshot, vpc_ids: set[str]) -> list[Registration]:
    return [g for g in snap.all("aws:ec2/internetGateway:InternetGateway") if get(g, "vpcId") in vpc_ids]


def cluster_name_of(resource: Registration) -> Any:
    return get(resource, "clusterName")


def policy_principals(document: Any) -> set[str]:
    """Every AWS and Federated principal a JSON policy document names."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return set()
    found: set[str] = set()
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        if not isinstance(principal, dict):
            continue
        for kind in ("AWS", "Federated"):
            value = principal.get(kind)
            found.update([value] if isinstance(value, str) else value or [])
    return found
