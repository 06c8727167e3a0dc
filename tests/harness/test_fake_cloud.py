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
