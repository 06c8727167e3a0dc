"""The dependency graph Pulumi builds from a program's registrations, and rules over it.

Pulumi creates in parallel everything that does not depend on each other, and deletes in
the reverse order of the same graph. What the engine counts as "X depends on Y" (engine:
``pkg/resource/graph/dependency_graph.go``, ``DependenciesOf``/``TransitiveDependenciesOf``;
SDK: ``pulumi/runtime/resource.py`` ``prepare_resource`` and ``rpc._add_dependency``):

- **its dependencies**: the ``depends_on`` list, where a local component stands for every
  custom resource below it (``rpc._add_dependency``: "local component resources act as
  aggregations of their descendents"), plus every resource an input value came from;
- **its parent**: a child's registration awaits the parent's URN, and a component's URN
  resolves only after its own ``depends_on`` has been created, so a child waits for what its
  component waits for. The child does *not* copy the component's ``depends_on`` list into
  its own (``Resource.__init__`` inherits only providers and ``protect``), but the engine's
  graph reaches it through the parent edge for deletes too;
- **its provider**: a resource waits for its provider, and the provider for its own inputs
  (a Kubernetes provider for the kubeconfig, i.e. the cluster).

So "X waits for Y" here means: Y is reachable from X over these edges. Every rule is
checked against that closure: the same edges order ``pulumi up`` and ``pulumi destroy``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot


def provider_urn(reference: str | None) -> str | None:
    """``<urn>::<id>`` -> ``<urn>`` (the engine's provider reference)."""
    return reference.rsplit("::", 1)[0] if reference else None


class DependencyGraph:
    def __init__(self, snap: Snapshot):
        self.snap = snap
        self._by_urn = {r.urn: r for r in snap.registrations}

    @cached_property
    def edges(self) -> dict[str, frozenset[str]]:
        edges = {}
        for r in self.snap.registrations:
            targets = set(r.all_dependencies)
            for urns in r.dependencies.values():
                targets.update(urns)
            if r.parent:
                targets.add(r.parent)
            if r.provider:
                targets.add(provider_urn(r.provider))
            edges[r.urn] = frozenset(t for t in targets if t in self._by_urn)
        return edges

    def closure(self, urn: str) -> set[str]:
        """Every URN ``urn`` waits for, directly or not."""
        cache = self.__dict__.setdefault("_closure", {})
        if urn not in cache:
            seen: set[str] = set()
            frontier = list(self.edges.get(urn, ()))
            while frontier:
                current = frontier.pop()
                if current not in seen:
                    seen.add(current)
                    frontier.extend(self.edges.get(current, ()))
            cache[urn] = seen
        return cache[urn]

    def waits_for(self, resource: Registration, other: Registration) -> bool:
        return other.urn in self.closure(resource.urn)

    def path(self, resource: Registration, other: Registration) -> list[Registration]:
        """One chain of edges from ``resource`` to ``other`` (for messages); empty when there is none."""
        previous: dict[str, str] = {}
        frontier, seen = [resource.urn], {resource.urn}
        while frontier:
            current = frontier.pop(0)
            if current == other.urn:
                chain = [current]
                while chain[-1] != resource.urn:
                    chain.append(previous[chain[-1]])
                return [self._by_urn[u] for u in reversed(chain)]
            for target in sorted(self.edges.get(current, ())):
                if target not in seen:
                    seen.add(target)
                    previous[target] = current
                    frontier.append(target)
        return []


@dataclass(frozen=True)
class OrderRule:
    """One thing AWS or Kubernetes checks when a resource is created (or deleted), as graph reachability.

    ``kind="needs"``: each resource ``related`` returns must be waited for (it exists before
    the resource is created, and outlives it on destroy). ``kind="must-not-wait"``: none of
    them may be waited for (e.g. a database must not wait for the services that connect to it).
    """

    name: str
    resource_types: tuple[str, ...]  # the resources the rule is about ("*" for every type)
    related: Callable[[Snapshot, Registration], Iterable[Registration]]
    why: str  # what the cloud checks, in one sentence
    source: str  # where that is documented (URL or doc title)
    kind: Literal["needs", "must-not-wait"] = "needs"

    def applies_to(self, resource: Registration) -> bool:
        return resource.custom and ("*" in self.resource_types or resource.type in self.resource_types)


def describe(resource: Registration) -> str:
    return f"{resource.type.split(':')[-1]} {resource.name}"


def check_rules(snap: Snapshot, rules: Iterable[OrderRule]) -> list[str]:
    graph = DependencyGraph(snap)
    problems = []
    for rule in rules:
        for resource in snap.registrations:
            if not rule.applies_to(resource):
                continue
            for other in rule.related(snap, resource):
                waits = graph.waits_for(resource, other)
                if rule.kind == "needs" and not waits:
                    problems.append(f"[{rule.name}] {describe(resource)} does not wait for {describe(other)}: "
                                    f"{rule.why} ({rule.source})")
                elif rule.kind == "must-not-wait" and waits:
                    chain = " -> ".join(describe(r) for r in graph.path(resource, other))
                    problems.append(f"[{rule.name}] {describe(resource)} waits for {describe(other)} ({chain}): "
                                    f"{rule.why} ({rule.source})")
    return problems
