"""Cdn: CloudFront with the Lambda@Edge queue-token check, its WAF, logs and names (spec 4.2).

Owns an explicit us-east-1 AWS provider (Lambda@Edge, the CLOUDFRONT-scope WAF and the log
deliveries live there; it carries the stack's default tags, which an explicit provider would
not read from config), the edge function (``lambdas/edge_queue_check/`` plus a generated
``config.json`` holding the queue-entry-token secret, because Lambda@Edge has no environment
variables), its role, the origin access control, the cache and response-headers policies, the
web ACL (by config), the distribution, its logs (CdnLogs), the frontend bucket's policy and,
with ``dns: route53``, the aliases' A and AAAA records.

Behaviours, first match wins (CloudFront compares the path with the ordered behaviours, then
the default):

- ``/static/*`` -> S3 (1 h default, 24 h max) and ``/_next/static/*`` -> S3 (1 year): files only;
- ``/api/*`` -> ALB, nothing cached: AWS's ``Managed-CachingDisabled`` cache policy and
  ``Managed-AllViewerExceptHostHeader`` origin request policy, looked up by name. With caching
  off, forwarding every viewer header forwards ``Authorization`` too: "You can't forward the
  Authorization header individually in an origin request policy, but when you forward all
  viewer headers, CloudFront includes the Authorization header" (CloudFront Developer Guide,
  "HTTP 401 status code (Unauthorized)"; re:Post knowledge center "cloudfront-authorization-
  header": "If caching is turned off, then you can use AllViewer and AllViewerExceptHostHeader
  origin request policies to forward an authorization header"). A cache policy may not name
  Authorization with caching disabled, and an origin request policy may not list it (HTTP 400),
  hence the managed "all viewer headers" policy. Host is the one header not forwarded: CloudFront
  connects to the origin by its name, which is what the ALB's certificate covers (a forwarded
  viewer Host would have to be on it too, else the TLS handshake fails: "HTTP 502", CloudFront
  Developer Guide);
- ``*`` (pages) -> ALB with ``pages``: nothing cached unless Next.js says so (min 0, default 0,
  max 1 year: a dynamic page answers ``private, no-store``, an ISR page ``s-maxage``), the query
  string and Next.js's router headers in the cache key (Next.js varies a page's response on
  ``RSC``, ``Next-Router-State-Tree``, ``Next-Router-Prefetch``, ``Next-Router-Segment-Prefetch``
  and ``Next-Url``: its ``Vary``, which CloudFront ignores), cookies not (forwarded, not keyed),
  every viewer header but Host forwarded; POST allowed (server actions).

Every behaviour that reaches the ALB runs the edge function on viewer-request, so the spec's
protected paths are checked whichever behaviour a path lands in. No custom error response:
a 403 or 404 from the API or a page reaches the viewer as it was sent (a distribution-wide
error page would turn API errors into ``200 text/html``).

Origin timeouts: keep-alive 55 s and read 60 s against the ALB's 65 s idle timeout
(components/timeouts.py).

Create-time order: the frontend bucket policy waits for that bucket's public-access block and
ownership controls, and the edge function for its role's policy attachment (the log delivery's
order is CdnLogs'). Names: the edge function, the policies, the origin access control and the
web ACL are auto-named by Pulumi, so a replacement never collides with the old one (which the
distribution still uses, or which CloudFront still replicates).

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
from components.edge.cdn_logs import CdnLogs, CdnLogsArgs
from components.edge.load_balancer import ORIGIN_VERIFY_HEADER
from components.edge.storage import deny_insecure_transport
from components.lambda_code import code_archive
from components.security import iam
from components.timeouts import CLOUDFRONT_ORIGIN_KEEPALIVE_SECONDS, CLOUDFRONT_ORIGIN_READ_SECONDS

EDGE_CODE_FILES = ("handler.py",)  # lambdas/edge_queue_check/, plus the generated config.json
EDGE_RUNTIME = "python3.13"
EDGE_REGION = "us-east-1"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
ONE_YEAR = 31536000
API_PATH = "/api/*"
# The request headers Next.js varies a page's response on (next/dist/client/components/app-router-headers).
NEXTJS_CACHE_KEY_HEADERS = ["RSC", "Next-Router-State-Tree", "Next-Router-Prefetch", "Next-Router-Segment-Prefetch",
                            "Next-Url"]
CACHING_DISABLED = "Managed-CachingDisabled"
ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"
# AWS managed rule groups, in priority order after the rate limit (WAF Developer Guide, "AWS Managed
# Rules rule groups list"): 700 + 200 + 200 WCU with the rate rule's 2, within the 1500 the base price covers.
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                       "AWSManagedRulesSQLiRuleSet")
# Rules of a group that only count: the core rule set's SizeRestrictions_BODY blocks every body over 8 KB
# ("Request bodies larger than 8 KB are blocked", re:Post knowledge center "How does AWS WAF handle body
# inspections for HTTP requests?"), which would 403 larger POSTs to /api/* and Next.js server actions
# (review m2). Counting keeps its metric; the other rules still inspect the first 16 KB CloudFront
# forwards (WAF developer guide, "Oversize web request components").
COUNT_ONLY = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}


@dataclass(frozen=True)
class CdnArgs:
    name_prefix: str
    settings: EdgeSettings
    default_tags: Mapping[str, str]
    origin_domain: pulumi.Input[str]  # the public ALB's name (LoadBalancer.origin_domain)
    origin_verify_secret: pulumi.Input[str]
    queue_entry_token_secret: pulumi.Input[str]
    frontend_bucket_id: pulumi.Input[str]
    frontend_bucket_arn: pulumi.Input[str]
    frontend_bucket_domain: pulumi.Input[str]
    frontend_bucket_ready: Sequence[pulumi.Resource]  # Storage.frontend_bucket_ready
    logs_bucket_arn: pulumi.Input[str]
    logs_bucket_policy: pulumi.Resource
    certificate_arn: pulumi.Input[str] | None = None  # issued, in us-east-1, covering the aliases
    hosted_zone_id: pulumi.Input[str] | None = None  # dns: route53: write the aliases' records there


class Cdn(Component):
    TYPE = "tiketi:edge:Cdn"
    domain_name: pulumi.Output[str]
    hosted_zone_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str] | None
    edge_function_qualified_arn: pulumi.Output[str]
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
        CdnLogs(f"{name}-logs", CdnLogsArgs(
            name_prefix=args.name_prefix, distribution_arn=distribution.arn, logs_bucket_arn=args.logs_bucket_arn,
            logs_bucket_policy=args.logs_bucket_policy, web_acl_arn=web_acl.arn if web_acl is not None else None,
            waf_log_retention_days=args.settings.waf_log_retention_days,
        ), opts=pulumi.ResourceOptions(parent=self, providers={"aws": self._use1}))
        if args.hosted_zone_id is not None:
            self._alias_records(distribution)

        self.domain_name, self.hosted_zone_id = distribution.domain_name, distribution.hosted_zone_id
        self.distribution_arn, self.distribution_id = distribution.arn, distribution.id
        self.web_acl_arn = web_acl.arn if web_acl is not None else None
        self.edge_function_qualified_arn = edge_function.qualified_arn
        self.edge_function_name = edge_function.name
        self.web_acl_metric_name = self._web_acl_metric_name if web_acl is not None else None
        self.provider = self._use1
        self.register_outputs({"domainName": self.domain_name, "edgeFunction": self.edge_function_qualified_arn})


    @property
    def _web_acl_metric_name(self) -> str:
        return f"{self._args.name_prefix}-edge"

    def _in_us_east_1(self, **kwargs) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._use1, **kwargs)

    def _alias_records(self, distribution: aws.cloudfront.Distribution) -> None:
        """Each alias -> the distribution, A and AAAA (the distribution serves IPv6 too).

        ``hosted_zone_id`` is CloudFront's fixed alias zone (Z2FDTNDATAQYW2), and an alias to a
        distribution may not evaluate target health (Route 53 API, AliasTarget)."""
        for alias in self._args.settings.aliases:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{self._name}-alias-{alias.replace('*', 'wildcard')}-{record_type.lower()}",
                    zone_id=self._args.hosted_zone_id, name=alias, type=record_type,
                    aliases=[aws.route53.RecordAliasArgs(name=distribution.domain_name,
                                                         zone_id=distribution.hosted_zone_id,
                                                         evaluate_target_health=False)],
                    opts=self._child())

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
                        vendor_name="AWS", name=group, rule_action_overrides=[
                            aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
                                name=rule, action_to_use=aws.wafv2
                                .WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                                    count={}))
                            for rule in COUNT_ONLY.get(group, ())] or None)),
                visibility_config=visibility(group))

        return aws.wafv2.WebAcl(
            f"{name}-waf", scope="CLOUDFRONT",
            description="Per-IP rate limit and AWS managed protections (common, known bad inputs, SQL injection)",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow={}),
            rules=[
                aws.wafv2.WebAclRuleArgs(
                    name="rate-limit-per-ip", priority=0, action=aws.wafv2.WebAclRuleActionArgs(block={}),
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                            limit=settings.waf_rate_limit, aggregate_key_type="IP")),
                    visibility_config=visibility("rate-limit-per-ip")),
                *(managed(priority, group) for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)),
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
        pages = self._cache_policy("pages", 0, ONE_YEAR, headers=NEXTJS_CACHE_KEY_HEADERS, query_strings="all")
        lookup = pulumi.InvokeOutputOptions(parent=self)
        caching_disabled = aws.cloudfront.get_cache_policy_output(name=CACHING_DISABLED, opts=lookup).id
        all_viewer = aws.cloudfront.get_origin_request_policy_output(name=ALL_VIEWER_EXCEPT_HOST, opts=lookup).id
        check_token = [aws.cloudfront.DistributionOrderedCacheBehaviorLambdaFunctionAssociationArgs(
            event_type="viewer-request", lambda_arn=edge_function.qualified_arn, include_body=False)]

        def s3_behavior(pattern: str, policy: aws.cloudfront.CachePolicy):
            return aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                path_pattern=pattern, target_origin_id="s3", viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"], cached_methods=["GET", "HEAD"], compress=True,
                cache_policy_id=policy.id, response_headers_policy_id=headers.id)

        api = aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
            path_pattern=API_PATH, target_origin_id="alb", viewer_protocol_policy="https-only",
            allowed_methods=ALL_METHODS, cached_methods=["GET", "HEAD"], compress=True,
            cache_policy_id=caching_disabled, origin_request_policy_id=all_viewer,
            lambda_function_associations=check_token, response_headers_policy_id=headers.id)
        viewer_certificate = aws.cloudfront.DistributionViewerCertificateArgs(
            acm_certificate_arn=args.certificate_arn, minimum_protocol_version="TLSv1.2_2021",
            ssl_support_method="sni-only",
        ) if args.certificate_arn is not None else aws.cloudfront.DistributionViewerCertificateArgs(
            cloudfront_default_certificate=True)
        return aws.cloudfront.Distribution(
            f"{name}-distribution",
            comment=f"{args.name_prefix}: pages and API (ALB), static files (S3)",
            enabled=True, is_ipv6_enabled=True, http_version="http2and3",
            aliases=list(settings.aliases), price_class=settings.price_class,
            web_acl_id=web_acl.arn if web_acl is not None else None,
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="alb", domain_name=args.origin_domain,
                    custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                        http_port=80, https_port=443, origin_protocol_policy="https-only",
                        origin_ssl_protocols=["TLSv1.2"],
                        origin_keepalive_timeout=CLOUDFRONT_ORIGIN_KEEPALIVE_SECONDS,
                        origin_read_timeout=CLOUDFRONT_ORIGIN_READ_SECONDS),
                    custom_headers=[aws.cloudfront.DistributionOriginCustomHeaderArgs(
                        name=ORIGIN_VERIFY_HEADER, value=args.origin_verify_secret)]),
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="s3", domain_name=args.frontend_bucket_domain, origin_access_control_id=oac.id),
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="alb", viewer_protocol_policy="redirect-to-https", allowed_methods=ALL_METHODS,
                cached_methods=["GET", "HEAD"], compress=True, cache_policy_id=pages.id,
                origin_request_policy_id=all_viewer,
                lambda_function_associations=[aws.cloudfront.DistributionDefaultCacheBehaviorLambdaFunctionAssociationArgs(
                    event_type="viewer-request", lambda_arn=edge_function.qualified_arn, include_body=False)],
                response_headers_policy_id=headers.id),
            ordered_cache_behaviors=[s3_behavior("/static/*", static), s3_behavior("/_next/static/*", immutable), api],
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")),
            viewer_certificate=viewer_certificate,
            opts=self._child())

    def _cache_policy(self, role: str, default_ttl: int, max_ttl: int, headers: Sequence[str] = (),
                      query_strings: str = "none") -> aws.cloudfront.CachePolicy:
        args = aws.cloudfront
        header_names = args.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigHeadersArgs(
            items=list(headers)) if headers else None
        header_config = args.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs(
            header_behavior="whitelist" if headers else "none", headers=header_names)
        return aws.cloudfront.CachePolicy(
            f"{self._name}-{role}", comment=f"{self._args.name_prefix}: {role}", min_ttl=0, default_ttl=default_ttl,
            max_ttl=max_ttl,
            parameters_in_cache_key_and_forwarded_to_origin=args.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs(
                enable_accept_encoding_gzip=True, enable_accept_encoding_brotli=True,
                cookies_config=args.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs(
                    cookie_behavior="none"),
                headers_config=header_config,
                query_strings_config=args.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs(
                    query_string_behavior=query_strings)),
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


