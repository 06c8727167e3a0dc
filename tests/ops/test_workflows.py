"""The GitHub workflows: valid against the workflow schema, only existing make targets, and the Discord step."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from tools.ops import notify_discord

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def load(path: Path) -> dict:
    # PyYAML reads the key "on" as True; the schema expects the string.
    document = yaml.safe_load(path.read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9_./-]+):", makefile, flags=re.MULTILINE))


def test_there_are_a_pull_request_and_a_deploy_workflow():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_validates_against_the_github_schema(path):
    schema = json.loads(resources.files("check_jsonschema.builtin_schemas.vendor")
                        .joinpath("github-workflows.json").read_text())
    jsonschema.validate(load(path), schema)


def test_the_schema_catches_a_broken_workflow():
    schema = json.loads(resources.files("check_jsonschema.builtin_schemas.vendor")
                        .joinpath("github-workflows.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"on": "push", "jobs": {"x": {"steps": [{"run": "true"}]}}}, schema)  # no runs-on


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_only_call_make_targets_that_exist(path):
    targets = make_targets()
    for job in load(path)["jobs"].values():
        for step in job.get("steps", []):
            for command in re.findall(r"\bmake ([^\n;&|]+)", step.get("run", "")):
                for target in command.split():
                    assert target in targets, f"{path.name}: make {target} is not a Makefile target"


def test_pull_requests_preview_both_aws_stacks_with_the_policy_pack():
    workflow = load(ROOT / ".github/workflows/pull-request.yml")
    preview = workflow["jobs"]["preview"]
    assert preview["strategy"]["matrix"]["stack"] == ["staging", "prod"]
    assert preview["permissions"]["id-token"] == "write"
    [pulumi] = [s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert pulumi["with"]["secrets-provider"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}"
    [aws] = [s for s in preview["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"


def test_deploy_goes_staging_then_protected_prod_then_notifies():
    jobs = load(ROOT / ".github/workflows/deploy.yml")["jobs"]
    assert jobs["staging"]["needs"] == "test" and jobs["prod"]["needs"] == "staging"
    assert jobs["prod"]["environment"] == "production"
    for stack in ("staging", "prod"):
        [pulumi] = [s for s in jobs[stack]["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
        assert (pulumi["with"]["command"], pulumi["with"]["stack-name"]) == ("up", stack)
    assert jobs["notify"]["if"] == "always()"
    assert "DISCORD_WEBHOOK_URL" in jobs["notify"]["steps"][1]["env"]


# --- the Discord notification -------------------------------------------------------------------


def test_message_says_which_stack_failed():
    message = notify_discord.build_message({"staging": "success", "prod": "failure"}, "3f9c2ab8d1", "https://run")
    [embed] = message["embeds"]
    assert embed["title"] == "❌ Tiketi infrastructure deploy failed" and embed["color"] == notify_discord.RED
    assert {f["name"]: f["value"] for f in embed["fields"]}["prod"] == "failure"
    success = notify_discord.build_message({"staging": "success", "prod": "success"}, "abc", "u")
    assert success["embeds"][0]["title"] == "✅ Tiketi infrastructure deploy succeeded"


def test_without_a_webhook_nothing_is_sent(monkeypatch, capsys):
    monkeypatch.delenv("DISCORD_WEBHOOK_URL", raising=False)
    assert notify_discord.main(["--result", "staging=success", "--commit", "abc", "--run-url", "u"]) == 0
    assert "no Discord message sent" in capsys.readouterr().out


def test_posts_the_embed_to_the_webhook_on_loopback(monkeypatch, capsys):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("DISCORD_WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/api/webhooks/1/x")
        assert notify_discord.main(["--result", "staging=success", "--result", "prod=success", "--commit",
                                    "3f9c2ab8d1", "--run-url", "https://github.example/run/1"]) == 0
    finally:
        server.shutdown()
        server.server_close()
    [payload] = received
    assert payload["embeds"][0]["title"] == "✅ Tiketi infrastructure deploy succeeded"
    assert "127.0.0.1" not in capsys.readouterr().out  # the webhook URL is a secret


def test_an_unreachable_webhook_is_reported_without_the_url(monkeypatch, capsys):
    from tests.lambdas.conftest import closed_port

    monkeypatch.setenv("DISCORD_WEBHOOK_URL", f"http://127.0.0.1:{closed_port()}/secret-path")
    assert notify_discord.main(["--result", "prod=failure", "--commit", "abc", "--run-url", "u"]) == 1
    err = capsys.readouterr().err
    assert "Discord did not take the message" in err and "secret-path" not in err
