"""Program-wide rules on every stack, and proof that each rule catches what it names."""

from __future__ import annotations

import json

import pytest

from tools.harness import invariants
from tools.harness.mock_engine import ProgramRun, Registration, wrap_secret
from tools.harness.snapshot import Snapshot, matches, unwrap

STACK_URN = "urn:pulumi:prod::tiketi::pulumi:pulumi:Stack::tiketi-prod"


# --- the real stacks ------------------------------------------------------------------------


def test_urns_are_unique(any_stack):
    assert invariants.unique_urns(any_stack) == []
    assert len({r.urn for r in any_stack.registrations}) == len(any_stack.registrations)


def test_component_type_tokens_have_three_parts(any_stack):
    assert invariants.component_tokens(any_stack) == []
    assert all(len(c.type.split(":")) == 3 and c.type.startswith("tiketi:") for c in any_stack.components())


def test_every_custom_resource_lives_in_a_component(any_stack):
    assert invariants.custom_resources_have_component_parent(any_stack) == []


def test_aws_stacks_tag_every_resource_through_provider_default_tags(aws_stack):
    assert aws_stack.config("aws:region") == "ap-northeast-2"
    assert aws_stack.config("aws:defaultTags") == {
        "tags": {"Project": "Tiketi", "Environment": aws_stack.stack, "ManagedBy": "Pulumi"}
    }
    assert invariants.aws_providers_carry_default_tags(aws_stack) == []


def test_no_secret_appears_unwrapped(any_stack):
    assert invariants.no_plaintext_secrets(any_stack) == []


def test_local_stack_registers_no_aws_resource(local):
    assert not any(r.type.startswith("aws:") or r.type == "pulumi:providers:aws" for r in local.registrations)
    assert local.outputs["platform"] == "kind"
    assert local.outputs["kubeContext"] == "kind-tiketi"


def test_aws_stacks_compose_the_network_component(aws_stack):
    [network] = [c for c in aws_stack.components() if c.type == "tiketi:network:Network"]
    assert network.name == "network"
    assert {r.type for r in aws_stack.descendants(network)} >= {"aws:ec2/vpc:Vpc", "aws:ec2/flowLog:FlowLog"}
    assert aws_stack.outputs["platform"] == "aws"


# --- each rule catches the violation it names (synthetic runs) -----------------------------


def registration(name: str, type_: str = "aws:sqs/queue:Queue", parent: str | None = "component",
                 custom: bool = True, inputs: dict | None = None) -> Registration:
    parent_urn = None if parent is None else f"urn:pulumi:prod::tiketi::tiketi:test:Thing::{parent}"
    return Registration(urn=f"urn:pulumi:prod::tiketi::{type_}::{name}", type=type_, name=name, parent=parent_urn,
                        provider=None, custom=custom, inputs=inputs or {}, outputs={}, id=f"{name}-id")


COMPONENT = Registration(urn="urn:pulumi:prod::tiketi::tiketi:test:Thing::component", type="tiketi:test:Thing",
                         name="component", parent=None, provider=None, custom=False, inputs={})


def synthetic(*registrations: Registration, config: dict | None = None, secret_keys=(),
              outputs: dict | None = None) -> Snapshot:
    tags = json.dumps({"tags": {"Project": "Tiketi", "Environment": "prod", "ManagedBy": "Pulumi"}})
    run = ProgramRun(stack="prod", config={"aws:defaultTags": tags, **(config or {})},
                     secret_config_keys=frozenset(secret_keys), registrations=[COMPONENT, *registrations],
                     resource_outputs={STACK_URN: outputs or {}}, stack_outputs=outputs or {})
    return Snapshot(run)


def test_duplicate_urns_are_caught():
    snap = synthetic(registration("q"), registration("q"))
    assert invariants.unique_urns(snap) == ["URN registered 2 times: urn:pulumi:prod::tiketi::aws:sqs/queue:Queue::q"]


def test_two_part_component_token_is_caught():
    snap = synthetic(registration("c", type_="tiketi:Thing", custom=False, parent=None))
    assert invariants.component_tokens(snap) == ["component c: type token 'tiketi:Thing' is not tiketi:<area>:<Type>"]


def test_unparented_resource_is_caught_but_providers_are_exempt():
    snap = synthetic(registration("loose", parent=None),
                     registration("use1", type_="pulumi:providers:aws", parent=None,
                                  inputs={"defaultTags": json.loads(synthetic().run.config["aws:defaultTags"])}))
    assert invariants.custom_resources_have_component_parent(snap) == [
        "aws:sqs/queue:Queue loose is not inside a component (parent: the stack)"
    ]


def test_explicit_provider_without_default_tags_is_caught():
    snap = synthetic(registration("use1", type_="pulumi:providers:aws", parent=None, inputs={"region": "us-east-1"}))
    [problem] = invariants.aws_providers_carry_default_tags(snap)
    assert problem.startswith("aws provider use1 has defaultTags None")


def test_aws_resources_without_default_tags_in_config_are_caught():
    snap = synthetic(registration("q"), config={"aws:defaultTags": "{}"})
    assert invariants.aws_providers_carry_default_tags(snap) == [
        "the stack registers AWS resources but its config sets no aws:defaultTags"
    ]


def test_generated_secret_copied_into_plaintext_is_caught():
    password = "generated-password-123"
    snap = synthetic(
        registration("pw", type_="random:index/randomPassword:RandomPassword"),
        registration("param", inputs={"value": wrap_secret(password)}),
        registration("leak", inputs={"description": f"password is {password}"}),
    )
    assert invariants.no_plaintext_secrets(snap) == [
        "a secret value appears unwrapped in aws:sqs/queue:Queue leak inputs"
    ]


def test_secret_config_value_exported_in_plaintext_is_caught():
    snap = synthetic(config={"tiketi:token": "config-secret-value"}, secret_keys={"tiketi:token"},
                     outputs={"token": "config-secret-value"})
    assert invariants.no_plaintext_secrets(snap) == [f"a secret value appears unwrapped in outputs of {STACK_URN}"]


def test_a_nested_secure_config_value_used_in_plaintext_is_caught():
    # `secure:` inside an object marks the whole key secret; the value that was secure must stay wrapped.
    leaf = "offline-placeholder-for-tiketi:alerts.webhook"
    config = {"tiketi:alerts": json.dumps({"emails": ["oncall@tiketi.example"], "webhook": leaf})}
    leak = synthetic(registration("sub", inputs={"endpoint": leaf}), config=config, secret_keys={"tiketi:alerts"})
    assert invariants.no_plaintext_secrets(leak) == [
        "a secret value appears unwrapped in aws:sqs/queue:Queue sub inputs"]
    fine = synthetic(registration("sub", inputs={"endpoint": wrap_secret(leaf), "other": "oncall@tiketi.example"}),
                     config=config, secret_keys={"tiketi:alerts"})
    assert invariants.no_plaintext_secrets(fine) == []


def test_wrapped_secret_export_is_fine():
    snap = synthetic(config={"tiketi:token": "config-secret-value"}, secret_keys={"tiketi:token"},
                     outputs={"token": wrap_secret("config-secret-value")})
    assert invariants.no_plaintext_secrets(snap) == []


# --- the query helpers ----------------------------------------------------------------------


def test_matches_is_object_like_and_strict_on_lists():
    actual = {"a": 1.0, "b": {"c": "x", "d": "y"}, "l": [1, 2]}
    assert matches(actual, {"a": 1, "b": {"c": "x"}})
    assert not matches(actual, {"b": {"c": "z"}})
    assert not matches(actual, {"l": [1]})
    assert matches(actual, {"l": lambda v: 2 in v})
    assert matches({"tags": '{"tags": {"a": "b"}}'}, {"tags": {"tags": {"a": "b"}}})
    assert matches({"v": wrap_secret("s")}, {"v": "s"})
    assert unwrap({"v": [wrap_secret("s")]}) == {"v": ["s"]}


def test_one_reports_how_many_matched():
    snap = synthetic(registration("a"), registration("b"))
    with pytest.raises(AssertionError, match=r"found 2: \['a', 'b'\]"):
        snap.one("aws:sqs/queue:Queue")
