"""Shared fixtures: one mock-engine run of __main__.py per stack, reused by every test.

Running the program is the expensive part (about a second a stack); the queries the
tests make on the recorded registrations cost nothing, so most spec assertions belong on
these session snapshots.
"""

from __future__ import annotations

import pytest

from tools.harness.mock_engine import run_program
from tools.harness.snapshot import Snapshot

STACKS = ("local", "staging", "prod")
AWS_STACKS = ("staging", "prod")

_cache: dict[str, Snapshot] = {}


def snapshot_of(stack: str) -> Snapshot:
    if stack not in _cache:
        _cache[stack] = Snapshot(run_program(stack))
    return _cache[stack]


@pytest.fixture(scope="session")
def local() -> Snapshot:
    return snapshot_of("local")


@pytest.fixture(scope="session")
def staging() -> Snapshot:
    return snapshot_of("staging")


@pytest.fixture(scope="session")
def prod() -> Snapshot:
    return snapshot_of("prod")


@pytest.fixture(scope="session", params=STACKS)
def any_stack(request) -> Snapshot:
    return snapshot_of(request.param)


@pytest.fixture(scope="session", params=AWS_STACKS)
def aws_stack(request) -> Snapshot:
    return snapshot_of(request.param)
