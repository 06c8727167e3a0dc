"""Run every rule over a stack's resources: the one entry point for the render and the tests."""

from __future__ import annotations

from aws_rules import RESOURCE_RULES
from kubernetes_rules import KUBERNETES_RULES
from placeholders import PLACEHOLDER_RULES
from policy_model import Resource, Rule, Violation
from stack_rules import STACK_RULES

ALL_RESOURCE_RULES: tuple[Rule, ...] = RESOURCE_RULES + KUBERNETES_RULES + PLACEHOLDER_RULES


def check_resource(resource: Resource) -> list[Violation]:
    return [Violation(rule.name, resource.name, message)
            for rule in ALL_RESOURCE_RULES if not rule.types or resource.type in rule.types
            for message in rule.check(resource)]


def evaluate(resources: list[Resource]) -> list[Violation]:
    violations = [v for r in resources for v in check_resource(r)]
    for rule in STACK_RULES:
        violations += [Violation(rule.name, resource.name, message) for resource, message in rule.check(resources)]
    return violations
