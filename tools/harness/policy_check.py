"""Run the CrossGuard pack's rules (policy/) on a mock-engine snapshot, as `make render` does.

Builds the ``policy_model.Resource`` view CrossGuard would give each resource: unwrapped
input properties, the managing AWS provider's region and ``Environment`` tag (an explicit
provider's own, else the stack config's ``aws:region``/``aws:defaultTags``), and property
dependencies.

``config_placeholders`` names the stack-config keys that still hold documentation
placeholders (the pack's rule ``no-placeholder-values`` finds them on the resources): the
offline render lists them, ``make preview``/``make up`` refuse them (tools/ops/preflight.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from pathlib import Path

from tools.harness.snapshot import Snapshot, unwrap

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
if str(POLICY_DIR) not in sys.path:
    sys.path.insert(0, str(POLICY_DIR))  # the pack's modules are top-level, as CrossGuard loads them

import placeholders  # noqa: E402
from policy_engine import evaluate  # noqa: E402
from policy_model import Resource, Violation  # noqa: E402

PLACEHOLDER_RULE = placeholders.RULE_NAME


def _default_tags(raw) -> dict:
    tags = json.loads(raw) if isinstance(raw, str) else raw
    return (tags or {}).get("tags") or {}


def resources_of(snap: Snapshot) -> list[Resource]:
    providers = {f"{p.urn}::{p.id}": p for p in snap.providers("aws")}
    default_region = snap.config("aws:region")
    default_environment = _default_tags(snap.config("aws:defaultTags")).get("Environment")
    resources = []
    for r in snap.registrations:
        if not r.custom or r.is_provider:
            continue
        region = environment = None
        if r.type.startswith("aws:"):
            provider = providers.get(r.provider or "")
            if provider is not None:
                region = provider.inputs.get("region")
                environment = _default_tags(provider.inputs.get("defaultTags")).get("Environment")
            else:
                region, environment = default_region, default_environment
        resources.append(Resource(type=r.type, name=r.name, urn=r.urn, props=unwrap(r.inputs), region=region,
                                  environment=environment, dependencies=r.dependencies))
    return resources


def check(snap: Snapshot) -> list[Violation]:
    return evaluate(resources_of(snap))


def _decoded(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def config_placeholders(config: dict[str, str], secret_keys: Collection[str] = ()) -> list[str]:
    """One line per placeholder value in a flattened stack config, naming its key (secure values skipped)."""
    lines = []
    for key, raw in sorted(config.items()):
        if key in secret_keys:
            continue
        for path, value, why in placeholders.find(_decoded(raw)):
            full_key = f"{key}{path}" if path.startswith("[") or not path else f"{key}.{path}"
            lines.append(f"{full_key}: {json.dumps(value)} {why}")
    return lines
