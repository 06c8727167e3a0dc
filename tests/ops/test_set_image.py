"""make set-image: the tag lands in the stack file as `pulumi config set --path` would put it."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from components.config import parse_stack_config
from tools.harness.mock_engine import load_stack_config_file
from tools.ops import set_image

ROOT = Path(__file__).resolve().parents[2]


def copy_stack(tmp_path: Path, stack: str) -> Path:
    shutil.copy(ROOT / f"Pulumi.{stack}.yaml", tmp_path / f"Pulumi.{stack}.yaml")
    return tmp_path / f"Pulumi.{stack}.yaml"


def test_promotes_one_service_and_keeps_the_file_otherwise_intact(tmp_path, capsys):
    path = copy_stack(tmp_path, "prod")
    before = path.read_text()
    assert set_image.main(["--stack", "prod", "--service", "ticket-service", "--tag", "3f9c2ab-20261124120000",
                           "--root", str(tmp_path)]) == 0
    assert "ticket-service (stack default) -> 3f9c2ab-20261124120000" in capsys.readouterr().out
    after = path.read_text()
    assert "# spec section 2" in after and "# office/VPN and CI egress" in after  # comments survive
    document = yaml.safe_load(after)
    assert document["config"]["tiketi:workloads"]["imageTags"] == {"ticket-service": "3f9c2ab-20261124120000"}
    original = yaml.safe_load(before)
    del document["config"]["tiketi:workloads"]["imageTags"]
    assert document == original  # nothing else changed


def test_the_promoted_tag_reaches_the_deployment(tmp_path):
    path = copy_stack(tmp_path, "prod")
    set_image.set_image(path, "ticket-service", "3f9c2ab-20261124120000")
    raw, _ = load_stack_config_file("prod", root=tmp_path)
    config = parse_stack_config("tiketi", "prod", raw)
    assert config.workloads.image_tag_for("ticket-service") == "3f9c2ab-20261124120000"
    assert config.workloads.image_tag_for("auth-service") == "1.0.0"


def test_bad_promotions_are_refused_and_change_nothing(tmp_path, capsys):
    path = copy_stack(tmp_path, "staging")
    before = path.read_text()
    for service, tag, message in (("billing-service", "1.0.1", "unknown service 'billing-service'"),
                                  ("ticket-service", "latest", "tag 'latest' is not allowed"),
                                  ("ticket-service", "bad tag", "tag 'bad tag' is not allowed")):
        assert set_image.main(["--stack", "staging", "--service", service, "--tag", tag,
                               "--root", str(tmp_path)]) == 2
        assert message in capsys.readouterr().err
    assert path.read_text() == before
    assert set_image.main(["--stack", "qa", "--service", "ticket-service", "--tag", "1",
                           "--root", str(tmp_path)]) == 2
    assert "no stack file Pulumi.qa.yaml" in capsys.readouterr().err
