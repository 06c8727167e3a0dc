"""The shared vocabulary of the rules: what a resource looks like to a rule, and what a violation is.

A ``Resource`` is what both engines (CrossGuard and the mock engine) can tell: its type,
name, URN, input properties (camelCase, secrets already unwrapped), the region and
``Environment`` tag of the AWS provider that manages it, and which resources each property
depends on (by URN). Plain Python, no Pulumi imports, so tests and the offline render use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    region: str | None = None
    environment: str | None = None
    dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def depends_on(self, other: Resource, prop: str | None = None) -> bool:
        props = [prop] if prop else list(self.dependencies)
        return any(other.urn in self.dependencies.get(p, ()) for p in props)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    types: tuple[str, ...]  # resource types it looks at; empty: every type
    check: Callable[[Resource], list[str]]


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    check: Callable[[list[Resource]], list[tuple[Resource, str]]]


@dataclass(frozen=True)
class Violation:
    rule: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.resource}: {self.message}"


def get(value: Any, *path: str) -> Any:
    """value[path[0]][path[1]]... or None when any step is missing."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
