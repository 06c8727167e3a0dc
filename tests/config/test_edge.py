"""components/config/edge.py: tiketi:edge, impossible combinations and the shared TLS allow-list."""

from __future__ import annotations

import pytest

from components.config.catalog import ALB_TLS_POLICIES
from tests.support.config import ALB_CERT, CDN, CF_CERT, EDGE, parse, parse_aws, problem_with


def test_prod_edge_config():
    config = parse("prod")
    assert config.edge.cloudfront and config.edge.waf and config.edge.use_cloudfront_prefix_list
    assert config.edge.waf_rate_limit == 2000 and config.edge.price_class == "PriceClass_200"
    assert config.edge.alb_ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"


def test_staging_edge_has_waf_like_prod_with_a_cheaper_price_class():
    config = parse("staging")
    assert config.edge.cloudfront and config.edge.waf and config.edge.price_class == "PriceClass_100"
    assert config.edge.alb_deletion_protection is False


def test_cloudfront_needs_an_https_origin():  # EdgeSettings._consistent
    assert problem_with("edge", cloudfront=True, useCloudfrontPrefixList=True, waf=True) == (
        "tiketi:edge.cloudfront: true needs albCertificateArn and albOriginDomain: CloudFront reaches the ALB over "
        "HTTPS only, at a name the ALB's certificate covers")


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
    assert parse_aws(**{"tiketi:edge": {**CDN, "albSslPolicy": policy}}).edge.alb_ssl_policy == policy
