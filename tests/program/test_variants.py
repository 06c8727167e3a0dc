"""Config-driven branches the committed stacks do not take, each on one extra mock-engine run."""

from __future__ import annotations

import json

import pytest

from tests.support.aws_queries import INGRESS, group
from tools.harness.mock_engine import run_program
from tools.harness.policy_check import PLACEHOLDER_RULE, check
from tools.harness.snapshot import Snapshot

FALLBACK_EDGE = {"cloudfront": False, "useCloudfrontPrefixList": False, "waf": False, "albDeletionProtection": False,
                 "fallbackCidrs": ["203.0.113.0/24"], "hostedZone": "tiketi.example.com",
                 "albOriginDomain": "origin.staging.tiketi.example.com",
                 "internalApiDomain": "ticket-api.internal.staging.tiketi.example.com"}


@pytest.fixture(scope="module")
def without_cloudfront() -> Snapshot:
    return Snapshot(run_program("staging", {"tiketi:edge": json.dumps(FALLBACK_EDGE)}))


def test_without_the_prefix_list_only_the_fallback_ranges_reach_the_alb(without_cloudfront):
    snap = without_cloudfront
    rules = snap.all(INGRESS, securityGroupId=group(snap, "alb").id)
    assert sorted((r.inputs["fromPort"], r.inputs["cidrIpv4"], r.inputs["tags"]["Fallback"]) for r in rules) == [
        (80, "203.0.113.0/24", "true"), (443, "203.0.113.0/24", "true")]
    assert not any("prefixListId" in r.inputs for r in rules)


def test_without_cloudfront_the_alb_still_speaks_only_tls_and_there_is_no_cdn(without_cloudfront):
    # The spec's "no certificate: HTTP forwards" branch is gone: the program always has the regional
    # certificate (it issues it, or dns: external gives it), and the policy pack refuses plain HTTP.
    snap = without_cloudfront
    alb_arn = snap.one("aws:lb/loadBalancer:LoadBalancer", internal=False).outputs["arn"]
    [http] = snap.all("aws:lb/listener:Listener", port=80, loadBalancerArn=alb_arn)
    assert http.inputs["defaultActions"] == [{"type": "redirect", "redirect": {
        "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
    [https] = snap.all("aws:lb/listener:Listener", port=443, loadBalancerArn=alb_arn)
    [validation] = snap.all("aws:acm/certificateValidation:CertificateValidation")  # the regional one only
    assert https.inputs["certificateArn"] == validation.inputs["certificateArn"]
    assert [c.inputs["domainName"] for c in snap.all("aws:acm/certificate:Certificate")] == [
        "origin.staging.tiketi.example.com"]
    assert snap.all("aws:cloudfront/distribution:Distribution") == []
    assert snap.all("aws:lambda/function:Function", publish=True) == []  # no edge function
    assert snap.all("aws:cloudwatch/logDeliverySource:LogDeliverySource") == []
    logs = snap.one("aws:s3/bucket:Bucket", bucketPrefix="tiketi-staging-logs-")
    [policy] = snap.all("aws:s3/bucketPolicy:BucketPolicy", bucket=logs.id)
    assert "CloudFrontLogDelivery" not in policy.inputs["policy"]
    assert snap.providers("aws") == []  # no us-east-1 provider without the CDN
    assert "cloudfrontDomainName" not in snap.outputs


def test_fallback_rules_are_the_policy_packs_one_exception(without_cloudfront):
    # The variant's 203.0.113.0/24 is a documentation range, which only the placeholder rule minds.
    assert [str(v) for v in check(without_cloudfront) if v.rule != PLACEHOLDER_RULE] == []


# --- enum-like values the mock engine would accept whatever they were -------------------------

LAMBDA_RUNTIMES = {"python3.12", "python3.13"}  # current Python runtimes (Lambda@Edge too)


def test_lambda_runtimes_are_supported_ones(aws_stack):
    assert {f.inputs["runtime"] for f in aws_stack.all("aws:lambda/function:Function")} <= LAMBDA_RUNTIMES


def test_load_balancer_and_target_enums(aws_stack):
    for balancer in aws_stack.all("aws:lb/loadBalancer:LoadBalancer"):
        assert balancer.inputs["loadBalancerType"] == "application"
    for target_group in aws_stack.all("aws:lb/targetGroup:TargetGroup"):
        assert target_group.inputs["targetType"] in {"ip", "instance", "lambda", "alb"}
        assert target_group.inputs["protocol"] in {"HTTP", "HTTPS"}
    for addon in aws_stack.all("aws:eks/addon:Addon"):
        assert addon.inputs["resolveConflictsOnUpdate"] in {"OVERWRITE", "PRESERVE", "NONE"}


def test_without_cloudfront_there_is_no_us_east_1_alert_topic_nor_edge_alarms(without_cloudfront):
    snap = without_cloudfront
    assert [t.outputs["arn"].split(":")[3] for t in snap.all("aws:sns/topic:Topic")] == ["ap-northeast-2"]
    assert snap.all("aws:cloudwatch/metricAlarm:MetricAlarm", namespace="AWS/CloudFront") == []
    assert snap.all("aws:cloudfront/monitoringSubscription:MonitoringSubscription") == []
    assert "edgeAlertTopicArn" not in snap.outputs and snap.all("tiketi:observability:EdgeLogs") == []
    body = json.loads(snap.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    assert {w["properties"]["region"] for w in body["widgets"] if "region" in w["properties"]} == {"ap-northeast-2"}
