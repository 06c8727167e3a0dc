"""tools/harness/fake_cloud.py: the edge's invokes answer only what the program must ask; ACM answers as ACM does."""

from __future__ import annotations

import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs

from tools.harness.fake_cloud import FakeCloud, zone_id_for


def call(token: str, **args) -> dict:
    return FakeCloud("prod", "ap-northeast-2").call(MockCallArgs(token, args, ""))


POLICIES = [("aws:cloudfront/getCachePolicy:getCachePolicy", "Managed-CachingDisabled",
             "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
            ("aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy", "Managed-AllViewerExceptHostHeader",
             "b689b0a8-53d0-40ab-baf2-68738e2966ac")]


@pytest.mark.parametrize("token,name,policy_id", POLICIES)
def test_managed_cloudfront_policies_are_found_by_their_exact_name_only(token, name, policy_id):
    assert call(token, name=name)["id"] == policy_id
    for wrong in ({"name": name.lower()}, {"name": name.removeprefix("Managed-")}, {"id": policy_id},
                  {"name": name, "id": policy_id}):
        with pytest.raises(ValueError, match="no CloudFront"):
            call(token, **wrong)


def test_a_public_zone_is_found_by_its_name_only():
    answer = call("aws:route53/getZone:getZone", name="tiketi.example.com", privateZone=False)
    assert (answer["zoneId"], answer["name"], answer["privateZone"]) == (zone_id_for("tiketi.example.com"),
                                                                         "tiketi.example.com", False)
    for wrong in ({"name": "tiketi.example.com."}, {"name": "tiketi.example.com", "privateZone": True},
                  {"name": "tiketi.example.com", "privateZone": False, "vpcId": "vpc-1"},
                  {"zoneId": "Z0123", "privateZone": False}):
        with pytest.raises(ValueError, match="getZone"):
            call("aws:route53/getZone:getZone", **wrong)


def test_acm_gives_a_wildcard_and_its_apex_one_cname_and_the_same_name_the_same_cname_everywhere():
    cloud = FakeCloud("prod", "ap-northeast-2")

    def request(name: str, region: str | None, *names: str) -> dict:
        inputs = {"domainName": names[0], "subjectAlternativeNames": list(names[1:]), "validationMethod": "DNS"}
        if region:
            inputs["region"] = region
        _, state = cloud.new_resource(MockResourceArgs("aws:acm/certificate:Certificate", name, inputs, "", "", None))
        return state

    cloudfront = request("cf", "us-east-1", "example.com", "*.example.com")
    regional = request("regional", None, "example.com")
    assert cloudfront["arn"].startswith("arn:aws:acm:us-east-1:") and regional["arn"].startswith(
        "arn:aws:acm:ap-northeast-2:")
    [apex, wildcard] = cloudfront["domainValidationOptions"]
    assert (apex["domainName"], wildcard["domainName"]) == ("example.com", "*.example.com")
    assert apex["resourceRecordName"] == wildcard["resourceRecordName"] == \
        regional["domainValidationOptions"][0]["resourceRecordName"]
    assert apex["resourceRecordName"].endswith(".example.com.") and apex["resourceRecordType"] == "CNAME"


def test_the_managed_prefix_list_is_found_by_its_exact_name_only():
    token = "aws:ec2/getManagedPrefixList:getManagedPrefixList"
    answer = call(token, name="com.amazonaws.global.cloudfront.origin-facing")
    # CloudFront's origin-facing list weighs 55 rules (VPC User Guide, "AWS-managed prefix lists").
    assert (answer["id"], answer["maxEntries"], answer["ownerId"]) == ("pl-22a6434b", 55, "AWS")
    # Another list that exists answers with its own id: asking for it instead would show in the rule.
    assert call(token, name="com.amazonaws.ap-northeast-2.s3")["id"] == "pl-78a54011"
    for wrong in ({"name": "com.amazonaws.global.cloudfront.origin-facing "}, {"name": "com.amazonaws.cloudfront"},
                  {"name": "com.amazonaws.us-east-1.s3"}, {"id": "pl-22a6434b"},
                  {"name": "com.amazonaws.global.cloudfront.origin-facing", "id": "pl-22a6434b"},
                  {"filters": [{"name": "prefix-list-name",
                                "values": ["com.amazonaws.global.cloudfront.origin-facing"]}]},
                  {}):
        with pytest.raises(ValueError, match="getManagedPrefixList"):
            call(token, **wrong)


def test_the_elb_account_is_the_one_aws_lists_for_the_region_asked():
    token = "aws:elb/getServiceAccount:getServiceAccount"
    # Elastic Load Balancing User Guide, "Enable access logs": Asia Pacific (Seoul), US East (N. Virginia).
    assert call(token)["arn"] == "arn:aws:iam::600734575887:root"
    assert call(token, region="us-east-1")["id"] == "127311923021"
    assert FakeCloud("prod", "us-east-1").call(MockCallArgs(token, {}, ""))["id"] == "127311923021"
    for wrong in ({"region": "eu-west-9"}, {"region": "ap-northeast-2", "id": "x"}):
        with pytest.raises(ValueError, match="getServiceAccount"):
            call(token, **wrong)
    with pytest.raises(ValueError, match="not one this program deploys to"):
        FakeCloud("prod", "ap-southeast-7").call(MockCallArgs(token, {}, ""))


def test_an_invoke_answers_for_its_providers_region():
    cloud = FakeCloud("prod", "ap-northeast-2")
    cloud.new_resource(MockResourceArgs("pulumi:providers:aws", "us-east-1", {"region": "us-east-1"}, "", "", None))
    provider = "urn:pulumi:prod::tiketi::pulumi:providers:aws::us-east-1::abc"
    answer = cloud.call(MockCallArgs("aws:elb/getServiceAccount:getServiceAccount", {}, provider))
    assert answer["id"] == "127311923021"


def test_the_caller_identity_takes_no_arguments():
    token = "aws:index/getCallerIdentity:getCallerIdentity"
    assert call(token)["accountId"] == "210987654321"
    with pytest.raises(ValueError, match="getCallerIdentity takes no arguments"):
        call(token, id="123456789012")


@pytest.mark.parametrize("token", ["aws:index/getRegion:getRegion", "aws:index/getPartition:getPartition",
                                   "aws:index/getAvailabilityZones:getAvailabilityZones",
                                   "aws:iam/getPolicyDocument:getPolicyDocument"])
def test_a_data_source_the_program_does_not_use_fails_loudly(token):
    with pytest.raises(NotImplementedError, match="no answer for invoke"):
        call(token)
