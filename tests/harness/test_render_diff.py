"""render-diff: synthetic changes on the prod render print exactly what changed; the replacement table is complete."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import STACKS, snapshot_of
from tools.harness import inventory, render_diff
from tools.harness.mock_engine import ROOT
from tools.harness.review import comment, replacements
from tools.harness.review.diff import compare, lines


@pytest.fixture(scope="module")
def base(prod) -> dict:
    """The prod render as render-diff reads it (a salted render, as both of its renders are)."""
    mp = pytest.MonkeyPatch()
    mp.setenv(inventory.SECRET_SALT_ENV, "test-salt")
    try:
        return inventory.normalise(json.loads(inventory.dumps(inventory.document(prod))))
    finally:
        mp.undo()


class Named(dict):
    """name -> entry; ``named["x", "Deployment"]`` when several types share a name."""

    def __missing__(self, key):
        name, kind = key
        return next(e for e in self.entries if e["name"] == name and e["type"].endswith(f":{kind}"))


def edited(base: dict) -> tuple[dict, Named]:
    head = copy.deepcopy(base)
    named = Named({e["name"]: e for e in head["resources"]})
    named.entries = head["resources"]
    return head, named


def test_an_unchanged_render_has_no_changes(base):
    diff = compare(base, copy.deepcopy(base))
    assert not diff.changed
    assert lines(diff) == ["== prod: no changes ==", "monthly cost estimate: $2,342.67 -> $2,342.67 (+$0.00)"]


def test_synthetic_changes_print_exactly_what_changed(base):
    head, by_name = edited(base)
    # a changed TLS policy (in place)
    by_name["load-balancer-https"]["inputs"]["sslPolicy"] = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    # an added resource
    added = copy.deepcopy(by_name["queue-dlq"])
    added.update(name="queue-audit", urn=added["urn"].replace("queue-dlq", "queue-audit"))
    added["inputs"]["name"] = "tiketi-prod-audit.fifo"
    head["resources"].append(added)
    # a removed one
    head["resources"].remove(by_name["database-cpu"])
    # a replacement-forcing change (and what it drags along: the proxy target names the instance)
    by_name["database-instance"]["inputs"]["storageEncrypted"] = False
    # a secret change: only its fingerprint differs, and neither value is printed
    version = by_name["database-users-auth-service", "SecretVersion"]
    secret_before = version["inputs"]["secretString"]
    version["inputs"]["secretString"] = "[secret:0123456789ab]"

    text = lines(compare(base, head))
    assert text == [
        "== prod: 1 to add, 1 to remove, 1 to update, 4 to replace ==",
        "monthly cost estimate: $2,342.67 -> $2,342.57 (-$0.10)",
        "-/+ aws:rds/instance:Instance database-instance  (REPLACED)",
        "    storageEncrypted: true -> false  [forces replacement]",
        "-/+ aws:rds/proxyTarget:ProxyTarget database-proxy-target  (REPLACED)",
        "    because dbInstanceIdentifier comes from database-instance, which is replaced",
        # A new instance manages a new master secret: its rotation schedule is set up again.
        "-/+ aws:secretsmanager/secretRotation:SecretRotation database-master-password  (REPLACED)",
        "    because secretId comes from database-instance, which is replaced",
        "-/+ aws:secretsmanager/secretVersion:SecretVersion database-users-auth-service  (REPLACED)",
        "    secretString: [secret] -> [secret] (secret changed; value masked)  [forces replacement]",
        "- aws:cloudwatch/metricAlarm:MetricAlarm database-cpu",
        "~ aws:lb/listener:Listener load-balancer-https",
        '    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" -> "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"',
        "+ aws:sqs/queue:Queue queue-audit",
    ]
    assert secret_before.startswith("[secret:")
    assert not any(secret_before in line or "0123456789ab" in line for line in text)


def test_kubernetes_objects_show_as_yaml_diffs(base):
    head, by_name = edited(base)
    by_name["workloads-gateway-service", "Deployment"]["inputs"]["spec"]["replicas"] = 5
    by_name["workloads-gateway-service", "HorizontalPodAutoscaler"]["inputs"]["spec"]["maxReplicas"] = 12
    by_name["workloads-ticket-service", "Deployment"]["inputs"]["spec"]["selector"]["matchLabels"]["app"] = "tickets"
    text = lines(compare(base, head))
    start = text.index("-/+ kubernetes:apps/v1:Deployment workloads-ticket-service  (REPLACED)")
    assert text[start + 1] == '    spec.selector.matchLabels.app: "ticket-service" -> "tickets"  [forces replacement]'
    assert "    -      app: ticket-service" in text and "    +      app: tickets" in text
    gateway = text.index("~ kubernetes:apps/v1:Deployment workloads-gateway-service")
    # The program lets the HPA own replicas (ignoreChanges): the diff says the change will not apply.
    assert text[gateway + 1] == "    spec.replicas: 3 -> 5  [in ignoreChanges: not applied]"
    assert [line for line in text[gateway:] if line.startswith(("    -  ", "    +  "))][:2] == \
        ["    -  replicas: 3", "    +  replicas: 5"]
    assert "    spec.maxReplicas: 10 -> 12" in text


def test_a_secret_that_did_not_change_is_not_reported(base):
    head, by_name = edited(base)
    # A base rendered without the salt (older renders) masks bare: unknowable, so not a change.
    by_name["database-users-auth-service", "SecretVersion"]["inputs"]["secretString"] = "[secret]"
    assert not compare(head, base).changed and not compare(base, head).changed


def test_a_resource_renamed_with_an_alias_is_moved_not_replaced(base):
    head, by_name = edited(base)
    moved = by_name["queue-dlq"]
    old_urn = moved["urn"]
    moved.update(name="queue-dead-letters", urn=old_urn.replace("queue-dlq", "queue-dead-letters"),
                 options={"aliases": [{"name": "queue-dlq", "noParent": False, "parentUrn": "", "type": ""}]})
    [diff] = compare(base, head).resources
    assert (diff.kind, diff.moved_from) == ("update", old_urn)


def test_stacks_added_or_removed_whole(base):
    assert compare(None, base).count("add") == sum(1 for e in base["resources"] if e["custom"])
    assert compare(base, None).count("remove") == sum(1 for e in base["resources"] if e["custom"])


def test_every_registered_type_has_a_replacement_entry():
    """The table stays honest: a new resource type fails here until it is classified with its source."""
    for stack in STACKS:
        missing = sorted({r.type for r in snapshot_of(stack).registrations if r.custom
                          and not replacements.known(r.type)})
        assert missing == [], f"{stack}: add these types to tools/harness/review/replacements.py: {missing}"


def test_replacement_rules_read_like_the_providers():
    assert replacements.forces_replacement("aws:eks/nodeGroup:NodeGroup", "instanceTypes[0]")
    assert not replacements.forces_replacement("aws:eks/nodeGroup:NodeGroup", "scalingConfig.desiredSize")
    assert replacements.forces_replacement("aws:eks/nodeGroup:NodeGroup", "launchTemplate.id")
    assert not replacements.forces_replacement("aws:eks/nodeGroup:NodeGroup", "launchTemplate.version")
    assert not replacements.forces_replacement("aws:rds/instance:Instance", "instanceClass")
    assert replacements.forces_replacement("kubernetes:core/v1:ConfigMap", "data.KEY")
    assert not replacements.forces_replacement("kubernetes:core/v1:ConfigMap", "data.KEY",
                                               {"enableConfigMapMutable": "true"})
    assert replacements.forces_replacement("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", "metadata.name")
    assert not replacements.forces_replacement("kubernetes:policy/v1:PodDisruptionBudget", "spec.minAvailable")


def test_the_comment_carries_the_marker_the_diff_the_cost_and_the_diagram(base):
    head, by_name = edited(base)
    by_name["load-balancer-https"]["inputs"]["sslPolicy"] = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    text = comment.markdown("origin/main", [compare(base, head)], {"prod": head})
    assert text.startswith(comment.MARKER + "\n")
    assert "| prod | 0 to add, 0 to remove, 1 to update, 0 to replace | $2,342.67 -> $2,342.67 (+$0.00) |" in text
    assert "```diff\nmonthly cost estimate" in text and "~ aws:lb/listener:Listener load-balancer-https" in text
    assert "```mermaid\nflowchart LR" in text


def test_an_unknown_base_ref_is_an_error(capsys):
    assert render_diff.main(["--base", "no-such-ref-anywhere"]) == 2
    assert "render-diff: git rev-parse" in capsys.readouterr().err


def test_a_base_without_an_offline_render_is_refused(tmp_path):
    with pytest.raises(render_diff.RenderDiffError, match="oldest supported base is 34338e0"):
        render_diff.render_module(tmp_path)
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "render.py").write_text("")
    assert render_diff.render_module(tmp_path) == "tools.render"


def test_make_render_diff_requires_a_base():
    done = subprocess.run([shutil.which("make"), "-s", "render-diff"], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable})
    assert done.returncode == 2 and "make render-diff BASE=origin/main" in done.stderr


def test_render_diff_renders_the_base_in_a_worktree_with_its_own_render(base, monkeypatch, tmp_path):
    """The plumbing, with the two renders stood in: a worktree of the base, one salt for both, cleaned up."""
    calls = []

    def fake_render(python, tree, module, stacks, out, env):
        calls.append((Path(tree) == ROOT, module, tuple(stacks), env[inventory.SECRET_SALT_ENV]))
        doc = copy.deepcopy(base)
        if Path(tree) != ROOT:  # the base lacks the audit queue the working tree adds
            doc["resources"] = [e for e in doc["resources"] if e["name"] != "queue-dlq"]
        (out / "prod").mkdir(parents=True)
        (out / "prod" / "resources.json").write_text(inventory.dumps(doc))
        return ""

    monkeypatch.setattr(render_diff, "run_render", fake_render)
    diffs, heads = render_diff.render_both("HEAD", ["prod"], tmp_path)
    assert [(d.stack, d.count("add")) for d in diffs] == [("prod", 1)]
    assert heads["prod"]["stack"] == "prod"
    assert sorted(calls)[0][:3] == (False, "tools.harness.render", ("prod",))  # the base's own render module
    assert sorted(calls)[1][:3] == (True, "tools.harness.render", ("prod",))
    assert calls[0][3] == calls[1][3] and len(calls[0][3]) == 32  # one random salt for both renders
    assert str(tmp_path / "base-tree") not in render_diff.git("worktree", "list")


def test_replacements_the_provider_decides_from_old_and_new_values(base):
    head, by_name = edited(base)
    [rule] = [e for e in head["resources"] if e["type"].endswith("SecurityGroupIngressRule")
              and e["inputs"].get("prefixListId")]
    rule["inputs"].pop("prefixListId")
    rule["inputs"]["cidrIpv4"] = "203.0.113.0/24"
    group = by_name["cache-replication-group"]
    group["inputs"]["engineVersion"] = "6.2"
    text = lines(compare(base, head))
    assert "    because engineVersion goes down from 7.1 to 6.2" in text
    assert "    because the rule's source changes from prefixListId to cidrIpv4" in text
    assert text[0] == "== prod: 0 to add, 0 to remove, 0 to update, 3 to replace =="
    # The ConfigMap takes the Redis endpoint from the group and replaces on data changes (immutable by default).
    assert "-/+ kubernetes:core/v1:ConfigMap workloads-config  (REPLACED)" in text
    assert "    because data comes from cache-replication-group, which is replaced" in text


def test_the_base_renders_in_this_venv_when_it_has_every_pinned_package():
    assert render_diff.satisfies((ROOT / "requirements.txt").read_text())
    assert render_diff.satisfies(f"# tools\npulumi=={metadata.version('pulumi')}  # the SDK\n\n")
    assert not render_diff.satisfies("pulumi==0.0.1\n")
    assert not render_diff.satisfies("no-such-package-here==1.0\n")
    assert not render_diff.satisfies("pulumi>=3\n")  # not a plain pin: the base's own venv decides
