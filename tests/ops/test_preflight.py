"""make preview/up refuse the committed placeholders before anything is created, naming each key."""

from __future__ import annotations

import json

from tests.ops.test_workflows import WORKFLOWS, load
from tools.harness import render
from tools.harness.mock_engine import load_stack_config_file
from tools.harness.policy_check import config_placeholders
from tools.ops import preflight

PROD_PLACEHOLDER_KEYS = [
    "tiketi:alerts.emails[0]",
    "tiketi:cluster.publicAccessCidrs[0]",
    "tiketi:cluster.accessEntries.ci-deploy.principalArn",
    "tiketi:cluster.accessEntries.ci-preview.principalArn",
    "tiketi:cluster.accessEntries.platform-admins.principalArn",
    "tiketi:edge.hostedZone",
    "tiketi:edge.albOriginDomain",
    "tiketi:edge.internalApiDomain",
    "tiketi:edge.aliases[0]",
    "tiketi:edge.aliases[1]",
    "tiketi:edge.corsOrigins[0]",
    "tiketi:edge.corsOrigins[1]",
]


def test_prod_is_refused_with_every_placeholder_key_named(capsys):
    assert preflight.main(["--stack", "prod"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("preflight prod: refusing to deploy: 12 value(s) in Pulumi.prod.yaml are placeholders")
    named = [line.removeprefix("  - ").split(": ")[0] for line in err.splitlines()[1:]]
    assert named == PROD_PLACEHOLDER_KEYS
    assert ('  - tiketi:cluster.accessEntries.ci-preview.principalArn: "arn:aws:iam::123456789012:role/'
            'tiketi-ci-preview-prod" names the documentation account 123456789012') in err
    assert '  - tiketi:cluster.publicAccessCidrs[0]: "203.0.113.0/24" is in the documentation range' in err


def test_staging_is_refused_too(capsys):
    assert preflight.main(["--stack", "staging"]) == 1
    assert "tiketi:edge.aliases[0]: \"staging.tiketi.example.com\"" in capsys.readouterr().err


def test_the_local_stack_has_nothing_to_replace(capsys):
    assert preflight.main(["--stack", "local"]) == 0
    assert capsys.readouterr().out == "preflight local: config valid, no placeholder values\n"


def test_a_stack_with_the_teams_values_passes(capsys, monkeypatch):
    config, secret_keys = load_stack_config_file("prod")
    real = {}
    for key, raw in config.items():
        text = (raw.replace("123456789012", "210987654321").replace("example.com", "tiketi.io")
                .replace("203.0.113.0/24", "198.18.0.0/24"))
        real[key] = text
    monkeypatch.setattr(preflight, "load_stack_config_file", lambda stack: (real, secret_keys))
    assert preflight.main(["--stack", "prod"]) == 0


def test_invalid_config_is_refused_with_the_config_message(capsys, monkeypatch):
    config, secret_keys = load_stack_config_file("prod")
    broken = {**config, "tiketi:alerts": json.dumps({"emails": []})}
    monkeypatch.setattr(preflight, "load_stack_config_file", lambda stack: (broken, secret_keys))
    assert preflight.main(["--stack", "prod"]) == 1
    assert "tiketi:alerts.emails: [] is empty and there is no discordWebhookUrl, so every alarm" in (
        capsys.readouterr().err)


def test_secure_values_are_never_read():
    assert config_placeholders({"tiketi:x": '"example.com"'}, {"tiketi:x"}) == []


def test_the_offline_render_keeps_them_and_says_so(prod, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(render, "run_program", lambda stack: prod.run)
    assert render.main(["prod", "--out", str(tmp_path), "--quiet"]) == 0
    summary = (tmp_path / "prod" / "summary.txt").read_text()
    section = summary[summary.index("placeholders kept in this offline render (12; make preview/up refuse them"):]
    assert [line.strip().split(": ")[0] for line in section.splitlines()[1:13]] == PROD_PLACEHOLDER_KEYS
    assert summary.splitlines()[-1].startswith("total: ")
    assert "12 placeholder value(s) kept (listed in summary.txt)" in capsys.readouterr().out


def test_every_deploy_and_preview_job_runs_the_preflight_before_pulumi():
    jobs = 0
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            steps = job.get("steps", [])
            pulumi = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("pulumi/actions")]
            if not pulumi:
                continue
            jobs += 1
            preflights = [i for i, s in enumerate(steps) if "make preflight" in s.get("run", "")]
            assert preflights and preflights[0] < pulumi[0], path.name
    assert jobs == 3  # deploy staging, deploy prod, preview (a matrix of both)


def test_preflight_warns_sixty_days_before_the_cluster_version_leaves_standard_support(capsys, monkeypatch):
    monkeypatch.setenv("TIKETI_EKS_CALENDAR_DAY", "2027-02-15")
    preflight.main(["--stack", "prod"])
    assert ("preflight prod: warning: tiketi:cluster.version 1.35 leaves EKS standard support on 2027-03-27 (in 40 "
            "days)") in capsys.readouterr().err
    monkeypatch.setenv("TIKETI_EKS_CALENDAR_DAY", "2026-11-28")
    preflight.main(["--stack", "prod"])
    assert "warning" not in capsys.readouterr().err
