"""Cdn: CloudFront with the Lambda@Edge queue-token check, its WAF, and the frontend bucket policy (spec 4.2).

Owns an explicit us-east-1 AWS provider (Lambda@Edge and CLOUDFRONT-scope WAF live there;
it carries the stack's default tags, which an explicit provider would not read from
config), the edge function (``lambdas/edge_queue_check/`` plus a generated ``config.json``
holding the queue-entry-token secret, because Lambda@Edge has no environment variables),
its role, the origin access control, the cache and response-headers policies, the web
ACL (by config), the distribution and the frontend bucket's policy.

Behaviours: ``*`` -> ALB with no caching (TTL 0/0/0), all cookies, the ``Authorization``
header and all query strings forwarded and the edge function on viewer-request; these use
CloudFront's legacy cache settings because a cache policy with caching disabled may not put
headers in the cache key and an origin request policy may not forward ``Authorization``.
``/static/*`` -> S3 (1 h default, 24 h max) and ``/_next/static/*`` -> S3 (1 year).

Create-time order: the distribution waits for the logs bucket's ownership controls (standard
logging writes with an ACL grant, and CloudFront refuses a bucket that "does not enable ACL
access"), the frontend bucket policy for that bucket's public-access block and ownership
controls, and the edge function for its role's policy attachment. Names: the edge function,
the policies, the origin access control and the web ACL are auto-named by Pulumi, so a
replacement never collides with the old one (which the distribution still uses, or which
CloudFront still replicates).

Destroy caveat: CloudFront deletes Lambda@Edge replicas hours after the distribution stops
using them, and until then the function cannot be deleted. The function is therefore
``retain_on_delete``: ``pulumi destroy`` (or a replacement) drops it from the stack and
leaves it in us-east-1; delete it by hand a few hours later (``edgeFunctionName`` output).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.config.edge import EdgeSettings
from components.edge.load_balancer import ORIGIN_VERIFY_HEADER
from components.edge.storage import CLOUDFRONT_LOG_PREFIX, deny_insecure_transport
from components.lambda_code import code_archive
from components.security import iam

EDGE_CODE_FILES = ("handler.py",)  # lambdas/edge_queue_check/, plus the generated config.json
EDGE_RUNTIME = "python3.13"
EDGE_REGION = "us-east-1"
# Headers the API needs at the origin; the rest of the viewer's headers are not forwarded.
API_HEADERS = ["Authorization", "Accept", "Accept-Language", "Content-Type", "Origin", "Referer",
               "X-Queue-Entry-Token", "X-Requested-With"]
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
ONE_YEAR = 31536000


@dataclass(frozen=True)
class CdnArgs:
    name_prefix: str
    settings: EdgeSettings
    default_tags: Mapping[str, str]
    alb_origin_domain: str
    origin_verify_secret: pulumi.Input[str]
    queue_entry_token_secret: pulumi.Input[str]
    frontend_bucket_id: pulumi.Input[str]
    frontend_bucket_arn: pulumi.Input[str]
    frontend_bucket_domain: pulumi.Input[str]
    frontend_bucket_ready: Sequence[pulumi.Resource]  # Storage.frontend_bucket_ready
    logs_bucket_domain: pulumi.Input[str]
    logs_bucket_ready: Sequence[pulumi.Resource]  # Storage.cloudfront_logs_ready (ACLs enabled)


class Cdn(Component):
    TYPE = "tiketi:edge:Cdn"
    domain_name: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    edge_function_qualified_arn: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    edge_function_name: pulumi.Output[str]
    web_acl_metric_name: str | None  # WAF's WebACL metric dimension (its visibility config's metric name)
    provider: aws.Provider  # us-east-1, with the stack's default tags

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        self._use1 = aws.Provider(f"{name}-{EDGE_REGION}", region=EDGE_REGION,
                                  default_tags=aws.ProviderDefaultTagsArgs(tags=dict(args.default_tags)),
                                  opts=pulumi.ResourceOptions(parent=self))
        edge_function = self._build_edge_function()
        web_acl = self._build_web_acl() if args.settings.waf else None
        distribution = self._build_distribution(edge_function, web_acl)
        aws.s3.BucketPolicy(
            f"{name}-frontend-bucket", bucket=args.frontend_bucket_id,
            policy=iam.document(
                {"Sid": "CloudFrontReadsThisDistributionOnly", "Effect": "Allow",
                 "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                 "Resource": pulumi.Output.concat(args.frontend_bucket_arn, "/*"),
                 "Condition": {"StringEquals": {"AWS:SourceArn": distribution.arn}}},
                deny_insecure_transport(args.frontend_bucket_arn),
            ),
            opts=self._child(depends_on=list(args.frontend_bucket_ready)))

        self.domain_name = distribution.domain_name
        self.distribution_arn = distribution.arn
        self.edge_function_qualified_arn = edge_function.qualified_arn
        self.distribution_id = distribution.id
        self.edge_function_name = edge_function.name
        self.web_acl_metric_name = self._web_acl_metric_name if web_acl is not None else None
        self.provider = self._use1
        self.register_outputs({"domainName": self.domain_name, "edgeFunction": self.edge_function_qualified_arn})


    @property
    def _web_acl_metric_name(self) -> str:
        return f"{self._args.name_prefix}-edge"

    def _in_us_east_1(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._use1, **kwargs)

    def _build_edge_function(self) -> aws.lambda_.Function:
        name, args = self._name, self._args
        role = aws.iam.Role(f"{name}-edge", assume_role_policy=iam.trust("lambda.amazonaws.com",
                                                                              "edgelambda.amazonaws.com"),
                            description="Lambda@Edge queue-entry token check", opts=self._in_us_east_1())
        logs = aws.iam.RolePolicyAttachment(
            f"{name}-edge-logs", role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", opts=self._in_us_east_1())
        # The secret goes into the archive: Lambda@Edge functions cannot have environment variables.
        code = pulumi.Output.secret(args.queue_entry_token_secret).apply(lambda secret: code_archive(
            "edge_queue_check", EDGE_CODE_FILES, {"config.json": pulumi.StringAsset(json.dumps({"secret": secret}))}))
        return aws.lambda_.Function(
            f"{name}-edge",
            description="CloudFront viewer-request: queue-entry token check (spec 8.1)",
            runtime=EDGE_RUNTIME,
            architectures=["x86_64"],  # Lambda@Edge runs x86_64 only
            handler="handler.handler",
            code=code,
            role=role.arn,
            memory_size=128,
            timeout=5,
            publish=True,  # CloudFront associates a numbered version, never $LATEST
            # Auto-named: a replacement must not collide with the retained old function.
            opts=self._in_us_east_1(retain_on_delete=True, depends_on=[logs]),
        )

    def _build_web_acl(self) -> aws.wafv2.WebAcl:
        name, settings = self._name, self._args.settings

        def visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgs:
            return aws.wafv2.WebAclVisibilityConfigArgs(cloudwatch_metrics_enabled=True, metric_name=metric,
                                                        sampled_requests_enabled=True)

        def managed(priority: int, group: str) -> aws.wafv2.WebAclRuleArgs:
            return aws.wafv2.WebAclRuleArgs(
                name=group, priority=priority, override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none={}),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS", name=group)),
                visibility_config=visibility(group))

        return aws.wafv2.WebAcl(
            f"{name}-waf", scope="CLOUDFRONT",
            description="Per-IP rate limit and AWS managed protections in front of CloudFront",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow={}),
            rules=[
                aws.wafv2.WebAclRuleArgs(
                    name="rate-limit-per-ip", priority=0, action=aws.wafv2.WebAclRuleActionArgs(block={}),
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                            limit=settings.waf_rate_limit, aggregate_key_type="IP")),
                    visibility_config=visibility("rate-limit-per-ip")),
                managed(1, "AWSManagedRulesCommonRuleSet"),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
            visibility_config=visibility(self._web_acl_metric_name),
            opts=self._in_us_east_1())

    def _build_distribution(self, edge_function: aws.lambda_.Function,
                            web_acl: aws.wafv2.WebAcl | None) -> aws.cloudfront.Distribution:
        name, args, settings = self._name, self._args, self._args.settings
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-s3", description=f"{args.name_prefix}: CloudFront to the frontend bucket",
            origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4",
            opts=self._child())
        headers = self._security_headers()
        static = self._cache_policy("static", 3600, 86400)
        immutable = self._cache_policy("immutable", ONE_YEAR, ONE_YEAR)

        def s3_behavior(pattern: str, policy: aws.cloudfront.CachePolicy):
            return aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                path_pattern=pattern, target_origin_id="s3", viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"], cached_methods=["GET", "HEAD"], compress=True,
                cache_policy_id=policy.id, response_headers_policy_id=headers.id)

        viewer_certificate = aws.cloudfront.DistributionViewerCertificateArgs(
            acm_certificate_arn=settings.cloudfront_certificate_arn, minimum_protocol_version="TLSv1.2_2021",
            ssl_support_method="sni-only",
        ) if settings.cloudfront_certificate_arn else aws.cloudfront.DistributionViewerCertificateArgs(
            cloudfront_default_certificate=True)
        return aws.cloudfront.Distribution(
            f"{name}-distribution",
            comment=f"{args.name_prefix}: frontend (S3) and API (ALB)",
            enabled=True, is_ipv6_enabled=True, http_version="http2and3",
            aliases=list(settings.aliases), price_class=settings.price_class,
            web_acl_id=web_acl.arn if web_acl is not None else None,
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="alb", domain_name=args.alb_origin_domain,
                    custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                        http_port=80, https_port=443, origin_protocol_policy="https-only",
                        origin_ssl_protocols=["TLSv1.2"]),
                    custom_headers=[aws.cloudfront.DistributionOriginCustomHeaderArgs(
                        name=ORIGIN_VERIFY_HEADER, value=args.origin_verify_secret)]),
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="s3", domain_name=args.frontend_bucket_domain, origin_access_control_id=oac.id),
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="alb", viewer_protocol_policy="https-only", allowed_methods=ALL_METHODS,
                cached_methods=["GET", "HEAD"], compress=True, min_ttl=0, default_ttl=0, max_ttl=0,
                forwarded_values=aws.cloudfront.DistributionDefaultCacheBehaviorForwardedValuesArgs(
                    query_string=True, headers=API_HEADERS,
                    cookies=aws.cloudfront.DistributionDefaultCacheBehaviorForwardedValuesCookiesArgs(forward="all")),
                lambda_function_associations=[aws.cloudfront.DistributionDefaultCacheBehaviorLambdaFunctionAssociationArgs(
                    event_type="viewer-request", lambda_arn=edge_function.qualified_arn, include_body=False)],
                response_headers_policy_id=headers.id),
            ordered_cache_behaviors=[s3_behavior("/static/*", static), s3_behavior("/_next/static/*", immutable)],
            custom_error_responses=[
                aws.cloudfront.DistributionCustomErrorResponseArgs(error_code=code, response_code=200,
                                                                   response_page_path="/index.html",
                                                                   error_caching_min_ttl=10)
                for code in (403, 404)],
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")),
            viewer_certificate=viewer_certificate,
            logging_config=aws.cloudfront.DistributionLoggingConfigArgs(
                bucket=args.logs_bucket_domain, prefix=CLOUDFRONT_LOG_PREFIX, include_cookies=False),
            opts=self._child(depends_on=list(args.logs_bucket_ready)))

    def _cache_policy(self, role: str, default_ttl: int, max_ttl: int) -> aws.cloudfront.CachePolicy:
        return aws.cloudfront.CachePolicy(
            f"{self._name}-{role}", comment=f"{self._args.name_prefix}: {role} assets", min_ttl=0,
            default_ttl=default_ttl,
            max_ttl=max_ttl,
            parameters_in_cache_key_and_forwarded_to_origin=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs(
                enable_accept_encoding_gzip=True, enable_accept_encoding_brotli=True,
                cookies_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs(
                    cookie_behavior="none"),
                headers_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs(
                    header_behavior="none"),
                query_strings_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs(
                    query_string_behavior="none")),
            opts=self._child())

    def _security_headers(self) -> aws.cloudfront.ResponseHeadersPolicy:
        config = aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs
        return aws.cloudfront.ResponseHeadersPolicy(
            f"{self._name}-security-headers", comment=f"{self._args.name_prefix}: security headers",
            security_headers_config=config(
                strict_transport_security=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=31536000, include_subdomains=True, preload=True, override=True),
                content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                    override=True),
                frame_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="DENY", override=True),
                xss_protection=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigXssProtectionArgs(
                    protection=True, mode_block=True, override=True),
                referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True),
            ),
            opts=self._child())


