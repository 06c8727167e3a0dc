"""The GitHub workflows: valid against the workflow schema, only existing make targets, and the Discord step."""

from __future__ import annotations

import json
import re
import subprocess
import sys
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
BIN = Path(sys.executable).parent
# Every action a workflow uses, at the commit its release tag pointed to when it was pinned (read with
# `git rev-parse <tag>^{commit}` in a clone of each action's repository). A comment naming another
# release than the pinned commit's fails: zizmor's ref-version-mismatch stays silent offline.
# Dependabot (.github/dependabot.yml) updates SHA and comment together; update this table with them.
PINNED_ACTIONS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "pulumi/actions": ("8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0"),
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$", re.MULTILINE)


def load(path: Path) -> dict:
    # PyYAML reads the key "on" as True; the schema expects the string.
    document = yaml.safe_load(path.read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9_./-]+):", makefile, flags=re.MULTILINE))


def test_there_are_pull_request_deploy_and_render_diff_workflows():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "pull-request.yml", "render-diff-comment.yml",
                                           "render-diff.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_zizmor(path):
    done = subprocess.run([str(BIN / "zizmor"), "--offline", "--no-progress", "--persona=pedantic", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(path):
    done = subprocess.run([str(BIN / "actionlint"), "-no-color", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_linters_catch_an_unsafe_workflow(tmp_path):
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text("on: pull_request_target\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.pull_request.title }}\n")
    zizmor = subprocess.run([str(BIN / "zizmor"), "--offline", "--no-progress", str(unsafe)], capture_output=True,
                            text=True)
    assert zizmor.returncode != 0 and "template-injection" in zizmor.stdout
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ foo }}\n")
    actionlint = subprocess.run([str(BIN / "actionlint"), "-no-color", str(broken)], capture_output=True, text=True)
    assert actionlint.returncode != 0 and "undefined variable" in actionlint.stdout


def test_render_diff_runs_the_pull_request_without_secrets_or_write_access():
    workflow = load(ROOT / ".github/workflows/render-diff.yml")
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}}
    assert workflow["permissions"] == {"contents": "read"}
    [job] = workflow["jobs"].values()
    assert "permissions" not in job and "secrets" not in json.dumps(workflow)
    checkout = job["steps"][0]
    assert checkout["with"]["persist-credentials"] is False and checkout["with"]["fetch-depth"] == 0
    run = next(s for s in job["steps"] if "run" in s)["run"]
    assert 'make render-diff BASE="origin/$BASE_REF" MARKDOWN=build/render-diff/comment.md' in run
    assert '"$status" -le 1' in run  # exit 1 means "changes", not a failure
    upload = job["steps"][-1]
    assert upload["with"]["name"] == "render-diff" and upload["with"]["path"] == "build/render-diff/"


def test_the_comment_is_posted_by_a_workflow_that_runs_no_pull_request_code():
    workflow = load(ROOT / ".github/workflows/render-diff-comment.yml")
    assert workflow["on"] == {"workflow_run": {"workflows": ["render-diff"], "types": ["completed"]}}
    assert workflow["permissions"] == {}
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert not [s for s in job["steps"] if "uses" in s]  # no checkout, no third-party action
    script = job["steps"][0]["run"]
    assert '"$pr_head" != "$HEAD_SHA"' in script and "-F body=@body.md" in script
    assert "${{" not in script  # every event value reaches the shell through env


def unpinned_uses(text: str) -> list[str]:
    """Every ``uses:`` that is not a full commit SHA of a known action with its release in a comment."""
    problems = []
    for match in USES.finditer(text):
        ref, comment = match["ref"], match["comment"].strip()
        if ref.startswith("./") or (ref.startswith("docker://") and "@sha256:" in ref):
            continue  # a local action is this commit's code; a docker image pinned by digest
        action, _, version = ref.partition("@")
        action = "/".join(action.split("/")[:2])  # owner/repo of owner/repo/path
        if not re.fullmatch(r"[0-9a-f]{40}", version):
            problems.append(f"{ref} is not pinned to a commit SHA")
        elif action not in PINNED_ACTIONS:
            problems.append(f"{ref}: {action} is not in PINNED_ACTIONS (add it with the release its SHA is)")
        elif (version, comment) != (PINNED_ACTIONS[action][0], f"# {PINNED_ACTIONS[action][1]}"):
            sha, release = PINNED_ACTIONS[action]
            problems.append(f"{ref} {comment!r}: expected {sha} # {release}")
    return problems


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_release_in_a_comment(path):
    text = path.read_text()
    assert USES.search(text) or path.name == "render-diff-comment.yml"  # the only workflow without actions
    assert unpinned_uses(text) == []


def test_a_tag_reference_or_a_wrong_release_comment_fails_the_pin_check():
    assert unpinned_uses("      - uses: actions/checkout@v7\n") == ["actions/checkout@v7 is not pinned to a commit SHA"]
    assert unpinned_uses("    - uses: pulumi/actions@v7.0.0 # v7.0.0\n") == [
        "pulumi/actions@v7.0.0 is not pinned to a commit SHA"]
    wrong = "  - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v6.0.0\n"
    assert unpinned_uses(wrong) == ["actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 '# v6.0.0': "
                                    "expected 3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"]
    unknown = "  - uses: someone/action@" + "a" * 40 + " # v1.0.0\n"
    assert "not in PINNED_ACTIONS" in unpinned_uses(unknown)[0]
    assert unpinned_uses("  - uses: ./.github/actions/local\n") == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_token_and_every_job_names_its_permissions(path):
    workflow = load(path)
    assert workflow["permissions"] in ({}, {"contents": "read"})
    for name, job in workflow["jobs"].items():
        if workflow["permissions"] == {}:
            assert job.get("permissions"), f"{path.name}: job {name} gets no permissions of its own"
        assert "write-all" not in json.dumps(job) and job.get("permissions") != "read-all"
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"{path.name}: {name} persists the token"


def test_only_the_jobs_that_deploy_or_preview_may_request_an_oidc_token():
    writers = {(path.name, name): job["permissions"] for path in WORKFLOWS
               for name, job in load(path)["jobs"].items() if "write" in json.dumps(job.get("permissions", {}))}
    assert writers == {
        ("deploy.yml", "staging"): {"contents": "read", "id-token": "write"},
        ("deploy.yml", "prod"): {"contents": "read", "id-token": "write"},
        ("pull-request.yml", "preview"): {"contents": "read", "id-token": "write", "pull-requests": "write"},
        ("render-diff-comment.yml", "comment"): {"actions": "read", "pull-requests": "write"},
    }


def test_dependabot_updates_the_actions_and_both_requirements_files():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    schema = json.loads(resources.files("check_jsonschema.builtin_schemas.vendor")
                        .joinpath("dependabot.json").read_text())
    jsonschema.validate(config, schema)
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert updates["github-actions"]["directory"] == "/"
    assert updates["pip"]["directories"] == ["/", "/policy"]
    assert all((ROOT / d.strip("/") / "requirements.txt").exists() for d in updates["pip"]["directories"])
    assert all(u["schedule"]["interval"] == "weekly" and u["cooldown"]["default-days"] >= 7 for u in updates.values())


def test_the_discord_step_reads_every_value_from_its_environment():
    [step] = [s for s in load(ROOT / ".github/workflows/deploy.yml")["jobs"]["notify"]["steps"] if "run" in s]
    assert "${{" not in step["run"]
    assert step["env"]["STAGING_RESULT"] == "${{ needs.staging.result }}"


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
                # VAR=value words set make variables; a trailing backslash continues the line.
                for target in (w for w in command.split() if "=" not in w and w != "\\"):
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
    # One role per stack (review M2): the prod role is never handed to the staging job.
    assert aws["with"]["role-to-assume"] == (
        "${{ matrix.stack == 'prod' && vars.AWS_PREVIEW_ROLE_ARN_PROD || vars.AWS_PREVIEW_ROLE_ARN_STAGING }}")


def test_each_preview_runs_in_its_stacks_environment_so_prod_waits_for_a_reviewer():
    # The preview runs the pull request's code with the preview role: prod's job runs in the protected
    # environment preview-prod (required reviewers, docs/operations.md) and its OIDC subject names it,
    # which is what the prod preview role's trust policy admits.
    preview = load(ROOT / ".github/workflows/pull-request.yml")["jobs"]["preview"]
    assert preview["environment"] == "preview-${{ matrix.stack }}"
    assert preview["strategy"]["matrix"] == {"stack": ["staging", "prod"]}
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert "`preview-prod` (Settings → Environments → New environment): tick **Required reviewers**" in guide
    assert "`repo:<owner>/<repo>:environment:preview-prod`" in guide


def test_deploy_goes_staging_then_protected_prod_then_notifies():
    jobs = load(ROOT / ".github/workflows/deploy.yml")["jobs"]
    assert jobs["staging"]["needs"] == "test" and jobs["prod"]["needs"] == "staging"
    assert jobs["prod"]["environment"] == "production"
    for stack in ("staging", "prod"):
        [pulumi] = [s for s in jobs[stack]["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
        assert (pulumi["with"]["command"], pulumi["with"]["stack-name"]) == ("up", stack)
    assert jobs["notify"]["if"] == "always()" and jobs["notify"]["environment"] == "notifications"
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
