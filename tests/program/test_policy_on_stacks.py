"""The policy pack's rules on the real stacks: none violated, and a broken config fails `make render`."""

from __future__ import annotations

import dataclasses
import json

import pytest

from components.config import edge as edge_config
from tools.harness import render
from tools.harness.mock_engine import load_stack_config_file, run_program
from tools.harness.policy_check import PLACEHOLDER_RULE, check, evaluate, resources_of


def test_no_stack_violates_a_rule(any_stack):
    # Placeholders are reported apart: the offline render keeps them, make preview/up refuse them.
    assert [str(v) for v in check(any_stack) if v.rule != PLACEHOLDER_RULE] == []


def test_the_policy_pack_finds_every_committed_placeholder_on_the_resources(prod, local):
    found = {(v.resource, v.message.split(":")[0]) for v in check(prod) if v.rule == PLACEHOLDER_RULE}
    # Every example.com name of the committed file, wherever the program carries it (issue 16 issues
    # the certificates and writes the records from them), the documentation range and account.
    names = [f"{prefix}.tiketi.example.com" for prefix in ("origin", "ticket-api.internal", "www")]
    assert found == {
        ("cdn-distribution", "aliases[0]"), ("cdn-distribution", "aliases[1]"),
        ("cdn-distribution", "origins[0].domainName"),
        *{(f"cdn-alias-{alias}-{kind}", "name") for alias in ("tiketi.example.com", names[2])
          for kind in ("a", "aaaa")},
        *{(f"certificates-{which}", key) for which in ("cloudfront", "regional")
          for key in ("domainName", "subjectAlternativeNames[0]", "validationRecordFqdns[0]",
                      "validationRecordFqdns[1]")},
        *{(f"certificates-validation-{name}", "name") for name in ("tiketi.example.com", *names)},
        ("internal-api-name", "name"), ("internal-api-zone", "name"), ("load-balancer-origin", "name"),
        ("worker-function", "environment.variables.TICKET_SERVICE_URL"),
        ("storage-frontend", "corsRules[0].allowedOrigins[0]"), ("storage-frontend", "corsRules[0].allowedOrigins[1]"),
        ("cluster-eks", "vpcConfig.publicAccessCidrs[0]"),
        ("alerts-email-oncall-at-tiketi-example-com", "endpoint"),
        ("alerts-us-east-1-email-oncall-at-tiketi-example-com", "endpoint"),
        ("cluster-access-ci-deploy", "principalArn"), ("cluster-access-ci-preview", "principalArn"),
        ("cluster-access-platform-admins", "principalArn"),
    }
    # The engine's own ARNs (a fake account that is not a documentation one) are not placeholders.
    assert not any("210987654321" in v.message for v in check(prod))
    assert [v for v in check(local) if v.rule == PLACEHOLDER_RULE] == []


def test_resources_know_their_region_and_environment(prod):
    resources = {r.name: r for r in resources_of(prod)}
    assert (resources["cdn-edge"].region, resources["cdn-edge"].environment) == ("us-east-1", "prod")
    assert (resources["database-instance"].region, resources["database-instance"].environment) == (
        "ap-northeast-2", "prod")


def test_stack_rules_see_the_real_dependencies(prod):
    """Move the edge function out of us-east-1 and drop a public-access block: both rules must notice."""
    resources = resources_of(prod)
    moved = [dataclasses.replace(r, region="ap-northeast-2") if r.name == "cdn-edge" else r for r in resources]
    assert [str(v) for v in evaluate(moved) if v.rule != PLACEHOLDER_RULE] == [
        "[lambda-edge-us-east-1] cdn-edge: Lambda@Edge function is in ap-northeast-2, not us-east-1"]
    unblocked = [r for r in resources if not (r.name == "storage-logs" and "PublicAccessBlock" in r.type)]
    assert [v.rule for v in evaluate(unblocked) if v.rule != PLACEHOLDER_RULE] == ["s3-private-encrypted"]


def test_a_weak_tls_policy_is_refused_at_its_config_key_and_by_the_pack(tmp_path, capsys, monkeypatch):
    edge = json.loads(load_stack_config_file("prod")[0]["tiketi:edge"])
    broken = json.dumps({**edge, "albSslPolicy": "ELBSecurityPolicy-2016-08"})
    monkeypatch.setattr(render, "run_program", lambda stack: run_program(stack, {"tiketi:edge": broken}))
    assert render.main(["prod", "--out", str(tmp_path), "--quiet"]) == 1
    assert ('tiketi:edge.albSslPolicy: "ELBSecurityPolicy-2016-08" is not allowed; expected a TLS 1.3 policy: '
            "ELBSecurityPolicy-TLS13-1-2-2021-06, ") in capsys.readouterr().err
    # One list for both (policy/alb_tls_policies.json); were config to let the policy through,
    # the pack's rule would still fail the render.
    monkeypatch.setattr(edge_config, "ALB_TLS_POLICIES", (*edge_config.ALB_TLS_POLICIES, "ELBSecurityPolicy-2016-08"))
    assert render.main(["prod", "--out", str(tmp_path), "--quiet"]) == 1
    assert ("[alb-https-tls13] load-balancer-https: HTTPS listener uses 'ELBSecurityPolicy-2016-08'; use a TLS 1.3 "
            "policy such as ELBSecurityPolicy-TLS13-1-2-2021-06") in capsys.readouterr().err


def test_config_and_the_pack_share_one_tls_allow_list():
    from aws_rules import TLS13_ALB_POLICIES

    assert set(edge_config.ALB_TLS_POLICIES) == TLS13_ALB_POLICIES
    assert "ELBSecurityPolicy-TLS13-1-2-2021-06" in TLS13_ALB_POLICIES


@pytest.mark.parametrize("override,rule", [
    ({"tiketi:worker": {"reservedConcurrency": 2, "maximumConcurrency": 2, "tracing": False}}, "worker-vpc-tracing"),
])
def test_config_that_weakens_the_posture_is_caught(override, rule):
    from tools.harness.snapshot import Snapshot

    snap = Snapshot(run_program("staging", {k: json.dumps(v) for k, v in override.items()}))
    assert {v.rule for v in check(snap)} - {PLACEHOLDER_RULE} == {rule}
    # ...and the PassThrough branch itself behaves: no X-Ray permission without tracing.
    function = snap.one("aws:lambda/function:Function", name="tiketi-staging-ticket-worker")
    assert function.inputs["tracingConfig"] == {"mode": "PassThrough"}
    [inline] = [p for p in snap.all("aws:iam/rolePolicy:RolePolicy") if "ConsumeTicketEvents" in p.inputs["policy"]]
    assert [s["Sid"] for s in json.loads(inline.inputs["policy"])["Statement"]] == ["ConsumeTicketEvents",
                                                                                    "ReadInternalApiToken"]


def test_the_edge_rules_see_the_real_resources(prod):
    """Drop the WAF's logging, turn the logs bucket's ACLs back on, let the HTTP listener forward: each is caught.

    (The committed placeholders are reported apart, as in test_no_stack_violates_a_rule.)
    """
    def violations(changed):
        return [str(v) for v in evaluate(changed) if v.rule != PLACEHOLDER_RULE]

    resources = resources_of(prod)
    no_waf_logs = [r for r in resources if "webAclLoggingConfiguration" not in r.type]
    assert violations(no_waf_logs) == ["[waf-logging] cdn-waf: web ACL has no logging configuration"]
    acls_on = [dataclasses.replace(r, props={"rule": {"objectOwnership": "BucketOwnerPreferred"}})
               if r.type.endswith("BucketOwnershipControls") and r.name == "storage-logs" else r for r in resources]
    assert violations(acls_on) == [
        "[s3-acls-disabled] storage-logs: bucket has ACLs enabled: set its ownership controls to BucketOwnerEnforced"]
    forwarding = [dataclasses.replace(r, props={**r.props, "defaultActions": [{"type": "forward",
                                                                                 "targetGroupArn": "tg"}]})
                  if r.name == "load-balancer-http" else r for r in resources]
    assert violations(forwarding) == [
        "[lb-listener-tls] load-balancer-http: listener on port 80 speaks HTTP without TLS; use HTTPS (or TLS), or "
        "only redirect HTTP to HTTPS"]
