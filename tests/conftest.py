"""Shared fixtures: one mock-engine run of __main__.py per stack, reused by every test.

Running the program is the expensive part (about a second a stack); the queries the
tests make on the recorded registrations cost nothing, so most spec assertions belong on
these session snapshots.
"""

from __future__ import annotations

import json
import os

import pytest

from tools.harness.mock_engine import load_stack_config_file, run_program
from tools.harness.snapshot import Snapshot

# The suite judges EKS versions on the review day, not on the day it runs (components/config/eks_versions.py),
# so it does not turn red when a committed version leaves standard support; preflight warns ahead of that day
# and tests/config/test_eks_versions.py checks the real calendar without failing.
os.environ["TIKETI_EKS_CALENDAR_DAY"] = "2026-11-28"

STACKS = ("local", "staging", "prod")
AWS_STACKS = ("staging", "prod")
ALERT_SUBSCRIBERS = {"emails": ["oncall@tiketi.example", "lead@tiketi.example"],
                     "discordWebhookUrl": "https://discord.com/api/webhooks/123456789012345678/AbC-dEf_123"}

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


@pytest.fixture(scope="session")
def staging_without_proxy_or_waf() -> Snapshot:
    """Staging with the switches the committed stacks never take, on one extra run: RDS Proxy and WAF off,
    and alert subscribers on (on-call emails and a Discord webhook, which the committed stacks leave unset)."""
    raw, _ = load_stack_config_file("staging")
    database = {**json.loads(raw["tiketi:database"]), "proxy": False}
    edge = {**json.loads(raw["tiketi:edge"]), "waf": False}
    return Snapshot(run_program("staging", {"tiketi:database": json.dumps(database),
                                            "tiketi:edge": json.dumps(edge),
                                            "tiketi:alerts": json.dumps(ALERT_SUBSCRIBERS)}))


REDRIVE_ROLE = "arn:aws:iam::123456789012:role/tiketi-operators"


@pytest.fixture(scope="session")
def staging_with_operator_settings() -> Snapshot:
    """Staging with the operator-facing keys the committed stacks leave at their defaults: a redrive role
    the queue policy admits, and a one-minute secret sync."""
    raw, _ = load_stack_config_file("staging")
    queue = {**json.loads(raw["tiketi:queue"]), "redriveRoleArns": [REDRIVE_ROLE]}
    return Snapshot(run_program("staging", {"tiketi:queue": json.dumps(queue),
                                            "tiketi:secrets": json.dumps({"syncIntervalMinutes": 1})}))


def pytest_sessionfinish(session, exitstatus):
    """Stop the real PostgreSQL servers the session started (tests/support/real_programs.py)."""
    from tests.support.real_programs import stop_all

    stop_all()
