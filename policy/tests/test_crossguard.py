"""The CrossGuard wrapper (runs in the pack's own venv: `make policy-test`)."""

from __future__ import annotations

import pytest

pulumi_policy = pytest.importorskip("pulumi_policy")

from pulumi_policy.secret import Secret  # noqa: E402

from crossguard import policies, to_resource  # noqa: E402


class Provider:
    resource_type = "pulumi:providers:aws"
    props = {"region": "us-east-1", "defaultTags": '{"tags": {"Environment": "prod"}}'}


def test_every_rule_becomes_a_mandatory_policy():
    built = policies()
    # 14 before; issue 16's four (TLS listeners, HTTP redirects, ACLs, WAF logging); issue 12's placeholders.
    assert len(built) == 19
    assert all(p.enforcement_level == pulumi_policy.EnforcementLevel.MANDATORY for p in built)


def test_resources_carry_region_environment_and_unwrapped_secrets():
    resource = to_resource("aws:rds/proxy:Proxy", "p", "urn:p", {"auth": Secret({"token": "x"})}, Provider())
    assert (resource.region, resource.environment) == ("us-east-1", "prod")
    assert resource.props == {"auth": {"token": "x"}}


def test_a_resource_policy_reports_the_rule_message():
    [policy] = [p for p in policies() if p.name == "alb-https-tls13"]

    class Args:
        resource_type, name, urn, provider = "aws:lb/listener:Listener", "https", "urn:l", None
        props = {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"}

    reported = []
    policy.validate(Args(), lambda message, urn=None: reported.append(message))
    assert len(reported) == 1 and "ELBSecurityPolicy-2016-08" in reported[0]
