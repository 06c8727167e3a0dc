"""Program-wide rules every stack must satisfy, checked by the tests and by `make render`.

Each check returns a list of human-readable violations (empty when the rule holds). They
exist because the mock engine is more forgiving than the real one: it accepts duplicate
URNs, unparented resources and secrets that leak into plaintext without a word.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from tools.harness.mock_engine import OFFLINE_SECRET_PREFIX
from tools.harness.snapshot import Snapshot, secret_leaves, walk_strings

_COMPONENT_TOKEN = re.compile(r"^tiketi:[a-z][a-zA-Z0-9]*:[A-Z][A-Za-z0-9]*$")
# Secrets shorter than this are too likely to collide with ordinary words to scan for.
_MIN_SECRET_LENGTH = 8


def unique_urns(snap: Snapshot) -> list[str]:
    counts = Counter(r.urn for r in snap.registrations)
    return [f"URN registered {n} times: {urn}" for urn, n in counts.items() if n > 1]


def component_tokens(snap: Snapshot) -> list[str]:
    return [
        f"component {r.name}: type token {r.type!r} is not tiketi:<area>:<Type>"
        for r in snap.components()
        if not _COMPONENT_TOKEN.match(r.type)
    ]


def custom_resources_have_component_parent(snap: Snapshot) -> list[str]:
    components = {r.urn for r in snap.components()}
    return [
        f"{r.type} {r.name} is not inside a component (parent: {r.parent or 'the stack'})"
        for r in snap.registrations
        if r.custom and not r.is_provider and r.parent not in components
    ]


def aws_providers_carry_default_tags(snap: Snapshot) -> list[str]:
    """The default provider reads aws:defaultTags from stack config; explicit ones must copy it."""
    uses_aws = any(r.type.startswith("aws:") for r in snap.registrations)
    expected = snap.config("aws:defaultTags")
    problems = []
    if uses_aws and not (isinstance(expected, dict) and expected.get("tags")):
        problems.append("the stack registers AWS resources but its config sets no aws:defaultTags")
    for provider in snap.providers("aws"):
        actual = provider.inputs.get("defaultTags")
        actual = json.loads(actual) if isinstance(actual, str) else actual
        if actual != expected:
            problems.append(f"aws provider {provider.name} has defaultTags {actual}, expected {expected}")
    return problems


def no_plaintext_secrets(snap: Snapshot) -> list[str]:
    """A value that is a secret anywhere (config, generated, marked) is wrapped everywhere."""
    places = [(f"{r.type} {r.name} inputs", r.inputs) for r in snap.registrations]
    places += [(f"{r.type} {r.name} outputs", r.outputs) for r in snap.registrations]
    places += [(f"outputs of {urn}", outputs) for urn, outputs in snap.run.resource_outputs.items()]
    secrets = set()
    for key in snap.run.secret_config_keys:
        secrets.add(snap.run.config[key])
        # A secure value inside an object marks the whole key secret (as the CLI does); the
        # values that were `secure:` are the ones that must never appear unwrapped.
        secrets.update(text for text, _ in walk_strings(snap.config(key)) if text.startswith(OFFLINE_SECRET_PREFIX))
    for _, value in places:
        secrets.update(secret_leaves(value))
    secrets = {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}
    problems = []
    for where, value in places:
        for text, wrapped in walk_strings(value):
            if not wrapped and any(secret in text for secret in secrets):
                # Name the place, never the value.
                problems.append(f"a secret value appears unwrapped in {where}")
                break
    return problems


ALL_CHECKS = (
    unique_urns,
    component_tokens,
    custom_resources_have_component_parent,
    aws_providers_carry_default_tags,
    no_plaintext_secrets,
)


def check_all(snap: Snapshot) -> list[str]:
    return [problem for check in ALL_CHECKS for problem in check(snap)]
