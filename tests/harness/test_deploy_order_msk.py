"""The MSK deploy-order rules (tools/harness/deploy_order/msk.py): hold on the stacks, and each catches its case."""

from __future__ import annotations

import dataclasses

import pytest

from tests.program.test_invariants import registration, synthetic
from tools.harness.deploy_order import ALL_RULES
from tools.harness.deploy_order.graph import check_rules
from tools.harness.deploy_order.msk import MSK_RULES
from tools.harness.mock_engine import ProgramRun, Registration
from tools.harness.snapshot import Snapshot

RULES = {rule.name: rule for rule in MSK_RULES}


def related(snap: Snapshot, rule_name: str) -> list[tuple[str, str]]:
    rule = RULES[rule_name]
    return sorted((r.name, other.name) for r in snap.registrations if rule.applies_to(r)
                  for other in rule.related(snap, r))


def cut(snap: Snapshot, resource_type: str, drop_type: str) -> Snapshot:
    """The snapshot with every edge from ``resource_type`` resources to ``drop_type`` resources removed,
    as if the program had passed a literal instead of an output, or left out a depends_on."""
    dropped = {r.urn for r in snap.registrations if r.type == drop_type}

    def without(r: Registration) -> Registration:
        if r.type != resource_type:
            return r
        return dataclasses.replace(
            r, all_dependencies=tuple(u for u in r.all_dependencies if u not in dropped),
            dependencies={k: tuple(u for u in v if u not in dropped) for k, v in r.dependencies.items()})

    run = snap.run
    return Snapshot(ProgramRun(stack=run.stack, config=run.config, secret_config_keys=run.secret_config_keys,
                               registrations=[without(r) for r in run.registrations],
                               resource_outputs=run.resource_outputs, stack_outputs=run.stack_outputs))


def test_the_rules_are_part_of_the_aws_rules_and_hold_on_the_stacks(aws_stack):
    assert set(MSK_RULES) <= set(ALL_RULES)
    assert check_rules(aws_stack, MSK_RULES) == []


def test_every_rule_finds_what_it_is_about_on_prod(prod):
    # Not vacuous: each rule relates the resources it names on the real stack.
    assert related(prod, "msk-scram-association-after-secret-value") == [("kafka-scram", "kafka-services")]
    assert related(prod, "msk-scram-association-after-secret-policy") == [("kafka-scram", "kafka-services")]
    assert related(prod, "msk-scram-association-after-secret-key") == [("kafka-scram", "kafka-key")]
    assert related(prod, "msk-cluster-after-broker-log-group") == [("kafka-cluster", "kafka-broker-logs")]
    assert related(prod, "msk-cluster-after-configuration") == [("kafka-cluster", "kafka-configuration")]
    assert related(prod, "msk-storage-target-after-cluster") == [("kafka-storage", "kafka-cluster")]
    assert related(prod, "msk-storage-policy-after-target") == [("kafka-storage", "kafka-storage")]


@pytest.mark.parametrize("rule,resource_type,drop_type,message", [
    ("msk-scram-association-after-secret-value", "aws:msk/scramSecretAssociation:ScramSecretAssociation",
     "aws:secretsmanager/secretVersion:SecretVersion",
     "ScramSecretAssociation kafka-scram does not wait for SecretVersion kafka-services"),
    ("msk-scram-association-after-secret-policy", "aws:msk/scramSecretAssociation:ScramSecretAssociation",
     "aws:secretsmanager/secretPolicy:SecretPolicy",
     "ScramSecretAssociation kafka-scram does not wait for SecretPolicy kafka-services"),
    ("msk-cluster-after-broker-log-group", "aws:msk/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup",
     "Cluster kafka-cluster does not wait for LogGroup kafka-broker-logs"),
    ("msk-cluster-after-configuration", "aws:msk/cluster:Cluster", "aws:msk/configuration:Configuration",
     "Cluster kafka-cluster does not wait for Configuration kafka-configuration"),
    ("msk-storage-target-after-cluster", "aws:appautoscaling/target:Target", "aws:msk/cluster:Cluster",
     "Target kafka-storage does not wait for Cluster kafka-cluster"),
    ("msk-storage-policy-after-target", "aws:appautoscaling/policy:Policy", "aws:appautoscaling/target:Target",
     "Policy kafka-storage does not wait for Target kafka-storage"),
])
def test_each_rule_catches_a_missing_wait(prod, rule, resource_type, drop_type, message):
    [problem] = check_rules(cut(prod, resource_type, drop_type), [RULES[rule]])
    assert problem.startswith(f"[{rule}] {message}: ")
    assert problem.endswith(f"({RULES[rule].source})")


def test_the_key_rule_catches_a_secret_given_its_key_as_a_literal():
    # The secret names the key's ARN as a plain string, so nothing orders it after the key.
    key = dataclasses.replace(registration("msk-key", type_="aws:kms/key:Key"),
                              outputs={"arn": "arn:aws:kms:ap-northeast-2:123456789012:key/k"})
    secret = dataclasses.replace(
        registration("user", type_="aws:secretsmanager/secret:Secret",
                     inputs={"name": "AmazonMSK_user", "kmsKeyId": key.outputs["arn"]}),
        outputs={"arn": "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:AmazonMSK_user-AbCdEf"})
    association = registration("scram", type_="aws:msk/scramSecretAssociation:ScramSecretAssociation",
                               inputs={"secretArnLists": [secret.outputs["arn"]]})
    association = dataclasses.replace(association, all_dependencies=(secret.urn,))
    rule = RULES["msk-scram-association-after-secret-key"]
    [problem] = check_rules(synthetic(key, secret, association), [rule])
    assert problem.startswith("[msk-scram-association-after-secret-key] ScramSecretAssociation scram does not wait "
                              "for Key msk-key: ")
    ordered = dataclasses.replace(secret, all_dependencies=(key.urn,))
    assert check_rules(synthetic(key, ordered, association), [rule]) == []
