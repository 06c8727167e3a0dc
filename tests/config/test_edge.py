"""components/config/edge.py: tiketi:edge, the two DNS modes, impossible combinations and the shared TLS allow-list."""

from __future__ import annotations

import pytest

from components.config.catalog import ALB_TLS_POLICIES
from tests.support.config import (
    ALB_CERT,
    CDN,
    CF_CERT,
    EDGE,
    ROUTE53,
    aws_config,
    parse,
    parse_aws,
    problem_with,
    problems_of,
)


def test_prod_edge_config():
    config = parse("prod")
    assert config.edge.cloudfront and config.edge.waf and config.edge.use_cloudfront_prefix_list
    assert config.edge.waf_rate_limit == 2000 and config.edge.price_class == "PriceClass_200"
    assert config.edge.alb_ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"


def test_staging_edge_has_waf_like_prod_with_a_cheaper_price_class():
    config = parse("staging")
    assert config.edge.cloudfront and config.edge.waf and config.edge.price_class == "PriceClass_100"
    assert config.edge.alb_deletion_protection is False


def test_committed_stacks_let_the_program_issue_certificates_in_route53():
    for stack, origin in (("prod", "origin.tiketi.example.com"), ("staging", "origin.staging.tiketi.example.com")):
        edge = parse(stack).edge
        assert (edge.dns, edge.hosted_zone, edge.hosted_zone_id) == ("route53", "tiketi.example.com", None)
        assert edge.alb_origin_domain == origin
        assert edge.internal_api_domain == "ticket-api.internal." + origin.removeprefix("origin.")
        assert (edge.alb_certificate_arn, edge.cloudfront_certificate_arn) == (None, None)  # no placeholder ARN


def test_both_dns_modes_parse():
    route53 = parse_aws(**{"tiketi:edge": ROUTE53}).edge
    assert (route53.dns, route53.hosted_zone, route53.aliases) == ("route53", "example.com", ["example.com"])
    by_id = parse_aws(**{"tiketi:edge": {**ROUTE53, "hostedZone": None, "hostedZoneId": "Z0123456789ABCDEFGHIJ"}})
    assert by_id.edge.hosted_zone_id == "Z0123456789ABCDEFGHIJ"
    external = parse_aws(**{"tiketi:edge": {**EDGE, **CDN}}).edge
    assert (external.dns, external.alb_certificate_arn, external.cloudfront_certificate_arn) == (
        "external", ALB_CERT, CF_CERT)


@pytest.mark.parametrize("key", ["albOriginDomain", "internalApiDomain"])
def test_the_two_alb_names_are_required(key):  # EdgeSettings: required fields
    without = {k: v for k, v in EDGE.items() if k != key}
    assert problems_of(aws_config(**{"tiketi:edge": without})) == [f"tiketi:edge.{key}: is required"]


def test_route53_needs_exactly_one_zone():  # EdgeSettings._dns_mode
    assert problem_with("edge", **{**ROUTE53, "hostedZone": None}) == (
        "tiketi:edge.hostedZone: (not set) dns: route53 needs the public hosted zone the names live in: set "
        "hostedZone (its name) or hostedZoneId, one of them")
    assert problem_with("edge", **{**ROUTE53, "hostedZoneId": "Z0123456789ABCDEFGHIJ"}).startswith(
        'tiketi:edge.hostedZone: "example.com" dns: route53 needs the public hosted zone')


def test_route53_refuses_certificate_arns_it_would_ignore():  # EdgeSettings._dns_mode
    assert problem_with("edge", **{**ROUTE53, "albCertificateArn": ALB_CERT}) == (
        f'tiketi:edge.albCertificateArn: "{ALB_CERT}" is for dns: external; with dns: route53 the program issues and '
        "validates the certificates itself (remove it, or set dns: external)")


def test_route53_names_must_live_in_the_zone():  # EdgeSettings._dns_mode
    assert problem_with("edge", **{**ROUTE53, "aliases": ["tiketi.example.net"]}) == (
        'tiketi:edge.aliases[0]: "tiketi.example.net" is not in the hosted zone example.com: its certificate is '
        "validated and its record written there")


def test_external_dns_needs_the_alb_certificate_and_no_zone():  # EdgeSettings._dns_mode
    assert problem_with("edge", albCertificateArn=None) == (
        "tiketi:edge.albCertificateArn: (not set) is required with dns: external: the ALBs' certificate, issued in "
        "aws:region for albOriginDomain and internalApiDomain")
    assert problem_with("edge", hostedZone="example.com") == (
        'tiketi:edge.hostedZone: "example.com" is for dns: route53; with dns: external the program writes no public '
        "record (remove it, or set dns: route53)")


def test_the_internal_name_must_not_hide_other_names_in_the_vpc():  # EdgeSettings._distinct_names
    assert problem_with("edge", **{**ROUTE53, "internalApiDomain": "example.com"}) == (
        'tiketi:edge.internalApiDomain: "example.com" would hide albOriginDomain origin.example.com inside the VPC: '
        "its private zone answers every name below it; give the internal API a name of its own such as "
        "ticket-api.internal.<zone>")
    assert problem_with("edge", **{**ROUTE53, "aliases": ["app.example.com"],
                                   "internalApiDomain": "internal.example.com",
                                   "albOriginDomain": "origin.internal.example.com"}).startswith(
        'tiketi:edge.internalApiDomain: "internal.example.com" would hide albOriginDomain origin.internal.example.com')
    assert problem_with("edge", **{**ROUTE53, "aliases": ["origin.example.com"]}) == (
        "tiketi:edge.aliases: [\"origin.example.com\"] names albOriginDomain origin.example.com: that name points at "
        "the ALB, the aliases at CloudFront")


@pytest.mark.parametrize("name", ["Origin.example.com", "origin", "origin.example.com.", "-a.example.com",
                                  "a_b.example.com", "x" * 64 + ".example.com"])
def test_names_must_be_dns_names(name):  # EdgeSettings._dns_names
    assert problem_with("edge", albOriginDomain=name) == (
        f'tiketi:edge.albOriginDomain: "{name}" is not a DNS name; expected lower-case labels of letters, digits and '
        "inner hyphens, at least two, such as origin.tiketi.example.com")


def test_aliases_are_dns_names_wildcards_allowed_once_each():  # EdgeSettings._alias_names
    assert parse_aws(**{"tiketi:edge": {**ROUTE53, "aliases": ["*.example.com", "example.com"]}}).edge.aliases == [
        "*.example.com", "example.com"]
    assert problem_with("edge", **{**ROUTE53, "aliases": ["example.com", "www.*.example.com"]}).startswith(
        "tiketi:edge.aliases: [\"example.com\", \"www.*.example.com\"] has entry [1] 'www.*.example.com', which is "
        "not a DNS name")
    assert problem_with("edge", **{**ROUTE53, "aliases": ["example.com", "example.com"]}).endswith(
        "names a DNS name twice")


def test_zone_id_shape():  # EdgeSettings._zone_id
    assert problem_with("edge", **{**ROUTE53, "hostedZone": None, "hostedZoneId": "/hostedzone/Z01234"}) == (
        'tiketi:edge.hostedZoneId: "/hostedzone/Z01234" is not a Route 53 hosted zone id (Z followed by upper-case '
        "letters and digits, as `aws route53 list-hosted-zones` shows it without /hostedzone/)")


def test_cloudfront_certificate_must_be_in_us_east_1():  # EdgeSettings._consistent
    wrong = CF_CERT.replace("us-east-1", "ap-northeast-2")
    assert problem_with("edge", **{**CDN, "cloudfrontCertificateArn": wrong}) == (
        f'tiketi:edge.cloudfrontCertificateArn: "{wrong}" must be in us-east-1: CloudFront only uses '
        "certificates from there")


def test_alb_certificate_must_be_in_the_stack_region():  # StackConfig._zones_in_region
    wrong = ALB_CERT.replace("ap-northeast-2", "eu-west-1")
    assert problem_with("edge", **{**CDN, "albCertificateArn": wrong}) == (
        f'tiketi:edge.albCertificateArn: "{wrong}" must be in aws:region ap-northeast-2, where the ALB is')


def test_aliases_and_certificate_go_together():  # EdgeSettings._consistent
    assert problem_with("edge", **{**CDN, "aliases": []}).startswith(
        "tiketi:edge.aliases: [] and cloudfrontCertificateArn go together")


def test_prefix_list_without_cloudfront_would_lock_everyone_out():  # EdgeSettings._consistent
    assert problem_with("edge", **{**EDGE, "useCloudfrontPrefixList": True}) == (
        "tiketi:edge.useCloudfrontPrefixList: true needs tiketi:edge.cloudfront: without CloudFront nothing "
        "could reach the ALB")


def test_fallback_needs_cidrs():  # EdgeSettings._consistent
    assert problem_with("edge", **{**EDGE, "fallbackCidrs": []}) == (
        "tiketi:edge.fallbackCidrs: [] must list who may reach the ALB when useCloudfrontPrefixList is false")


def test_waf_needs_cloudfront():  # EdgeSettings._consistent
    assert problem_with("edge", **{**EDGE, "waf": True}) == (
        "tiketi:edge.waf: true needs tiketi:edge.cloudfront: the web ACL is CLOUDFRONT-scoped")


def test_certificate_arn_shape():  # EdgeSettings._acm_arn
    assert problem_with("edge", **{**CDN, "albCertificateArn": "my-cert"}) == (
        'tiketi:edge.albCertificateArn: "my-cert" is not an ACM certificate ARN '
        "(arn:aws:acm:<region>:<account>:certificate/<id>)")


@pytest.mark.parametrize("price", ["PriceClass_300", "all"])
def test_price_class_allow_list(price):
    assert problem_with("edge", **{**CDN, "priceClass": price}).startswith(
        f'tiketi:edge.priceClass: "{price}" is not allowed; expected "PriceClass_100", "PriceClass_200" or '
        '"PriceClass_All"')


def test_a_tls_policy_outside_the_shared_allow_list_is_refused_at_its_key():  # EdgeSettings._tls13_policy
    problem = problem_with("edge", **{**CDN, "albSslPolicy": "ELBSecurityPolicy-2016-08"})
    assert problem == (
        'tiketi:edge.albSslPolicy: "ELBSecurityPolicy-2016-08" is not allowed; expected a TLS 1.3 policy: '
        f"{', '.join(ALB_TLS_POLICIES)} (policy/alb_tls_policies.json, the policy pack's list)")
    assert problem_with("edge", **{**CDN, "albSslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-6"}).endswith(
        "(did you mean ELBSecurityPolicy-TLS13-1-2-2021-06?)")


@pytest.mark.parametrize("policy", ALB_TLS_POLICIES)
def test_every_allow_listed_tls_policy_is_accepted(policy):
    assert parse_aws(**{"tiketi:edge": {**EDGE, **CDN, "albSslPolicy": policy}}).edge.alb_ssl_policy == policy
