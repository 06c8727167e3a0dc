"""CDK-``assertions``-style queries over one program run: find resources by type and properties.

    snap.one("aws:ec2/vpc:Vpc", cidrBlock="10.0.0.0/16")
    snap.all("aws:ec2/subnet:Subnet", tags={"Tier": "data"})
    snap.children(network_component, "aws:ec2/routeTable:RouteTable")

Property matching is "object-like": every key given must match, others are ignored;
nested dicts match the same way, lists must match element by element, and a callable
is a predicate. Inputs keep the engine's camelCase names; secrets stay wrapped (see
``unwrap``), numbers arrive as floats (``443 == 443.0`` in Python, so plain ints work).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tools.harness.mock_engine import ProgramRun, Registration, is_secret


def matches(actual: Any, expected: Any) -> bool:
    if callable(expected):
        return bool(expected(actual))
    if is_secret(actual) and not is_secret(expected):
        actual = actual["value"]
    if isinstance(expected, dict):
        if isinstance(actual, str) and actual.startswith("{"):
            # Providers and policies arrive JSON-encoded (e.g. an aws provider's defaultTags).
            try:
                actual = json.loads(actual)
            except ValueError:
                return False
        return isinstance(actual, dict) and all(
            key in actual and matches(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(actual, (list, tuple))
            and len(actual) == len(expected)
            and all(matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return actual == expected


def unwrap(value: Any) -> Any:
    """The value with every secret marker removed (for assertions on secret inputs)."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


class Snapshot:
    def __init__(self, run: ProgramRun):
        self.run = run
        self.stack = run.stack
        self.registrations = run.registrations
        self.outputs = run.stack_outputs
        self._by_urn = {r.urn: r for r in run.registrations}
        self._by_id = {r.id: r for r in run.registrations if r.id}

    # --- queries ---------------------------------------------------------------------

    def all(self, type_: str | None = None, **props: Any) -> list[Registration]:
        return [
            r
            for r in self.registrations
            if (type_ is None or r.type == type_) and matches(r.inputs, props)
        ]

    def one(self, type_: str, **props: Any) -> Registration:
        found = self.all(type_, **props)
        if len(found) != 1:
            raise AssertionError(
                f"expected exactly one {type_} matching {props}, found {len(found)}: "
                f"{[r.name for r in found]}"
            )
        return found[0]

    def none(self, type_: str, **props: Any) -> None:
        found = self.all(type_, **props)
        if found:
            raise AssertionError(f"expected no {type_} matching {props}, found {[r.name for r in found]}")

    def children(self, parent: Registration, type_: str | None = None) -> list[Registration]:
        return [r for r in self.registrations if r.parent == parent.urn and (type_ is None or r.type == type_)]

    def descendants(self, parent: Registration) -> list[Registration]:
        found, frontier = [], [parent.urn]
        while frontier:
            urn = frontier.pop()
            for r in self.registrations:
                if r.parent == urn:
                    found.append(r)
                    frontier.append(r.urn)
        return found

    def component_of(self, resource: Registration) -> Registration | None:
        """The top-level component a resource belongs to (None for top-level resources)."""
        current, top = resource, None
        while current.parent:
            current = self._by_urn[current.parent]
            top = current
        return top

    def by_id(self, resource_id: Any) -> Registration:
        """The resource a reference points at: the mock engine gives every resource a unique id."""
        return self._by_id[unwrap(resource_id)]

    def components(self) -> list[Registration]:
        return [r for r in self.registrations if not r.custom]

    def providers(self, package: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == f"pulumi:providers:{package}"]

    def types(self) -> set[str]:
        return {r.type for r in self.registrations}

    def config(self, key: str) -> Any:
        raw = self.run.config.get(key)
        try:
            return json.loads(raw) if raw is not None else None
        except ValueError:
            return raw


def secret_leaves(value: Any) -> Iterable[str]:
    """Strings that are themselves marked secret.

    Pulumi marks a whole object secret when any part of it is (a Lambda's environment with
    one secret variable arrives wrapped as a whole), so only a marker that wraps a string
    directly says which value is the secret.
    """
    if is_secret(value):
        inner = value["value"]
        if isinstance(inner, str):
            yield inner
        else:
            yield from secret_leaves(inner)
    elif isinstance(value, dict):
        for item in value.values():
            yield from secret_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from secret_leaves(item)


def walk_strings(value: Any, inside_secret: bool = False) -> Iterable[tuple[str, bool]]:
    """Every string in a value, with whether it sits inside a secret marker."""
    if is_secret(value):
        yield from walk_strings(value["value"], True)
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk_strings(item, inside_secret)
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item, inside_secret)
    elif isinstance(value, str):
        yield value, inside_secret

