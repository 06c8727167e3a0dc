"""The render's inventory: every registration as plain, stable, reviewable data (``resources.json``).

One entry per resource: type, name, URN, parent, provider, inputs (secrets masked, the mock
engine's ``3.0`` back to ``3``, keys sorted), the URNs each input came from and the resource
options that change what an update does (protect, ignoreChanges, aliases, ...). The diff,
the cost estimate and the diagram all read entries, never the live snapshot, so they work
on a base commit's ``resources.json`` as well as on the working tree's.

``load_inventory`` reads any format the render has written since ``tools/render.py``
(a bare list with the stock mock engine's URNs) and returns the same normalised entries:
URNs are recomputed the way the engine builds them (``Deployment.generateURN``) from
type, name and parent, so a base rendered before the harness moved still lines up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import pulumi

from tools.harness.mock_engine import PROJECT, is_secret
from tools.harness.snapshot import Snapshot

MASK = "[secret]"
# render-diff sets a random salt for both of its renders, so a changed secret shows as
# "changed" while its value (and a fingerprint that could be brute-forced offline) never
# leaves the two temporary renders. Without it the mask is the bare "[secret]".
SECRET_SALT_ENV = "TIKETI_RENDER_SECRET_SALT"  # noqa: S105 - the variable's name, not a secret
FORMAT = 2

BANNER = ("Values AWS or Kubernetes compute (ids, ARNs, endpoints, DNS names, bucket suffixes) are MOCK "
          "values from tools/harness/fake_cloud.py; everything the program sets comes from its code and "
          "Pulumi.<stack>.yaml. Secrets are masked.")


def _fingerprint(value: Any) -> str:
    salt = os.environ.get(SECRET_SALT_ENV)
    if not salt:
        return MASK
    digest = hmac.new(salt.encode(), json.dumps(value, sort_keys=True, default=str).encode(), hashlib.sha256)
    return f"{MASK[:-1]}:{digest.hexdigest()[:12]}]"


def _asset(value: Any, secret: bool) -> str:
    """An archive as the digest of the bytes the render writes (secret members masked), so a code
    change shows in the diff without the code."""
    if isinstance(value, pulumi.Archive):
        from tools.harness.artifacts import archive_bytes

        return f"<{type(value).__name__} sha256:{hashlib.sha256(archive_bytes(value, secret)).hexdigest()[:16]}>"
    return f"<{type(value).__name__}>"


def mask(value: Any) -> Any:
    """Replace secret values with ``[secret]``, keeping the shape (keys stay readable)."""
    if is_secret(value):
        return _mask_leaves(value["value"])
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return _asset(value, secret=False)
    return value


def _mask_leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mask_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_leaves(v) for v in value]
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return _asset(value, secret=True)
    return _fingerprint(value)


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(MASK[:-1]) and value.endswith("]")


def tidy(value: Any) -> Any:
    """Undo the mock engine's number and ordering noise: 3.0 -> 3, keys sorted."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: tidy(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [tidy(v) for v in value]
    return value


def provider_urn(reference: str | None) -> str | None:
    """``<urn>::<id>`` -> ``<urn>`` (a provider reference without the provider's mock id)."""
    return reference.rsplit("::", 1)[0] if reference else None


def _options(r) -> dict[str, Any]:
    options = {"protect": r.protect, "retainOnDelete": r.retain_on_delete,
               "deleteBeforeReplace": r.delete_before_replace,
               "ignoreChanges": sorted(r.ignore_changes), "aliases": [tidy(a) for a in r.aliases]}
    return {k: v for k, v in options.items() if v}


def entries(snap: Snapshot) -> list[dict[str, Any]]:
    """The inventory of one program run, sorted by URN."""
    own = {r.urn for r in snap.registrations}
    found = []
    for r in sorted(snap.registrations, key=lambda r: r.urn):
        dependencies = {prop: sorted(u for u in set(urns) if u in own and u != r.urn)
                        for prop, urns in r.dependencies.items()}
        entry = {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent,
                 "provider": provider_urn(r.provider), "custom": r.custom, "inputs": tidy(mask(r.inputs)),
                 "dependencies": {k: v for k, v in sorted(dependencies.items()) if v}}
        options = _options(r)
        if options:
            entry["options"] = options
        found.append(entry)
    return found


def document(snap: Snapshot) -> dict[str, Any]:
    """What ``resources.json`` holds."""
    invokes = sorted((tidy(mask(i)) for i in snap.run.invokes), key=lambda i: json.dumps(i, sort_keys=True))
    unique = [json.loads(s) for s in dict.fromkeys(json.dumps(i, sort_keys=True) for i in invokes)]
    return {"format": FORMAT, "note": BANNER, "stack": snap.stack, "project": PROJECT,
            "region": snap.config("aws:region"),
            "outputs": tidy(mask(snap.outputs)), "invokes": unique, "resources": entries(snap)}


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- reading any render's resources.json -----------------------------------------------------------


def _split_urn(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, qualified type, name) of a URN."""
    head, project, qualified, name = urn.split("::", 3)
    return head.removeprefix("urn:pulumi:"), project, qualified, name


def canonical_urns(resources: list[dict[str, Any]]) -> dict[str, str]:
    """Recorded URN -> the URN the engine gives it (parent's whole qualified type, no stack prefix)."""
    by_urn = {r["urn"]: r for r in resources}
    result: dict[str, str] = {}

    def qualified(urn: str, depth: int = 0) -> tuple[str, str, str]:
        if urn in result:
            stack, project, qual, _ = _split_urn(result[urn])
            return stack, project, qual
        entry = by_urn[urn]
        stack, project, _, _ = _split_urn(urn)
        parent = entry.get("parent")
        if parent in by_urn and depth < 64:
            _, _, parent_qual = qualified(parent, depth + 1)
            qual = f"{parent_qual}${entry['type']}"
        else:
            qual = entry["type"]
        result[urn] = f"urn:pulumi:{stack}::{project}::{qual}::{entry['name']}"
        return stack, project, qual

    for urn in by_urn:
        qualified(urn)
    return result


def normalise(doc: Any) -> dict[str, Any]:
    """Any render's ``resources.json`` (a bare list before format 2) -> the format-2 document."""
    if isinstance(doc, list):
        doc = {"format": 1, "resources": doc}
    resources = doc.get("resources", [])
    old_format = doc.get("format", 1) < 2  # provider references still carried the provider's mock id
    canonical = canonical_urns(resources)
    fix = lambda urn: canonical.get(urn, urn) if urn else None  # noqa: E731
    normalised = []
    for r in resources:
        entry = {"urn": fix(r["urn"]), "type": r["type"], "name": r["name"], "parent": fix(r.get("parent")),
                 "provider": fix(provider_urn(r.get("provider")) if old_format else r.get("provider")),
                 "custom": bool(r.get("custom", True)), "inputs": tidy(r.get("inputs") or {}),
                 "dependencies": {k: sorted(fix(u) for u in v) for k, v in (r.get("dependencies") or {}).items()}}
        if r.get("options"):
            entry["options"] = r["options"]
        normalised.append(entry)
    stack = doc.get("stack") or (_split_urn(resources[0]["urn"])[0] if resources else "")
    return {"format": doc.get("format", 1), "stack": stack, "region": doc.get("region"),
            "outputs": tidy(doc.get("outputs") or {}), "invokes": doc.get("invokes") or [],
            "resources": sorted(normalised, key=lambda e: e["urn"])}


def load_inventory(path: Path) -> dict[str, Any]:
    return normalise(json.loads(Path(path).read_text()))
