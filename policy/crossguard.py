"""CrossGuard wiring: turn the plain rules into pulumi-policy policies. Building them starts nothing.

``policies()`` wraps every rule of ``policy_engine`` as a mandatory ``ResourceValidationPolicy``
or ``StackValidationPolicy``; ``__main__.py`` hands them to ``PolicyPack`` (which starts the
analyzer server, so only ``pulumi preview --policy-pack policy`` constructs it).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.secret import Secret

from policy_engine import ALL_RESOURCE_RULES
from policy_model import Resource, Rule, StackRule
from stack_rules import STACK_RULES


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return _plain(value.value)
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _provider_facts(provider: Any) -> tuple[str | None, str | None]:
    """Region and Environment tag of the AWS provider managing a resource (default or explicit)."""
    if provider is None or not str(getattr(provider, "resource_type", "")).startswith("pulumi:providers:aws"):
        return None, None
    props = _plain(provider.props or {})
    tags = props.get("defaultTags") or {}
    if isinstance(tags, str):
        import json

        tags = json.loads(tags)
    return props.get("region"), (tags.get("tags") or {}).get("Environment")


def to_resource(resource_type: str, name: str, urn: str, props: Any, provider: Any,
                property_dependencies: dict | None = None) -> Resource:
    region, environment = _provider_facts(provider)
    dependencies = {key: tuple(dep.urn for dep in deps) for key, deps in (property_dependencies or {}).items()}
    return Resource(type=resource_type, name=name, urn=urn, props=_plain(props or {}), region=region,
                    environment=environment, dependencies=dependencies)


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args, report_violation) -> None:
        if rule.types and args.resource_type not in rule.types:
            return
        resource = to_resource(args.resource_type, args.name, args.urn, args.props, args.provider)
        for message in rule.check(resource):
            report_violation(message)

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY)


def _stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args, report_violation) -> None:
        resources = [to_resource(r.resource_type, r.name, r.urn, r.props, r.provider, r.property_dependencies)
                     for r in args.resources]
        for resource, message in rule.check(resources):
            report_violation(message, resource.urn)

    return StackValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                 enforcement_level=EnforcementLevel.MANDATORY)


def policies() -> list:
    return [_resource_policy(rule) for rule in ALL_RESOURCE_RULES] + [_stack_policy(rule) for rule in STACK_RULES]
