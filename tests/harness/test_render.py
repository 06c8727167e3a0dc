"""The offline render: files written, byte-identical twice, secrets masked, failures reported with exit code 1."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pulumi
import pytest
import yaml

from tests.program.test_invariants import registration, synthetic
from tools.harness import inventory, render, summary
from tools.harness.artifacts import archive_bytes
from tools.harness.mock_engine import ROOT, wrap_secret


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def prod_render(tmp_path_factory, prod) -> Path:
    out = tmp_path_factory.mktemp("render") / "prod"
    render.write(prod, out)
    return out


def test_two_renders_are_byte_identical(prod_render, tmp_path):
    # A separate process with another hash seed and another event-loop schedule: registration order,
    # set iteration and file times all differ from the session's run, the bytes must not.
    env = {**os.environ, "PYTHONHASHSEED": "1234"}
    env.pop(inventory.SECRET_SALT_ENV, None)
    subprocess.run([sys.executable, "-m", "tools.harness.render", "prod", "--out", str(tmp_path), "--quiet"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    first, second = files(prod_render), files(tmp_path / "prod")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert {"resources.json", "summary.txt", "cost.md", "architecture.svg", "architecture.mmd",
            "lambda/cdn-edge.zip", "lambda/worker-function.zip"} <= set(first)


def test_inventory_has_integers_sorted_keys_and_the_mock_banner(prod_render):
    text = (prod_render / "resources.json").read_text()
    doc = json.loads(text)
    assert doc["note"].startswith("Values AWS or Kubernetes compute") and "MOCK" in doc["note"]
    assert text == inventory.dumps(doc)  # keys sorted, two-space indent
    assert not [line for line in text.splitlines() if line.rstrip(",").endswith(".0")]
    vpc = next(r for r in doc["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/16"
    assert vpc["parent"] == "urn:pulumi:prod::tiketi::tiketi:network:Network::network"
    listener = next(r for r in doc["resources"] if r["name"] == "load-balancer-https")
    assert listener["inputs"]["port"] == 443 and isinstance(listener["inputs"]["port"], int)
    assert listener["dependencies"]["loadBalancerArn"] == [
        "urn:pulumi:prod::tiketi::tiketi:edge:LoadBalancer$aws:lb/loadBalancer:LoadBalancer::load-balancer-alb"]


def test_summary_groups_by_tier_in_composition_order_with_agreeing_counts(prod_render):
    text = (prod_render / "summary.txt").read_text()
    lines = text.splitlines()
    tiers = [line.strip("= ") for line in lines if line.startswith("== ")]
    assert tiers == ["network", "observability", "security", "data", "edge", "async", "kubernetes"]
    resources = sum(int(line.rsplit(": ", 1)[1].split()[0]) for line in lines
                    if line.endswith(" resources") and " (tiketi:" in line)
    header = f"tiketi/prod: {resources} resources in 39 components"
    assert lines[0] == header and lines[-1] == f"total: {resources} resources in 39 components"
    assert lines[1].startswith("NOTE: Values AWS or Kubernetes compute")
    assert "natGatewayId=->network-nat-ap-northeast-2a" in text
    # Byte thresholds in the unit the config gave (tiketi:database.alarms.freeStorageGb: 10).
    assert "metricName=FreeStorageSpace  comparisonOperator=LessThanThreshold  threshold=10 GiB" in text
    assert "10737418240" not in text


def test_terminal_output_is_short_by_default_and_full_with_verbose(tmp_path, capsys):
    assert render.main(["local", "--out", str(tmp_path)]) == 0
    short = capsys.readouterr().out
    assert "  kubernetes     workloads (32), network-policies (11)" in short
    assert "kubernetes:apps/v1:Deployment" not in short
    assert "rendered local to" in short and "75 resources in 5 components" in short
    assert render.main(["local", "--out", str(tmp_path), "--verbose"]) == 0
    assert capsys.readouterr().out.startswith((tmp_path / "local" / "summary.txt").read_text())


def test_composition_order_is_read_from_the_program():
    order = summary.composition_order()
    # The edge before the async tier: the internal ALB takes the edge's certificate and logs bucket.
    assert order.index("network") < order.index("alerts") < order.index("database") < order.index("certificates") \
        < order.index("storage") < order.index("queue") < order.index("cluster") < order.index("workloads")


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
    assert render.main(["local", "--out", str(tmp_path), "--quiet"]) == 1
    assert "1 rule violation(s):\n  - aws:sqs/queue:Queue q is not inside a component" in capsys.readouterr().err
    assert (tmp_path / "local" / "resources.json").exists()  # still written, for the reviewer


def test_secrets_are_masked_everywhere_they_are_written(monkeypatch):
    monkeypatch.delenv(inventory.SECRET_SALT_ENV, raising=False)
    # Whole secret objects keep their keys (a Secret's key names stay reviewable), never their values.
    assert render.mask({"a": wrap_secret("s3cr3t"), "b": [wrap_secret({"x": 1})], "c": "plain"}) == {
        "a": "[secret]", "b": [{"x": "[secret]"}], "c": "plain",
    }


def test_a_salted_render_fingerprints_secrets_without_their_value(monkeypatch):
    monkeypatch.setenv(inventory.SECRET_SALT_ENV, "salt-1")
    first = render.mask(wrap_secret("s3cr3t"))
    assert first.startswith("[secret:") and "s3cr3t" not in first
    assert render.mask(wrap_secret("s3cr3t")) == first != render.mask(wrap_secret("other"))
    monkeypatch.setenv(inventory.SECRET_SALT_ENV, "salt-2")
    assert render.mask(wrap_secret("s3cr3t")) != first  # a fingerprint means nothing outside its render-diff


def test_kubernetes_objects_become_manifests(tmp_path):
    snap = synthetic(registration("web", type_="kubernetes:apps/v1:Deployment",
                                  inputs={"apiVersion": "apps/v1", "kind": "Deployment",
                                          "metadata": {"name": "web"}, "spec": {"replicas": 2.0}}),
                     registration("cfg", type_="kubernetes:core/v1:Secret",
                                  inputs={"metadata": {"name": "cfg"}, "stringData": wrap_secret({"k": "v"})}))
    render.write(snap, tmp_path)
    written = sorted((tmp_path / "kubernetes").iterdir())
    manifests = [yaml.safe_load(f.read_text()) for f in written]
    # Apply order (Secret before Deployment); the mock engine's floats become integers again.
    assert manifests[0] == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cfg"},
                            "stringData": {"k": "[secret]"}}
    assert manifests[1] == {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                            "spec": {"replicas": 2}}
    assert [f.name for f in written] == ["000-secret-cfg.yaml", "001-deployment-web.yaml"]


def test_lambda_archives_have_stable_bytes(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "handler.py").write_text("def handler(event, context):\n    return event\n")
    archive = pulumi.AssetArchive({".": pulumi.FileArchive(str(source)),
                                   "config.json": pulumi.StringAsset('{"secret": "x"}')})
    first = archive_bytes(archive)
    os.utime(source / "handler.py", (0, 1_900_000_000))  # another checkout time
    (source / "handler.py").chmod(0o600)
    assert archive_bytes(archive) == first
    zipped = zipfile.ZipFile(BytesIO(first))
    assert zipped.namelist() == ["config.json", "handler.py"]
    assert zipped.read("config.json") == b'{"secret": "x"}'
    assert {info.date_time for info in zipped.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in zipped.infolist()} == {0o100644}
    assert zipfile.ZipFile(BytesIO(archive_bytes(archive, masked=True))).read("config.json") == b"[secret]"


def test_progress_is_shown_only_on_a_terminal():
    class Stream(io.StringIO):
        def __init__(self, tty: bool):
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    shown, hidden = render.Progress(Stream(True)), render.Progress(Stream(False))
    for progress in (shown, hidden):
        progress.stack = "prod"
        progress.registered(120)
        progress.done()
    assert shown.stream.getvalue() == ("\r\033[Kprod: evaluating the program on the mock engine, 120 resources "
                                       "registered\r\033[K")
    assert hidden.stream.getvalue() == ""
