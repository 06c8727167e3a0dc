"""Redis AUTH rotation (review M3): ROTATE adds the new token, a later SET revokes the old one.

``tiketi:cache.authTokenUpdateStrategy`` reaches the replication group; the runbook's exact commands
(docs/operations.md, "Redis AUTH token: rotate, then revoke") produce a config the parser accepts.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from components.config import parse_stack_config
from tests.support.pulumi_cli import apply_rm, apply_set
from tools.harness.mock_engine import load_stack_config_file, run_program
from tools.harness.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
KEY = "tiketi:cache.authTokenUpdateStrategy"


def with_strategy(stack: str, strategy: str) -> Snapshot:
    cache = json.loads(load_stack_config_file(stack)[0]["tiketi:cache"])
    return Snapshot(run_program(stack, {"tiketi:cache": json.dumps({**cache, "authTokenUpdateStrategy": strategy})}))


def test_the_committed_stacks_rotate(aws_stack):
    assert aws_stack.one(GROUP).inputs["authTokenUpdateStrategy"] == "ROTATE"


@pytest.mark.parametrize("strategy", ["ROTATE", "SET"])
def test_the_configured_strategy_reaches_the_replication_group(strategy):
    snap = with_strategy("staging", strategy)
    group = snap.one(GROUP)
    assert group.inputs["authTokenUpdateStrategy"] == strategy
    assert group.urn == "urn:pulumi:staging::tiketi::tiketi:data:Cache$" + GROUP + "::cache-replication-group"


def runbook_commands(verb: str) -> list[list[str]]:
    text = (ROOT / "docs" / "operations.md").read_text()
    return [shlex.split(m.group(0).strip()) for m in re.finditer(rf"pulumi config {verb}\b[^`\n#]*", text)
            if KEY in m.group(0)]


def test_the_runbook_prints_one_set_and_one_rm():
    assert [" ".join(c) for c in runbook_commands("set")] == [
        "pulumi config set --stack prod --path tiketi:cache.authTokenUpdateStrategy SET"]
    assert [" ".join(c) for c in runbook_commands("rm")] == [
        "pulumi config rm --stack prod --path tiketi:cache.authTokenUpdateStrategy"]


def test_the_runbook_commands_give_set_then_rotate_again():
    raw, secret = load_stack_config_file("prod")
    [set_command], [rm_command] = runbook_commands("set"), runbook_commands("rm")
    revoked = apply_set(raw, set_command)
    assert parse_stack_config("tiketi", "prod", revoked, secret).cache.auth_token_update_strategy == "SET"
    assert json.loads(revoked["tiketi:cache"])["authTokenUpdateStrategy"] == "SET"
    again = apply_rm(revoked, rm_command)
    assert parse_stack_config("tiketi", "prod", again, secret).cache.auth_token_update_strategy == "ROTATE"
    assert json.loads(again["tiketi:cache"]) == json.loads(raw["tiketi:cache"])
