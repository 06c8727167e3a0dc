"""Every IAM policy document the program creates passes parliament, but for the exceptions listed with their reasons.

Documents are found by shape, not by type: any input (at any depth, JSON text or object) with a
``Statement`` — role trust policies, inline and managed policies, key policies, queue, topic and
bucket policies — on both AWS stacks. parliament 1.6.4 runs with its community auditors.

parliament's own ignore lists (``ignore_locations`` in a config file) are applied only by its CLI
(parliament/cli.py ``is_finding_filtered``); the library returns every finding. So the exceptions
live here, each narrowed to the document kind, the finding and a predicate on the document, with
the reason.
"""

from __future__ import annotations

import fnmatch
import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports pkg_resources (requirements.txt pins setuptools for it)
    import parliament
    from parliament import analyze_policy_string, enhance_finding, override_config

from tools.harness.snapshot import Snapshot, unwrap

# The community auditors' findings need their severities loaded, as the CLI does.
override_config(str(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"))


@dataclass(frozen=True)
class Document:
    resource: str  # "<type> <name>"
    type: str
    key: str  # the input holding it
    policy: dict


@dataclass(frozen=True)
class Excused:
    types: tuple[str, ...]
    key: str
    issue: str
    applies: Callable[[dict, Any], bool]  # (document, finding detail) -> this exception covers it
    reason: str


def _trust_without_resource(policy: dict, detail: Any) -> bool:
    return detail == "Statement contains neither Resource nor NotResource"


def _eks_oidc_federation(policy: dict, detail: Any) -> bool:
    return isinstance(detail, str) and re.fullmatch(
        r"arn:aws:iam::\d{12}:oidc-provider/oidc\.eks\.[a-z0-9-]+\.amazonaws\.com/id/[0-9A-F]{32}", detail) is not None


def _key_policy_resource(policy: dict, detail: Any) -> bool:
    return all(s.get("Resource") == "*" for s in policy["Statement"])


def _root_administers_the_key(policy: dict, detail: Any) -> bool:
    return any(s.get("Action") == "kms:*" and re.fullmatch(r"arn:aws:iam::\d{12}:root", str(
        s.get("Principal", {}).get("AWS"))) for s in policy["Statement"])


def _statements(policy: dict) -> list[dict]:
    statements = policy["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


# Karpenter's controller policy (components/kubernetes/node_autoscaling.py, upstream's
# getting-started CloudFormation policy) manages the instance profiles of its nodes and passes their role.
KARPENTER_IAM_ACTIONS = {"iam:PassRole", "iam:CreateInstanceProfile", "iam:TagInstanceProfile",
                         "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
                         "iam:DeleteInstanceProfile", "iam:GetInstanceProfile", "iam:ListInstanceProfiles"}


def _karpenter_scoped_iam(policy: dict, detail: Any) -> bool:
    """Only the instance-profile actions, every mutation conditioned on this cluster's tags, PassRole to named
    roles and only to EC2."""
    iam_statements = [s for s in _statements(policy) if any(a.startswith("iam:") for a in _listed(s["Action"]))]
    for s in iam_statements:
        actions = set(_listed(s["Action"]))
        if not actions <= KARPENTER_IAM_ACTIONS:
            return False
        if "iam:PassRole" in actions:
            passed = s.get("Condition", {}).get("StringEquals", {}).get("iam:PassedToService")
            if any("*" in r for r in _listed(s["Resource"])) or not passed or \
                    not set(_listed(passed)) <= {"ec2.amazonaws.com", "ec2.amazonaws.com.cn"}:
                return False
        elif actions - {"iam:GetInstanceProfile", "iam:ListInstanceProfiles"} and \
                not any("Tag/kubernetes.io/cluster/" in key for condition in s.get("Condition", {}).values()
                        for key in condition):
            return False
    return bool(iam_statements)


def _launch_resources_in_other_statements(policy: dict, detail: Any) -> bool:
    """Each resource type RunInstances/CreateFleet needs that this statement lacks is allowed by another one."""
    if not isinstance(detail, list):
        return False
    for item in detail:
        if item["action"] not in ("ec2:RunInstances", "ec2:CreateFleet"):
            return False
        if not any(item["action"] in _listed(s["Action"]) and s["Effect"] == "Allow"
                   and any(fnmatch.fnmatchcase(r, item["required_format"]) for r in _listed(s["Resource"]))
                   for s in _statements(policy)):
            return False
    return True


def _public_ssm_parameters(policy: dict, detail: Any) -> bool:
    return isinstance(detail, list) and all(item["action"] == "ssm:GetParameter" for item in detail) and any(
        re.fullmatch(r"arn:aws:ssm:[a-z0-9-]+::parameter/aws/service/\*", r)
        for s in _statements(policy) if "ssm:GetParameter" in _listed(s["Action"]) for r in _listed(s["Resource"]))


KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
INLINE = "aws:iam/rolePolicy:RolePolicy"
EXCEPTIONS = (
    Excused((ROLE,), "assumeRolePolicy", "MALFORMED", _trust_without_resource,
               "a trust policy names no Resource by IAM's grammar (the role is the resource); parliament reads every "
               "document as an identity policy (duo-labs/parliament#229, open)"),
    Excused((ROLE,), "assumeRolePolicy", "UNKNOWN_FEDERATION_SOURCE", _eks_oidc_federation,
               "IRSA trusts the cluster's EKS OIDC provider; parliament knows only Cognito, Amazon, Facebook, Google "
               "and SAML as federation sources (parliament/statement.py)"),
    Excused((KEY,), "policy", "RESOURCE_STAR", _key_policy_resource,
               'in a key policy "Resource": "*" means this key and nothing else (KMS Developer Guide, key-policies: '
               '"the resource is the KMS key")'),
    Excused((KEY,), "policy", "PERMISSIONS_MANAGEMENT_ACTIONS", _root_administers_the_key,
               "the account root's kms:* is KMS's own default key policy; without it IAM policies could not manage "
               "the key and Pulumi would lose it (KMS Developer Guide, key-policy-default)"),
    # Karpenter (issue 14): its controller launches nodes with their own role and instance profile.
    Excused((INLINE,), "policy", "PERMISSIONS_MANAGEMENT_ACTIONS", _karpenter_scoped_iam,
               "Karpenter creates, tags and deletes its nodes' instance profiles and passes their role to EC2; every "
               "such action is conditioned on this cluster's tags and PassRole names the node role only (Karpenter "
               "getting-started CloudFormation policy, AllowScopedInstanceProfile*/AllowPassingInstanceRole)"),
    Excused((INLINE,), "policy", "PRIVILEGE_ESCALATION", _karpenter_scoped_iam,
               "iam:PassRole with ec2:RunInstances is what launching a node is; the role passed is the node role "
               "alone and only to ec2.amazonaws.com, so no other role can be reached"),
    Excused((INLINE,), "policy", "RESOURCE_MISMATCH", _launch_resources_in_other_statements,
               "RunInstances and CreateFleet are authorised resource by resource across statements (IAM evaluates "
               "each resource a request touches): Karpenter's policy allows images and subnets in one statement, "
               "its tagged launch templates and instances in others, each with its own condition"),
    Excused((INLINE,), "policy", "RESOURCE_MISMATCH", _public_ssm_parameters,
               "AWS's public parameters (/aws/service/..., the EKS AMI ids Karpenter resolves) have no account in "
               "their ARN, which parliament's pattern requires (Systems Manager User Guide, "
               "parameter-store-public-parameters)"),
)


def documents(snap: Snapshot) -> Iterator[Document]:
    def walk(value: Any, key: str) -> Iterator[tuple[str, dict]]:
        value = unwrap(value)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                return
        if isinstance(value, dict):
            if "Statement" in value:
                yield key, value
                return
            for child_key, child in value.items():
                yield from walk(child, child_key if not key else f"{key}.{child_key}")
        elif isinstance(value, list):
            for item in value:
                yield from walk(item, key)

    for r in snap.registrations:
        for key, policy in walk(r.inputs, ""):
            yield Document(f"{r.type} {r.name}", r.type, key, policy)


def findings(document: Document) -> list[tuple[str, Any]]:
    """(issue, detail) of every finding not covered by an exception."""
    result = analyze_policy_string(json.dumps(document.policy), include_community_auditors=True)
    left = []
    for finding in result.findings:
        enhance_finding(finding)
        if not any(document.type in e.types and document.key == e.key and finding.issue == e.issue
                   and e.applies(document.policy, finding.detail) for e in EXCEPTIONS):
            left.append((finding.issue, finding.detail))
    return left


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_policy_document_passes_parliament(stack, request):
    snap = request.getfixturevalue(stack)
    found = list(documents(snap))
    kinds = {(d.type, d.key) for d in found}
    # Not vacuous: every kind of document the program writes is checked.
    assert {(ROLE, "assumeRolePolicy"), ("aws:iam/rolePolicy:RolePolicy", "policy"),
            ("aws:iam/policy:Policy", "policy"), (KEY, "policy"), ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
            ("aws:sns/topicPolicy:TopicPolicy", "policy"), ("aws:s3/bucketPolicy:BucketPolicy", "policy")} <= kinds
    assert len(found) >= 38
    problems = {d.resource: findings(d) for d in found}
    assert {resource: left for resource, left in problems.items() if left} == {}


def test_every_exception_is_still_needed(prod):
    # An exception no document needs any more is removed, not kept "just in case".
    used = set()
    for document in documents(prod):
        result = analyze_policy_string(json.dumps(document.policy), include_community_auditors=True)
        for finding in result.findings:
            enhance_finding(finding)
            used |= {i for i, e in enumerate(EXCEPTIONS) if document.type in e.types and finding.issue == e.issue
                     and e.applies(document.policy, finding.detail)}
    assert used == set(range(len(EXCEPTIONS)))


@pytest.mark.parametrize("statement,issue", [
    ({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}, "RESOURCE_STAR"),
    ({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
      "Resource": "arn:aws:sqs:ap-northeast-2:123456789012:tiketi-prod-ticket-events.fifo"}, "RESOURCE_MISMATCH"),
    ({"Effect": "Allow", "Action": "sqs:SendMesage", "Resource": "*"}, "UNKNOWN_ACTION"),
])
def test_a_weak_or_wrong_document_is_caught_through_the_same_filter(statement, issue):
    for type_, key in ((INLINE, "policy"), (ROLE, "assumeRolePolicy")):
        document = Document(f"{type_} synthetic", type_, key, {"Version": "2012-10-17", "Statement": [statement]})
        assert issue in {found for found, _ in findings(document)}


def test_an_exception_is_narrow():
    # MALFORMED is excused on trust policies only, and UNKNOWN_FEDERATION_SOURCE for EKS OIDC providers only.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                                                     "Principal": {"Federated": "arn:aws:iam::123456789012:"
                                                                                "oidc-provider/token.example.com"}}]}
    assert ("UNKNOWN_FEDERATION_SOURCE", "arn:aws:iam::123456789012:oidc-provider/token.example.com") in findings(
        Document("role", ROLE, "assumeRolePolicy", trust))
    assert "MALFORMED" in {issue for issue, _ in findings(Document("inline", "aws:iam/rolePolicy:RolePolicy",
                                                                  "policy", trust))}


@pytest.mark.parametrize("statements,issue", [
    # PassRole to any role: not Karpenter's scoped policy, so still a finding.
    ([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
      {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}], "PRIVILEGE_ESCALATION"),
    # RunInstances on launch templates only, with nothing else allowing the images and subnets it needs.
    ([{"Effect": "Allow", "Action": "ec2:RunInstances",
       "Resource": "arn:aws:ec2:ap-northeast-2:*:launch-template/*"}], "RESOURCE_MISMATCH"),
    # A parameter of this account is not a public one.
    ([{"Effect": "Allow", "Action": "ssm:GetParameter",
       "Resource": "arn:aws:ssm:ap-northeast-2::secret/x"}], "RESOURCE_MISMATCH"),
])
def test_the_karpenter_exceptions_are_narrow(statements, issue):
    document = Document("inline", INLINE, "policy", {"Version": "2012-10-17", "Statement": statements})
    assert issue in {found for found, _ in findings(document)}
