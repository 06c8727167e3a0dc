"""Compare two renders of one stack: resources added, removed and changed, each change at property level.

Resources are matched by URN (a head resource whose alias names a base URN is the same resource,
moved). A changed property is flagged when it forces the provider to replace the resource
(replacements.py); a resource whose replace-forcing input comes from a resource being replaced
is flagged too (its new id or ARN arrives at deploy time). Secrets stay masked: a secret that
changed shows as ``[secret] -> [secret] (changed)``. Kubernetes objects also get a YAML diff.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from tools.harness.artifacts import is_kubernetes_object, manifest_yaml
from tools.harness.inventory import MASK, is_masked
from tools.harness.review import cost
from tools.harness.review.replacements import conditional_replacement, forces_replacement

MISSING = object()


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any
    replaces: bool = False
    ignored: bool = False  # listed in ignoreChanges: the engine will not apply it

    @property
    def secret(self) -> bool:
        return is_masked(self.old) or is_masked(self.new)


@dataclass
class ResourceDiff:
    kind: str  # "add", "remove", "update", "replace"
    urn: str
    type: str
    name: str
    changes: list[Change] = field(default_factory=list)
    because: list[str] = field(default_factory=list)  # replaced because a resource it needs is replaced
    yaml: list[str] = field(default_factory=list)
    moved_from: str | None = None

    @property
    def replaces(self) -> bool:
        return self.kind == "replace"


@dataclass
class StackDiff:
    stack: str
    resources: list[ResourceDiff]
    base_cost: float | None
    head_cost: float | None

    def count(self, kind: str) -> int:
        return sum(1 for r in self.resources if r.kind == kind)

    @property
    def changed(self) -> bool:
        return bool(self.resources)

    def headline(self) -> str:
        if not self.resources:
            return f"{self.stack}: no changes"
        parts = [f"{self.count('add')} to add", f"{self.count('remove')} to remove",
                 f"{self.count('update')} to update", f"{self.count('replace')} to replace"]
        return f"{self.stack}: " + ", ".join(parts)


def _walk(old: Any, new: Any, path: str) -> list[tuple[str, Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += _walk(old.get(key, MISSING), new.get(key, MISSING), f"{path}.{key}" if path else key)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found += _walk(a, b, f"{path}[{index}]")
        return found
    if isinstance(old, str) and isinstance(new, str) and old.startswith(("{", "[")) and new.startswith(("{", "[")):
        try:  # policies and redrive policies arrive as JSON strings: compare what they say
            return _walk(json.loads(old), json.loads(new), path)
        except ValueError:
            pass
    if MASK in (old, new) and old is not MISSING and new is not MISSING:
        return []  # a render without the salt (a base older than it) masks bare: cannot tell, say nothing
    if _undigested(old, new) or _undigested(new, old):
        return []  # a base render older than archive digests: the code may or may not differ
    return [] if old == new else [(path, old, new)]


def _undigested(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.startswith("<") and a.endswith("Archive>") \
        and b.startswith(a[:-1] + " sha256:")


def plain_masks(value: Any) -> Any:
    """Fingerprinted masks back to ``[secret]``: a fingerprint is for comparing, never for showing."""
    if is_masked(value):
        return MASK
    if isinstance(value, dict):
        return {k: plain_masks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_masks(v) for v in value]
    return value


def _ignored(path: str, ignore: list[str]) -> bool:
    plain = ".".join(p.split("[")[0] for p in path.split("."))
    return any(plain == i or plain.startswith(i + ".") for i in ignore)


def _alias_urns(entry: dict[str, Any], stack_project: str) -> list[str]:
    found = []
    for alias in (entry.get("options") or {}).get("aliases", []):
        if alias.get("urn"):
            found.append(alias["urn"])
            continue
        parent = None if alias.get("noParent") else (alias.get("parentUrn") or entry.get("parent"))
        type_, name = alias.get("type") or entry["type"], alias.get("name") or entry["name"]
        qualified = type_ if not parent else f"{parent.split('::')[2]}${type_}"
        if parent and parent.split("::")[2] == "pulumi:pulumi:Stack":
            qualified = type_
        found.append(f"urn:pulumi:{stack_project}::{qualified}::{name}")
    return found


def compare(base: dict[str, Any] | None, head: dict[str, Any] | None) -> StackDiff:
    """Diff two normalised inventories (inventory.normalise); either may be None (stack added/removed)."""
    stack = (head or base or {}).get("stack", "")
    base_by = {e["urn"]: e for e in (base or {}).get("resources", []) if e["custom"]}
    head_by = {e["urn"]: e for e in (head or {}).get("resources", []) if e["custom"]}
    providers = {e["urn"]: e["inputs"] for e in (head or base or {}).get("resources", [])
                 if e["type"].startswith("pulumi:providers:")}
    moved: dict[str, str] = {}
    for urn, entry in head_by.items():
        if urn in base_by or not entry.get("options", {}).get("aliases"):
            continue
        stack_project = "::".join(urn.split("::")[:2]).removeprefix("urn:pulumi:")
        for alias in _alias_urns(entry, stack_project):
            if alias in base_by and alias not in head_by:
                moved[urn] = alias
    diffs: dict[str, ResourceDiff] = {}
    for urn in sorted(set(base_by) | set(head_by)):
        if urn in moved.values():
            continue
        old_urn = moved.get(urn, urn)
        old, new = base_by.get(old_urn), head_by.get(urn)
        entry = new or old
        if old is None:
            diffs[urn] = ResourceDiff("add", urn, entry["type"], entry["name"])
        elif new is None:
            diffs[urn] = ResourceDiff("remove", urn, entry["type"], entry["name"])
        else:
            ignore = (new.get("options") or {}).get("ignoreChanges", [])
            flags = providers.get(new.get("provider") or "")
            changes = [Change(path, old_value, new_value, forces_replacement(new["type"], path, flags),
                              _ignored(path, ignore))
                       for path, old_value, new_value in _walk(old["inputs"], new["inputs"], "")]
            if old.get("provider") != new.get("provider"):
                changes.append(Change("(provider)", old.get("provider"), new.get("provider")))
            if changes or old_urn != urn:
                reason = conditional_replacement(new["type"], old["inputs"], new["inputs"]) if changes else None
                replaces = any(c.replaces and not c.ignored for c in changes) or reason is not None
                diffs[urn] = ResourceDiff("replace" if replaces else "update", urn, new["type"], new["name"], changes,
                                          because=[reason] if reason else [],
                                          moved_from=old_urn if old_urn != urn else None)
    _cascade(diffs, head_by, providers)
    for d in diffs.values():
        entries = [x for x in (base_by.get(d.moved_from or d.urn), head_by.get(d.urn)) if x]
        if entries and is_kubernetes_object(entries[0]):
            shown = lambda e: manifest_yaml({**e, "inputs": plain_masks(e["inputs"])}).splitlines()  # noqa: E731
            before = shown(base_by[d.moved_from or d.urn]) if d.kind != "add" else []
            after = shown(head_by[d.urn]) if d.kind != "remove" else []
            d.yaml = list(difflib.unified_diff(before, after, "base", "head", lineterm="", n=2))[2:]
    ordered = sorted(diffs.values(), key=lambda d: ({"replace": 0, "remove": 1, "update": 2, "add": 3}[d.kind], d.urn))
    base_cost = cost.total(cost.estimate(base)) if base else None
    head_cost = cost.total(cost.estimate(head)) if head else None
    return StackDiff(stack, ordered, base_cost, head_cost)


def _cascade(diffs: dict[str, ResourceDiff], head_by: dict[str, dict[str, Any]],
             providers: dict[str, dict[str, Any]]) -> None:
    """A resource whose replace-forcing input comes from a replaced resource is replaced too."""
    changed = True
    while changed:
        changed = False
        replaced = {urn for urn, d in diffs.items() if d.kind == "replace"}
        for urn, entry in head_by.items():
            if urn in replaced:
                continue
            flags = providers.get(entry.get("provider") or "")
            for prop, urns in sorted(entry.get("dependencies", {}).items()):
                hits = sorted(u for u in urns if u in replaced)
                if hits and forces_replacement(entry["type"], prop, flags):
                    d = diffs.get(urn) or ResourceDiff("update", urn, entry["type"], entry["name"])
                    d.kind = "replace"
                    d.because += [f"{prop} comes from {head_by[h]['name']}, which is replaced" for h in hits]
                    diffs[urn], changed = d, True
                    break


# --- output -----------------------------------------------------------------------------------------


def show(value: Any) -> str:
    if value is MISSING:
        return "(unset)"
    if is_masked(value):
        return MASK
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


SIGN = {"add": "+", "remove": "-", "update": "~", "replace": "-/+"}


def lines(diff: StackDiff) -> list[str]:
    """The diff as text lines; the first character of each resource line says what happens (+ - ~ -/+)."""
    out = [f"== {diff.headline()} =="]
    if diff.base_cost is not None or diff.head_cost is not None:
        out.append(cost_line(diff))
    for d in diff.resources:
        note = "  (REPLACED)" if d.replaces else ""
        moved = f"  (moved from {d.moved_from}, by alias)" if d.moved_from else ""
        out.append(f"{SIGN[d.kind]} {d.type} {d.name}{note}{moved}")
        for change in d.changes:
            tag = "  [forces replacement]" if change.replaces else ""
            tag += "  [in ignoreChanges: not applied]" if change.ignored else ""
            if change.secret:
                out.append(f"    {change.path}: {show(change.old)} -> {show(change.new)} (secret changed; value masked)"
                           f"{tag}")
            else:
                out.append(f"    {change.path}: {show(change.old)} -> {show(change.new)}{tag}")
        out += [f"    because {reason}" for reason in d.because]
        out += [f"    {line}" for line in d.yaml if d.kind != "add" or len(d.yaml) < 60]
    return out


def cost_line(diff: StackDiff) -> str:
    base, head = diff.base_cost or 0.0, diff.head_cost or 0.0
    delta = head - base
    sign = "+" if delta >= 0 else "-"
    return f"monthly cost estimate: {cost.money(base)} -> {cost.money(head)} ({sign}{cost.money(abs(delta))})"
