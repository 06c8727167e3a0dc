"""Config of the edge and async tiers (tiketi:edge, tiketi:queue, tiketi:worker): impossible combinations."""

from __future__ import annotations

import pytest

from tests.config.test_stack_config import EDGE, WORKER, aws_config, parse, problems_of

ALB_CERT = "arn:aws:acm:ap-northeast-2:123456789012:certificate/6f0b2c9d-1e4a-4f7b-8c3d-2a5e9b0c7d16"
CF_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/4d7a9e1b-2c3f-4b8d-a0e5-6f1c2b3d4e5f"
CDN = {"cloudfront": True, "albCertificateArn": ALB_CERT, "albOriginDomain": "origin.example.com",
       "cloudfrontCertificateArn": CF_CERT, "aliases": ["example.com"]}


def edge_problem(**edge) -> str:
    [problem] = problems_of(aws_config(**{"tiketi:edge": edge}))
    return problem


def test_prod_edge_and_async_config():
    config = parse("prod")
    assert config.edge.cloudfront and config.edge.waf and config.edge.use_cloudfront_prefix_list
    assert config.edge.waf_rate_limit == 2000 and config.edge.price_class == "PriceClass_200"
    assert (config.queue.max_receive_count, config.queue.content_based_deduplication) == (5, False)
    assert (config.worker.timeout_seconds, config.worker.memory_mb) == (30, 256)
    assert (config.worker.reserved_concurrency, config.worker.maximum_concurrency, config.worker.tracing) == (
        10, 10, True)


def test_cloudfront_needs_an_https_origin():
    assert edge_problem(cloudfront=True, useCloudfrontPrefixList=True) == (
        "tiketi:edge.cloudfront: true needs albCertificateArn and albOriginDomain: CloudFront reaches the ALB over "
        "HTTPS only, at a name the ALB's certificate covers")


def test_cloudfront_certificate_must_be_in_us_east_1():
    wrong = CF_CERT.replace("us-east-1", "ap-northeast-2")
    assert edge_problem(**{**CDN, "cloudfrontCertificateArn": wrong}) == (
        f'tiketi:edge.cloudfrontCertificateArn: "{wrong}" must be in us-east-1: CloudFront only uses '
        "certificates from there")


def test_alb_certificate_must_be_in_the_stack_region():
    wrong = ALB_CERT.replace("ap-northeast-2", "eu-west-1")
    assert edge_problem(**{**CDN, "albCertificateArn": wrong}) == (
        f'tiketi:edge.albCertificateArn: "{wrong}" must be in aws:region ap-northeast-2, where the ALB is')


def test_aliases_and_certificate_go_together():
    assert edge_problem(**{**CDN, "aliases": []}).startswith(
        "tiketi:edge.aliases: [] and cloudfrontCertificateArn go together")


def test_prefix_list_without_cloudfront_would_lock_everyone_out():
    assert edge_problem(cloudfront=False, waf=False) == (
        "tiketi:edge.useCloudfrontPrefixList: true needs tiketi:edge.cloudfront: without CloudFront nothing "
        "could reach the ALB")


def test_fallback_needs_cidrs():
    assert edge_problem(cloudfront=False, waf=False, useCloudfrontPrefixList=False) == (
        "tiketi:edge.fallbackCidrs: [] must list who may reach the ALB when useCloudfrontPrefixList is false")


def test_waf_needs_cloudfront():
    assert edge_problem(**{**EDGE, "waf": True}) == (
        "tiketi:edge.waf: true needs tiketi:edge.cloudfront: the web ACL is CLOUDFRONT-scoped")


def test_certificate_arn_shape():
    assert edge_problem(**{**CDN, "albCertificateArn": "my-cert"}).startswith(
        'tiketi:edge.albCertificateArn: "my-cert" is not an ACM certificate ARN')


@pytest.mark.parametrize("price", ["PriceClass_300", "all"])
def test_price_class_allow_list(price):
    assert edge_problem(**{**CDN, "priceClass": price}) == (
        f'tiketi:edge.priceClass: "{price}" is not allowed; expected "PriceClass_100", "PriceClass_200" or '
        '"PriceClass_All"')


def test_worker_concurrency_cannot_exceed_its_reservation():
    [problem] = problems_of(aws_config(**{"tiketi:worker": {**WORKER, "reservedConcurrency": 5,
                                                            "maximumConcurrency": 10}}))
    assert problem == ("tiketi:worker.maximumConcurrency: 10 is above tiketi:worker.reservedConcurrency (5); the "
                       "event source mapping would be throttled by the function's own reservation")


def test_event_source_concurrency_floor_is_two():
    [problem] = problems_of(aws_config(**{"tiketi:worker": {**WORKER, "maximumConcurrency": 1}}))
    assert problem.startswith("tiketi:worker.maximumConcurrency: 1 is invalid")


def test_worker_timeout_bounds():
    [problem] = problems_of(aws_config(**{"tiketi:worker": {**WORKER, "timeoutSeconds": 901}}))
    assert problem.startswith("tiketi:worker.timeoutSeconds: 901 is invalid")
