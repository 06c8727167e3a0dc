"""Run the CrossGuard pack's rules (policy/) on a mock-engine snapshot, as `make render` does.

Builds the ``policy_model.Resource`` view CrossGuard would give each resource: unwrapped
input properties, the managing AWS provider's region and ``Environment`` tag (an explicit
provider's own, else the stack config's ``aws:region``/``aws:defaultTags``), and property
dependencies.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tools.harness.snapshot import Snapshot, unwrap

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
if str(POLICY_DIR) not in sys.path:
    sys.path.insert(0, str(POLICY_DIR))  # the pack's modules are top-level, as CrossGuard loads them

from policy_engine import evaluate  # noqa: E402
from policy_model import Resource, Violation  # noqa: E402


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
