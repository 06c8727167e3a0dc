"""Certificates and names (dns: route53 on the committed stacks; dns: external on one extra run each).

What ACM and Route 53 check is asserted by value: each certificate's names, region and
validation method; one validation CNAME per name (shared by a wildcard and its apex), in the
public zone found by name; every alias record and its target; the private zone that answers the
internal API's name inside the VPC.
"""

from __future__ import annotations

import json

import pytest

from tests.support.config import ALB_CERT, CF_CERT
from tests.support.edge import balancer, https_listener, validated_arn
from tools.harness.deploy_order import DependencyGraph
from tools.harness.fake_cloud import zone_id_for
from tools.harness.mock_engine import load_stack_config_file, run_program
from tools.harness.snapshot import Snapshot, unwrap

CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
ZONE = "aws:route53/zone:Zone"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
NAMES = {
    "prod": {"origin": "origin.tiketi.example.com", "internal": "ticket-api.internal.tiketi.example.com",
             "aliases": ["tiketi.example.com", "www.tiketi.example.com"]},
    "staging": {"origin": "origin.staging.tiketi.example.com",
                "internal": "ticket-api.internal.staging.tiketi.example.com",
                "aliases": ["staging.tiketi.example.com"]},
}
PUBLIC_ZONE = zone_id_for("tiketi.example.com")


def certificate(snap: Snapshot, role: str):
    return snap.one(CERTIFICATE, tags={"Name": f"tiketi-{snap.stack}-{role}"})


def edge_run(stack: str, **edge: object) -> Snapshot:
    raw, _ = load_stack_config_file(stack)
    config = {k: v for k, v in {**json.loads(raw["tiketi:edge"]), **edge}.items() if v is not None}
    return Snapshot(run_program(stack, {"tiketi:edge": json.dumps(config)}))


# --- dns: route53 (the committed stacks) ---------------------------------------------------------


def test_the_regional_certificate_covers_the_origin_and_the_internal_name(aws_stack):
    names = NAMES[aws_stack.stack]
    regional = certificate(aws_stack, "regional")
    assert (regional.inputs["domainName"], regional.inputs["subjectAlternativeNames"]) == (
        names["origin"], [names["internal"]])
    assert (regional.inputs["validationMethod"], regional.inputs["keyAlgorithm"]) == ("DNS", "RSA_2048")
    assert "region" not in regional.inputs and regional.outputs["arn"].startswith("arn:aws:acm:ap-northeast-2:")


def test_the_cloudfront_certificate_covers_the_aliases_in_us_east_1(aws_stack):
    aliases = NAMES[aws_stack.stack]["aliases"]
    cloudfront = certificate(aws_stack, "cloudfront")
    assert cloudfront.inputs["domainName"] == aliases[0]
    assert cloudfront.inputs.get("subjectAlternativeNames", []) == aliases[1:]
    assert (cloudfront.inputs["validationMethod"], cloudfront.inputs["region"]) == ("DNS", "us-east-1")
    assert cloudfront.outputs["arn"].startswith("arn:aws:acm:us-east-1:")
    # The default provider (with the stack's tags) in the resource's own region, not a new provider.
    assert cloudfront.provider is None or "cdn-us-east-1" not in cloudfront.provider
    [validation] = [v for v in aws_stack.all(VALIDATION) if v.name == "certificates-cloudfront"]
    assert validation.inputs["region"] == "us-east-1"  # it polls ACM where the certificate is


@pytest.mark.parametrize("role", ["regional", "cloudfront"])
def test_each_certificate_is_validated_through_one_cname_per_name_in_the_public_zone(aws_stack, role):
    issued = certificate(aws_stack, role)
    [validation] = [v for v in aws_stack.all(VALIDATION) if v.name == f"certificates-{role}"]
    assert validation.inputs["certificateArn"] == issued.outputs["arn"]
    options = issued.outputs["domainValidationOptions"]
    records = [aws_stack.one(RECORD, name=o["resourceRecordName"]) for o in options]
    for option, record in zip(options, records, strict=True):
        assert record.inputs == {"zoneId": PUBLIC_ZONE, "name": option["resourceRecordName"], "type": "CNAME",
                                 "records": [option["resourceRecordValue"]], "ttl": 60}
    assert validation.inputs["validationRecordFqdns"] == [r.outputs["fqdn"] for r in records]
    # Built from config, not inside an apply: the records exist in preview and wait for nothing but the certificate.
    graph = DependencyGraph(aws_stack)
    assert all(graph.waits_for(validation, r) for r in records)


def test_validation_records_are_unique_in_the_zone(aws_stack):
    names = [r.inputs["name"] for r in aws_stack.all(RECORD, type="CNAME")]
    assert len(names) == len(set(names)) == 1 + len(NAMES[aws_stack.stack]["aliases"]) + 1


def test_the_public_zone_is_looked_up_by_name(aws_stack):
    assert aws_stack.config("tiketi:edge")["hostedZone"] == "tiketi.example.com"
    assert aws_stack.outputs["hostedZoneId"] == PUBLIC_ZONE
    assert {r.inputs["zoneId"] for r in aws_stack.all(RECORD) if r.inputs["zoneId"] != private_zone(aws_stack).outputs[
        "zoneId"]} == {PUBLIC_ZONE}


def test_nothing_uses_a_certificate_before_acm_issued_it(aws_stack):
    graph = DependencyGraph(aws_stack)
    validations = {v.name: v for v in aws_stack.all(VALIDATION)}
    for internal in (False, True):
        listener = https_listener(aws_stack, internal)
        assert listener.inputs["certificateArn"] == validated_arn(aws_stack, "regional")
        assert graph.waits_for(listener, validations["certificates-regional"])
    distribution = aws_stack.one(DISTRIBUTION)
    assert graph.waits_for(distribution, validations["certificates-cloudfront"])


def test_the_origin_name_points_at_the_public_alb(aws_stack):
    alb = balancer(aws_stack, internal=False)
    origin = aws_stack.one(RECORD, name=NAMES[aws_stack.stack]["origin"])
    assert origin.inputs == {"zoneId": PUBLIC_ZONE, "name": NAMES[aws_stack.stack]["origin"], "type": "A",
                             "aliases": [{"name": alb.outputs["dnsName"], "zoneId": alb.outputs["zoneId"],
                                          "evaluateTargetHealth": False}]}


def test_every_alias_points_at_the_distribution_over_ipv4_and_ipv6(aws_stack):
    distribution = aws_stack.one(DISTRIBUTION)
    for alias in NAMES[aws_stack.stack]["aliases"]:
        records = sorted(aws_stack.all(RECORD, name=alias), key=lambda r: r.inputs["type"])
        assert [r.inputs["type"] for r in records] == ["A", "AAAA"]
        for record in records:
            assert (record.inputs["zoneId"], record.inputs["aliases"]) == (PUBLIC_ZONE, [{
                "name": distribution.outputs["domainName"], "zoneId": "Z2FDTNDATAQYW2",
                "evaluateTargetHealth": False}])  # CloudFront targets may not evaluate health


def private_zone(snap: Snapshot):
    return snap.one(ZONE, name=NAMES[snap.stack]["internal"])


def test_the_internal_name_lives_in_a_private_zone_of_exactly_that_name(aws_stack):
    zone = private_zone(aws_stack)
    assert zone.inputs["vpcs"] == [{"vpcId": aws_stack.outputs["vpcId"]}]  # private: answered inside the VPC only
    internal = balancer(aws_stack, internal=True)
    [record] = aws_stack.all(RECORD, zoneId=zone.outputs["zoneId"])
    assert record.inputs == {"zoneId": zone.outputs["zoneId"], "name": NAMES[aws_stack.stack]["internal"],
                             "type": "A", "aliases": [{"name": internal.outputs["dnsName"],
                                                       "zoneId": internal.outputs["zoneId"],
                                                       "evaluateTargetHealth": False}]}
    # The VPC resolves private zones only with DNS support and host names on.
    vpc = aws_stack.one("aws:ec2/vpc:Vpc")
    assert (vpc.inputs["enableDnsSupport"], vpc.inputs["enableDnsHostnames"]) == (True, True)


def test_no_record_is_written_twice(aws_stack):
    keys = [(r.inputs["zoneId"], r.inputs["name"].rstrip("."), r.inputs["type"]) for r in aws_stack.all(RECORD)]
    assert len(keys) == len(set(keys))


@pytest.fixture(scope="module")
def by_id_with_a_wildcard() -> Snapshot:
    """The other route53 branches on one run: the zone by id, and a wildcard alias beside its apex."""
    return edge_run("staging", hostedZone=None, hostedZoneId="Z0123456789ABCDEFGHIJ",
                    aliases=["staging.tiketi.example.com", "*.staging.tiketi.example.com"])


def test_the_hosted_zone_by_id_is_used_as_given(by_id_with_a_wildcard):
    snap = by_id_with_a_wildcard
    public = [r for r in snap.all(RECORD) if r.inputs["zoneId"] != private_zone(snap).outputs["zoneId"]]
    assert public and {r.inputs["zoneId"] for r in public} == {"Z0123456789ABCDEFGHIJ"}
    assert snap.outputs["hostedZoneId"] == "Z0123456789ABCDEFGHIJ"


def test_a_wildcard_alias_shares_its_apexs_validation_record(by_id_with_a_wildcard):
    snap = by_id_with_a_wildcard
    cloudfront = certificate(snap, "cloudfront")
    assert cloudfront.inputs["subjectAlternativeNames"] == ["*.staging.tiketi.example.com"]
    options = cloudfront.outputs["domainValidationOptions"]
    assert options[0]["resourceRecordName"] == options[1]["resourceRecordName"]  # ACM: one CNAME for both
    [record] = snap.all(RECORD, name=options[0]["resourceRecordName"])
    [validation] = [v for v in snap.all(VALIDATION) if v.name == "certificates-cloudfront"]
    assert validation.inputs["validationRecordFqdns"] == [record.outputs["fqdn"]]
    assert sorted(r.inputs["type"] for r in snap.all(RECORD, name="*.staging.tiketi.example.com")) == ["A", "AAAA"]


# --- dns: external -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def external() -> Snapshot:
    return edge_run("staging", dns="external", hostedZone=None, albCertificateArn=ALB_CERT,
                    cloudfrontCertificateArn=CF_CERT)


def test_external_dns_uses_the_given_certificates_and_writes_no_public_record(external):
    assert external.all(CERTIFICATE) == [] and external.all(VALIDATION) == []
    for internal in (False, True):
        assert https_listener(external, internal).inputs["certificateArn"] == ALB_CERT
    assert external.one(DISTRIBUTION).inputs["viewerCertificate"]["acmCertificateArn"] == CF_CERT
    # Only the VPC-internal name: a private zone the team's DNS never sees.
    [record] = external.all(RECORD)
    assert record.inputs["name"] == NAMES["staging"]["internal"]
    assert [c.type for c in external.components()].count("tiketi:edge:Certificates") == 0
    assert "hostedZoneId" not in external.outputs
    # What the team's DNS needs: the origin name -> the ALB (alias target), the aliases -> CloudFront.
    alb = balancer(external, internal=False)
    assert (external.outputs["albDnsName"], external.outputs["albZoneId"]) == (alb.outputs["dnsName"],
                                                                              alb.outputs["zoneId"])
    assert external.outputs["albOriginDomain"] == NAMES["staging"]["origin"]
    [alb_origin] = [o for o in unwrap(external.one(DISTRIBUTION).inputs["origins"]) if o["originId"] == "alb"]
    assert alb_origin["domainName"] == NAMES["staging"]["origin"]


def test_external_dns_keeps_every_order_and_policy_rule(external):
    from tools.harness.deploy_order import check_deploy_order
    from tools.harness.policy_check import PLACEHOLDER_RULE, check

    assert check_deploy_order(external) == []
    # The example names are placeholders (reported apart, refused by make preview/up); nothing else.
    assert [str(v) for v in check(external) if v.rule != PLACEHOLDER_RULE] == []
