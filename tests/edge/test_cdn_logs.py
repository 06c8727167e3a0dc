"""CloudFront standard logging v2 and WAF logging (components/edge/cdn_logs.py), on staging and prod."""

from __future__ import annotations

import json

from tests.support.edge import attached, bucket, us_east_1_provider
from tools.harness.deploy_order import DependencyGraph
from tools.harness.fake_cloud import ACCOUNT_ID

ACCOUNT = ACCOUNT_ID  # the fake cloud's account


def in_us_east_1(snap, resource) -> bool:
    provider = us_east_1_provider(snap)
    return resource.provider == f"{provider.urn}::{provider.id}"


def test_cloudfront_access_logs_are_delivered_to_the_logs_bucket_from_us_east_1(aws_stack):
    distribution = aws_stack.one("aws:cloudfront/distribution:Distribution")
    source = aws_stack.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    destination = aws_stack.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    delivery = aws_stack.one("aws:cloudwatch/logDelivery:LogDelivery")
    logs = bucket(aws_stack, "logs")
    assert source.inputs == {"name": f"tiketi-{aws_stack.stack}-cloudfront", "logType": "ACCESS_LOGS",
                             "resourceArn": distribution.outputs["arn"]}
    assert destination.inputs["deliveryDestinationConfiguration"] == {"destinationResourceArn": logs.outputs["arn"]}
    assert destination.inputs["outputFormat"] == "json"
    assert delivery.inputs == {"deliverySourceName": source.outputs["name"],
                               "deliveryDestinationArn": destination.outputs["arn"]}
    # The CloudWatch API for CloudFront logs must be called in us-east-1, whatever the bucket's region.
    assert all(in_us_east_1(aws_stack, r) for r in (source, destination, delivery))
    assert source.outputs["arn"] == (f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-source:"
                                     f"tiketi-{aws_stack.stack}-cloudfront")
    # Put* creates or updates by name, and a distribution takes one source: never two at once.
    assert source.delete_before_replace and destination.delete_before_replace


def test_the_delivery_waits_for_the_bucket_policy_that_admits_it(aws_stack):
    delivery = aws_stack.one("aws:cloudwatch/logDelivery:LogDelivery")
    [policy] = attached(aws_stack, "aws:s3/bucketPolicy:BucketPolicy", bucket(aws_stack, "logs"))
    assert "CloudFrontLogDelivery" in [s["Sid"] for s in json.loads(policy.inputs["policy"])["Statement"]]
    assert DependencyGraph(aws_stack).waits_for(delivery, policy)
    # Stated by the delivery itself, not only through the origin's record and the ALB (which waits
    # for the same policy): with dns: external the distribution does not wait for the ALB at all.
    assert policy.urn in delivery.all_dependencies


def test_waf_logs_go_to_an_aws_waf_logs_group_in_us_east_1_without_credentials(aws_stack):
    waf = aws_stack.one("aws:wafv2/webAcl:WebAcl")
    group = aws_stack.one("aws:cloudwatch/logGroup:LogGroup", name=f"aws-waf-logs-tiketi-{aws_stack.stack}-edge")
    assert group.inputs["retentionInDays"] == 90
    logging = aws_stack.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert logging.inputs["resourceArn"] == waf.outputs["arn"]
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["redactedFields"] == [{"singleHeader": {"name": "authorization"}},
                                                {"singleHeader": {"name": "cookie"}}]
    assert all(in_us_east_1(aws_stack, r) for r in (group, logging, waf))
    assert group.outputs["arn"].startswith("arn:aws:logs:us-east-1:")


def test_waf_may_write_to_its_group_and_the_logging_waits_for_that(aws_stack):
    group = aws_stack.one("aws:cloudwatch/logGroup:LogGroup", name=f"aws-waf-logs-tiketi-{aws_stack.stack}-edge")
    policy = aws_stack.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert policy.inputs["policyName"] == f"tiketi-{aws_stack.stack}-waf-logs" and in_us_east_1(aws_stack, policy)
    [statement] = json.loads(policy.inputs["policyDocument"])["Statement"]
    assert statement == {
        "Sid": "WafLogDelivery", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": group.outputs["arn"] + ":*",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:*"}}}
    logging = aws_stack.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    graph = DependencyGraph(aws_stack)
    assert graph.waits_for(logging, policy) and graph.waits_for(logging, group)


def test_without_waf_there_is_no_waf_logging_but_access_logs_remain(staging_without_proxy_or_waf):
    snap = staging_without_proxy_or_waf
    assert snap.all("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration") == []
    assert snap.all("aws:cloudwatch/logResourcePolicy:LogResourcePolicy") == []
    assert len(snap.all("aws:cloudwatch/logDelivery:LogDelivery")) == 1
