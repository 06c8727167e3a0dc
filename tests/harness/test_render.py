"""The offline render: files written, secrets masked, failures reported with exit code 1."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import pulumi
import yaml

from tests.program.test_invariants import registration, synthetic
from tools.harness import render
from tools.harness.mock_engine import wrap_secret


def test_render_writes_inventory_and_summary(tmp_path, capsys):
    assert render.main(["prod", "--out", str(tmp_path)]) == 0
    inventory = json.loads((tmp_path / "prod" / "resources.json").read_text())
    vpc = next(r for r in inventory if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/16"
    assert vpc["parent"].endswith("tiketi:network:Network::network")
    summary = (tmp_path / "prod" / "summary.txt").read_text()
    assert "network (tiketi:network:Network)" in summary
    assert "cidrBlock=10.0.0.0/16" in summary
    assert "natGatewayId=->network-nat-ap-northeast-2a" in summary
    assert "rendered prod" in capsys.readouterr().out


def test_render_fails_with_the_config_message(tmp_path, capsys, monkeypatch):
    def failing_run(stack):
        from tools.harness.mock_engine import run_program

        return run_program(stack, config_overrides={"tiketi:platform": "gke"})

    monkeypatch.setattr(render, "run_program", failing_run)
    assert render.main(["local", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert 'tiketi:platform: "gke" is not allowed; expected "kind" or "aws"' in err
    assert "Traceback" not in err


def test_render_refuses_an_unknown_stack(tmp_path, capsys):
    assert render.main(["qa", "--out", str(tmp_path)]) == 1
    assert "no stack file Pulumi.qa.yaml; stacks are: local, prod, staging" in capsys.readouterr().err


def test_render_fails_on_a_rule_violation(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(render, "check_all", lambda snap: ["aws:sqs/queue:Queue q is not inside a component"])
    assert render.main(["staging", "--out", str(tmp_path)]) == 1
    assert "1 rule violation(s):\n  - aws:sqs/queue:Queue q is not inside a component" in capsys.readouterr().err


def test_secrets_are_masked_everywhere_they_are_written():
    # Whole secret objects keep their keys (a Secret's key names stay reviewable), never their values.
    assert render.mask({"a": wrap_secret("s3cr3t"), "b": [wrap_secret({"x": 1})], "c": "plain"}) == {
        "a": "[secret]", "b": [{"x": "[secret]"}], "c": "plain",
    }


def test_kubernetes_objects_become_manifests(tmp_path):
    snap = synthetic(registration("web", type_="kubernetes:apps/v1:Deployment",
                                  inputs={"apiVersion": "apps/v1", "kind": "Deployment",
                                          "metadata": {"name": "web"}, "spec": {"replicas": 2.0}}),
                     registration("cfg", type_="kubernetes:core/v1:Secret",
                                  inputs={"metadata": {"name": "cfg"}, "stringData": wrap_secret({"k": "v"})}))
    render.write(snap, tmp_path)
    files = sorted((tmp_path / "kubernetes").iterdir())
    manifests = [yaml.safe_load(f.read_text()) for f in files]
    # Apply order (Secret before Deployment); the mock engine's floats become integers again.
    assert manifests[0] == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cfg"},
                            "stringData": {"k": "[secret]"}}
    assert manifests[1] == {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                            "spec": {"replicas": 2}}
    assert [f.name for f in files] == ["000-secret-cfg.yaml", "001-deployment-web.yaml"]


def test_lambda_archives_are_zipped(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "handler.py").write_text("def handler(event, context):\n    return event\n")
    archive = pulumi.AssetArchive({".": pulumi.FileArchive(str(source)),
                                   "config.json": pulumi.StringAsset('{"secret": "x"}')})
    zipped = zipfile.ZipFile(BytesIO(render.archive_bytes(archive)))
    assert sorted(zipped.namelist()) == ["config.json", "handler.py"]
    assert zipped.read("config.json") == b'{"secret": "x"}'
