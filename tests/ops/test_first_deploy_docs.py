"""The first-deploy commands the docs print (review finding B1) work with the program's config parser.

Step 1 of a first deploy overrides ``deployServices`` inside the ``tiketi:workloads`` object. The
tests take the exact ``pulumi`` commands README.md, docs/operations.md and the Makefile print,
apply them to each AWS stack's config the way the Pulumi CLI does, and run ``parse_stack_config``.
(tests/support/pulumi_cli.py emulates the CLI, citing its source).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from components.config import ConfigError, parse_stack_config
from tests.support.pulumi_cli import apply_rm, apply_up, config_set
from tools.harness.mock_engine import available_stacks, load_stack_config_file

ROOT = Path(__file__).resolve().parents[2]
OVERRIDE = "tiketi:workloads.deployServices"
UP = re.compile(r"pulumi up\b[^`\n#]*")
RM = re.compile(r"pulumi config rm\b[^`\n#]*")


def aws_stacks() -> list[str]:
    return [s for s in available_stacks() if load_stack_config_file(s)[0].get("tiketi:platform") == "aws"]


def printed(pattern: re.Pattern[str], source: str) -> list[list[str]]:
    """Every command matching ``pattern`` in ``source`` that touches the override, split as a shell would."""
    text = (ROOT / source).read_text()
    return [shlex.split(m.group(0).strip()) for m in pattern.finditer(text) if OVERRIDE in m.group(0)]


def documented_up_commands() -> list[list[str]]:
    return [c for source in ("README.md", "docs/operations.md", "Makefile") for c in printed(UP, source)]


def documented_rm_commands() -> list[list[str]]:
    return [c for source in ("README.md", "docs/operations.md") for c in printed(RM, source)]


def test_the_docs_and_the_makefile_print_the_step_one_and_step_three_commands():
    assert [" ".join(c) for c in documented_up_commands()] == [
        "pulumi up --config-path -c tiketi:workloads.deployServices=false",
        "pulumi up --stack staging --policy-pack policy --config-path -c tiketi:workloads.deployServices=false",
        "pulumi up --stack $(STACK) --policy-pack policy --config-path -c tiketi:workloads.deployServices=false",
    ]
    assert [" ".join(c) for c in documented_rm_commands()] == [
        "pulumi config rm --path tiketi:workloads.deployServices",
        "pulumi config rm --stack staging --path tiketi:workloads.deployServices",
    ]


def test_the_aws_stacks_are_staging_and_prod():
    assert sorted(aws_stacks()) == ["prod", "staging"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
@pytest.mark.parametrize("command", documented_up_commands(), ids=lambda c: " ".join(c[:4]))
def test_the_documented_step_one_turns_the_deployments_off_and_nothing_else(stack, command):
    raw, secret = load_stack_config_file(stack)
    overridden = apply_up(raw, command)
    assert set(overridden) == set(raw)  # no new top-level key
    config = parse_stack_config("tiketi", stack, overridden, secret)
    committed = parse_stack_config("tiketi", stack, raw, secret)
    assert committed.workloads.deploy_services is True
    assert config.workloads.deploy_services is False
    assert config.workloads.model_copy(update={"deploy_services": True}) == committed.workloads
    assert json.loads(overridden["tiketi:workloads"])["deployServices"] is False


@pytest.mark.parametrize("stack", ["staging", "prod"])
@pytest.mark.parametrize("command", documented_rm_commands(), ids=lambda c: " ".join(c[:5]))
def test_the_documented_step_three_restores_the_committed_config(stack, command):
    raw, secret = load_stack_config_file(stack)
    after_step_one = apply_up(raw, documented_up_commands()[1])
    restored = apply_rm(after_step_one, command)
    assert {k: json.loads(v) if k == "tiketi:workloads" else v for k, v in restored.items()} == \
        {k: json.loads(v) if k == "tiketi:workloads" else v for k, v in raw.items()}
    assert parse_stack_config("tiketi", stack, restored, secret).workloads.deploy_services is True


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_without_config_path_pulumi_writes_a_literal_key_the_parser_refuses(stack):
    raw, secret = load_stack_config_file(stack)
    command = shlex.split("pulumi up -c tiketi:workloads.deployServices=false")
    overridden = apply_up(raw, command)
    assert overridden["tiketi:workloads.deployServices"] == "false"
    assert overridden["tiketi:workloads"] == raw["tiketi:workloads"]
    with pytest.raises(ConfigError) as error:
        parse_stack_config("tiketi", stack, overridden, secret)
    assert "tiketi:workloads.deployServices: unknown key; allowed keys are tiketi:" in str(error.value)


def test_the_emulated_cli_stores_path_values_as_the_cli_does():
    raw = {"tiketi:workloads": "{}"}
    assert json.loads(config_set(raw, "tiketi:workloads.a.b", "true", path=True)["tiketi:workloads"]) == \
        {"a": {"b": True}}
    assert json.loads(config_set(raw, "tiketi:workloads.n", "42", path=True)["tiketi:workloads"]) == {"n": 42}
    assert json.loads(config_set(raw, "tiketi:workloads.z", "0123", path=True)["tiketi:workloads"]) == {"z": "0123"}
    assert config_set(raw, "tiketi:workloads.n", "42", path=False) == {"tiketi:workloads": "{}",
                                                                        "tiketi:workloads.n": "42"}
