"""make docs: docs/config-reference.md is the models' copy, current and complete, linked from the README."""

from __future__ import annotations

from components.config.network import AwsSettings
from components.config.schema import leaf_keys
from components.config.stack import SECTIONS
from tools.ops import config_reference
from tools.ops.config_reference import REFERENCE, ROOT, render, section_model


def test_the_committed_reference_is_current():
    assert REFERENCE.read_text() == render(), "docs/config-reference.md is stale: run `make docs` and commit it"


def test_check_mode_fails_on_a_stale_reference(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "config-reference.md"
    stale.write_text(render().replace("`perAz`", "`single`"))
    monkeypatch.setattr(config_reference, "REFERENCE", stale)
    monkeypatch.setattr(config_reference, "ROOT", tmp_path)
    assert config_reference.main(["--check"]) == 1
    assert "config-reference.md is stale: run `make docs`" in capsys.readouterr().err
    assert config_reference.main([]) == 0 and config_reference.main(["--check"]) == 0


def test_every_key_of_every_section_has_a_row_with_its_default():
    text = render()
    rows = {line.split("|")[1].strip().strip("`"): line for line in text.splitlines() if line.startswith("| `")}
    for section in SECTIONS:
        for key in leaf_keys(section_model(section)):
            assert f"tiketi:{section}.{key.path}" in rows
    assert "| `tiketi:network.natGateways` | `perAz` \\| `single` | `perAz` |" in rows["tiketi:network.natGateways"]
    assert "*required*" in rows["tiketi:database.instanceClass"]
    assert {"tiketi:platform", "aws:region", "aws:defaultTags.tags"} <= set(rows)
    assert len(list(leaf_keys(AwsSettings))) == 2


def test_the_readme_points_to_the_reference_and_repeats_no_default_table():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration reference"):readme.index("## Policy pack")]
    assert "(docs/config-reference.md)" in section
    assert "| `tiketi:" not in readme  # the defaults live in the models; the reference is generated
