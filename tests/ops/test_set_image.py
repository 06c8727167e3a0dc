"""make set-image: a promotion is a one-line diff of the stack file, and means what `pulumi config set --path` would."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
import yaml

from components.config import parse_stack_config
from components.services import SERVICE_NAMES
from tools.harness.mock_engine import load_stack_config_file
from tools.ops import set_image

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("local", "staging", "prod")


def copy_stack(tmp_path: Path, stack: str) -> Path:
    shutil.copy(ROOT / f"Pulumi.{stack}.yaml", tmp_path / f"Pulumi.{stack}.yaml")
    return tmp_path / f"Pulumi.{stack}.yaml"


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines, compared as text."""
    diff = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def promote(tmp_path: Path, stack: str, service: str, tag: str) -> int:
    return set_image.main(["--stack", stack, "--service", service, "--tag", tag, "--root", str(tmp_path)])


@pytest.mark.parametrize("stack", STACKS)
def test_a_first_promotion_adds_only_the_override(tmp_path, stack, capsys):
    path = copy_stack(tmp_path, stack)
    before = path.read_text()
    assert promote(tmp_path, stack, "ticket-service", "3f9c2ab-20261124120000") == 0
    assert f"Pulumi.{stack}.yaml: ticket-service (stack default) -> 3f9c2ab-20261124120000" in capsys.readouterr().out
    removed, added = changed_lines(before, path.read_text())
    # No stack has an override yet: imageTags and its one entry, indented like their neighbours.
    assert removed == []
    assert added == ["    imageTags:\n", "      ticket-service: 3f9c2ab-20261124120000\n"]


@pytest.mark.parametrize("stack", STACKS)
def test_later_promotions_change_or_add_exactly_one_line(tmp_path, stack):
    path = copy_stack(tmp_path, stack)
    promote(tmp_path, stack, "ticket-service", "3f9c2ab-20261124120000")
    before = path.read_text()
    assert promote(tmp_path, stack, "auth-service", "77aa01c-20261125090000") == 0
    assert changed_lines(before, path.read_text()) == ([], ["      auth-service: 77aa01c-20261125090000\n"])
    before = path.read_text()
    assert promote(tmp_path, stack, "ticket-service", "4d5e6f7-20261126100000") == 0
    assert changed_lines(before, path.read_text()) == (
        ["      ticket-service: 3f9c2ab-20261124120000\n"], ["      ticket-service: 4d5e6f7-20261126100000\n"])


def test_comments_quoting_and_long_lines_survive(tmp_path):
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(
        "# prod\n"
        "config:\n"
        "  tiketi:platform: aws\n"
        "  tiketi:edge:\n"
        "    albCertificateArn: arn:aws:acm:ap-northeast-2:123456789012:certificate/"
        "6f0b2c9d-1e4a-4f7b-8c3d-2a5e9b0c7d16\n"
        "  tiketi:workloads:             # spec section 2\n"
        "    namespace: tiketi-prod\n"
        "    imageTag: \"1.0.0\"\n"
        "    imageTags:\n"
        "      # promoted by CI\n"
        "      ticket-service: \"1.0.1\"   # hotfix\n"
        "    autoscaling:\n"
        "      gateway-service: {min: 3, max: 10}\n")
    before = path.read_text()
    assert set_image.set_image(path, "ticket-service", "1.0.2") == "1.0.1"
    assert changed_lines(before, path.read_text()) == (
        ['      ticket-service: "1.0.1"   # hotfix\n'], ['      ticket-service: "1.0.2"   # hotfix\n'])
    before = path.read_text()
    set_image.set_image(path, "frontend", "2.10")  # YAML would read an unquoted 2.10 as 2.1
    assert changed_lines(before, path.read_text()) == ([], ['      frontend: "2.10"\n'])
    assert yaml.safe_load(path.read_text())["config"]["tiketi:workloads"]["imageTags"] == {
        "ticket-service": "1.0.2", "frontend": "2.10"}


def test_the_promoted_tag_reaches_the_config(tmp_path):
    path = copy_stack(tmp_path, "prod")
    set_image.set_image(path, "ticket-service", "3f9c2ab-20261124120000")
    raw, _ = load_stack_config_file("prod", root=tmp_path)
    config = parse_stack_config("tiketi", "prod", raw)
    assert config.workloads.image_tag_for("ticket-service") == "3f9c2ab-20261124120000"
    assert config.workloads.image_tag_for("auth-service") == "1.0.0"
    original = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    promoted = yaml.safe_load(path.read_text())
    assert promoted["config"]["tiketi:workloads"].pop("imageTags") == {"ticket-service": "3f9c2ab-20261124120000"}
    assert promoted == original


def test_every_service_can_be_promoted_on_every_stack(tmp_path):
    for stack in STACKS:
        path = copy_stack(tmp_path, stack)
        for service in SERVICE_NAMES:
            set_image.set_image(path, service, f"{service[:4]}-20261124")
        tags = yaml.safe_load(path.read_text())["config"]["tiketi:workloads"]["imageTags"]
        assert tags == {service: f"{service[:4]}-20261124" for service in SERVICE_NAMES}


def test_bad_promotions_are_refused_and_change_nothing(tmp_path, capsys):
    path = copy_stack(tmp_path, "staging")
    copy_stack(tmp_path, "prod")
    before = path.read_text()
    for service, tag, message in (("billing-service", "1.0.1", "unknown service 'billing-service'"),
                                  ("ticket-service", "latest", "tag 'latest' is not allowed"),
                                  ("ticket-service", "bad tag", "tag 'bad tag' is not allowed")):
        assert promote(tmp_path, "staging", service, tag) == 2
        assert message in capsys.readouterr().err
    assert path.read_text() == before


def test_a_bad_stack_name_lists_the_valid_stacks(tmp_path, capsys):
    for stack in STACKS:
        copy_stack(tmp_path, stack)
    assert promote(tmp_path, "qa", "ticket-service", "1.0.1") == 2
    assert capsys.readouterr().err == "set-image: no stack file Pulumi.qa.yaml; the stacks are: local, prod, staging\n"


def test_a_flow_style_image_tags_map_is_refused_not_rewritten(tmp_path, capsys):
    path = tmp_path / "Pulumi.qa.yaml"
    path.write_text("config:\n  tiketi:workloads:\n    namespace: qa\n    imageTags: {auth-service: \"1.0\"}\n")
    before = path.read_text()
    assert promote(tmp_path, "qa", "ticket-service", "1.0.1") == 2
    assert "Pulumi.qa.yaml writes imageTags on one line (flow style)" in capsys.readouterr().err
    assert path.read_text() == before
