"""The edge's deploy-order rules (tools/harness/deploy_order/edge.py): each catches its missing precondition.

Each case builds the few registrations a rule looks at, in the shapes the program registers
(inputs naming other resources by ARN, name or id; outputs as the fake cloud computes them),
once without the dependency (the rule must report it) and once with it (the rule must be quiet).
On the real stacks every rule finds what it relates, so none passes for want of a match.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.program.test_invariants import synthetic
from tools.harness.deploy_order import check_rules
from tools.harness.deploy_order.aws import AWS_RULES, NO_PRECONDITION
from tools.harness.deploy_order.edge import EDGE_NO_PRECONDITION, EDGE_RULES
from tools.harness.mock_engine import Registration

CERT_ARN = "arn:aws:acm:us-east-1:210987654321:certificate/0d1f3c52-5b8a-4f1e-9d2c-7a6b5c4d3e2f"
CNAME = "_5d41402abc4b2a76b9719d911017c592.tiketi.example.com."
BUCKET_ARN = "arn:aws:s3:::logs-b"
GROUP_ARN = "arn:aws:logs:us-east-1:210987654321:log-group:aws-waf-logs-x"


def res(type_: str, name: str, inputs: dict | None = None, outputs: dict | None = None,
        deps: tuple[Registration, ...] = ()) -> Registration:
    return Registration(urn=f"urn:pulumi:prod::tiketi::{type_}::{name}", type=type_, name=name, parent=None,
                        provider=None, custom=True, inputs=inputs or {}, outputs=outputs or {}, id=f"{name}-id",
                        all_dependencies=tuple(d.urn for d in deps))


def _certificate() -> Registration:
    return res("aws:acm/certificate:Certificate", "certificate", {"domainName": "tiketi.example.com"},
               {"arn": CERT_ARN, "domainValidationOptions": [
                   {"domainName": "tiketi.example.com", "resourceRecordName": CNAME, "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_x.acm-validations.aws."}]})


def _validation(wait_for: tuple[Registration, ...]) -> Registration:
    return res("aws:acm/certificateValidation:CertificateValidation", "validation", {"certificateArn": CERT_ARN},
               deps=wait_for)


def _listener_uses_issued_certificate(wait: bool) -> list[Registration]:
    certificate = _certificate()
    validation = _validation((certificate,))
    # Without the wait, the listener names the certificate's own ARN: it depends on the certificate only.
    listener = res("aws:lb/listener:Listener", "https", {"protocol": "HTTPS", "certificateArn": CERT_ARN},
                   deps=(validation,) if wait else (certificate,))
    return [certificate, validation, listener]


def _distribution_uses_issued_certificate(wait: bool) -> list[Registration]:
    certificate = _certificate()
    validation = _validation((certificate,))
    distribution = res("aws:cloudfront/distribution:Distribution", "cdn",
                       {"viewerCertificate": {"acmCertificateArn": CERT_ARN}},
                       deps=(validation,) if wait else (certificate,))
    return [certificate, validation, distribution]


def _validation_after_records(wait: bool) -> list[Registration]:
    certificate = _certificate()
    record = res("aws:route53/record:Record", "cname", {"name": CNAME, "type": "CNAME"}, {"fqdn": CNAME[:-1]},
                 deps=(certificate,))
    # Without the wait: a validation with no validation_record_fqdns, racing the record.
    return [certificate, record, _validation((certificate, record) if wait else (certificate,))]


def _delivery_after_bucket_policy(wait: bool) -> list[Registration]:
    bucket = res("aws:s3/bucket:Bucket", "logs", outputs={"arn": BUCKET_ARN, "bucket": "logs-b"})
    policy = res("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", {"bucket": bucket.id})
    source = res("aws:cloudwatch/logDeliverySource:LogDeliverySource", "source", {"name": "cf"}, {"name": "cf"})
    destination = res("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination", "destination",
                      {"deliveryDestinationConfiguration": {"destinationResourceArn": BUCKET_ARN}},
                      {"arn": "arn:aws:logs:us-east-1:210987654321:delivery-destination:d"})
    delivery = res("aws:cloudwatch/logDelivery:LogDelivery", "delivery",
                   {"deliverySourceName": "cf", "deliveryDestinationArn": destination.outputs["arn"]},
                   deps=(source, destination, policy) if wait else (source, destination))
    return [bucket, policy, source, destination, delivery]


def _waf_logging_after_group_policy(wait: bool) -> list[Registration]:
    group = res("aws:cloudwatch/logGroup:LogGroup", "waf-logs", {"name": "aws-waf-logs-x"}, {"arn": GROUP_ARN})
    policy = res("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "waf-logs-policy", {
        "policyDocument": '{"Statement": [{"Effect": "Allow", "Resource": "' + GROUP_ARN + ':*"}]}'})
    logging = res("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "waf-logging",
                  {"logDestinationConfigs": [GROUP_ARN]}, deps=(group, policy) if wait else (group,))
    return [group, policy, logging]


def _alias_after_target(wait: bool) -> list[Registration]:
    alb = res("aws:lb/loadBalancer:LoadBalancer", "alb", outputs={"dnsName": "alb-1.elb.amazonaws.com",
                                                                "zoneId": "ZWKZPGTI48KDX"})
    record = res("aws:route53/record:Record", "origin", {"name": "origin.tiketi.example.com", "type": "A", "aliases": [
        {"name": "alb-1.elb.amazonaws.com", "zoneId": "ZWKZPGTI48KDX"}]}, deps=(alb,) if wait else ())
    return [alb, record]


CASES: dict[str, Callable[[bool], list[Registration]]] = {
    "certificate-issued-before-use (listener)": _listener_uses_issued_certificate,
    "certificate-issued-before-use (distribution)": _distribution_uses_issued_certificate,
    "certificate-validation-needs-its-records": _validation_after_records,
    "log-delivery-needs-bucket-policy": _delivery_after_bucket_policy,
    "waf-logging-needs-log-group-and-policy": _waf_logging_after_group_policy,
    "alias-record-needs-its-target": _alias_after_target,
}


@pytest.mark.parametrize("case", CASES)
def test_each_rule_reports_the_missing_wait_and_is_quiet_once_it_exists(case):
    rule = case.split(" ")[0]
    problems = check_rules(synthetic(*CASES[case](False)), EDGE_RULES)
    assert problems and all(p.startswith(f"[{rule}] ") for p in problems), problems
    assert check_rules(synthetic(*CASES[case](True)), EDGE_RULES) == []


def test_every_edge_rule_has_a_case():
    assert {case.split(" ")[0] for case in CASES} == {rule.name for rule in EDGE_RULES}


def test_the_edge_rules_find_what_they_relate_on_the_real_stacks(aws_stack):
    """No rule passes vacuously: each subject on the stack relates to at least one resource."""
    for rule in EDGE_RULES:
        subjects = [r for r in aws_stack.registrations if rule.applies_to(r)]
        if rule.name == "alias-record-needs-its-target":
            subjects = [r for r in subjects if r.inputs.get("aliases")]
        elif rule.name == "certificate-issued-before-use":
            subjects = [r for r in subjects if r.inputs.get("protocol") == "HTTPS" or "viewerCertificate" in r.inputs]
        assert subjects, rule.name
        assert all(rule.related(aws_stack, r) for r in subjects), rule.name
    assert check_rules(aws_stack, EDGE_RULES) == []


def test_the_edge_rules_are_aws_rules_and_their_types_are_listed_once():
    assert set(EDGE_RULES) <= set(AWS_RULES)
    assert EDGE_NO_PRECONDITION.items() <= NO_PRECONDITION.items()
    ruled = {t for rule in EDGE_RULES for t in rule.resource_types}
    assert not ruled & set(EDGE_NO_PRECONDITION)
