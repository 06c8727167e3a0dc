"""``tiketi:edge``: ALB, S3, CloudFront, Lambda@Edge and WAF (spec 4.1, 4.2, 4.5)."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config.base import KeyProblemError, Section, allowed, did_you_mean
from components.config.catalog import ALB_TLS_POLICIES

_ACM_ARN = re.compile(r"^arn:aws:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
_ACM_SHAPE = "ACM certificate ARN (`arn:aws:acm:<region>:<account>:certificate/<id>`)"


class EdgeSettings(Section):
    """``tiketi:edge``: ALB, S3 buckets, CloudFront, Lambda@Edge and WAF (spec 4.1, 4.2, 4.5)."""

    alb_certificate_arn: str | None = Field(
        default=None, description="the ALB's HTTPS listener certificate; unset: no HTTPS listener",
        json_schema_extra=allowed(f"{_ACM_SHAPE} in `aws:region`"))
    # One allow-list with the policy pack's rule alb-https-tls13 (policy/alb_tls_policies.json).
    alb_ssl_policy: str = Field(
        default="ELBSecurityPolicy-TLS13-1-2-2021-06", description="the HTTPS listener's TLS policy",
        json_schema_extra=allowed("a TLS 1.3 policy of `policy/alb_tls_policies.json` (shared with the policy pack)"))
    alb_deletion_protection: bool = Field(default=True, description="refuse to delete the ALB")
    use_cloudfront_prefix_list: bool = Field(
        default=True, description="admit only CloudFront's origin-facing servers to the ALB; needs `cloudfront`")
    fallback_cidrs: list[ipaddress.IPv4Network] = Field(
        default=[], description="who may reach the ALB when the prefix list is off (rules tagged `Fallback=true`)",
        json_schema_extra=allowed("list of IPv4 CIDRs; required when `useCloudfrontPrefixList` is false"))
    cloudfront: bool = Field(default=True,
                             description="build the CDN and the edge function; needs albCertificateArn and "
                                         "albOriginDomain")
    alb_origin_domain: str | None = Field(
        default=None, description="the name CloudFront uses for the ALB: on its certificate, resolving to the ALB",
        json_schema_extra=allowed("DNS name"))
    cloudfront_certificate_arn: str | None = Field(
        default=None, description="the viewer certificate; goes together with `aliases`",
        json_schema_extra=allowed(f"{_ACM_SHAPE} in us-east-1"))
    aliases: list[str] = Field(default=[], description="the distribution's names; go together with "
                                                       "`cloudfrontCertificateArn`",
                               json_schema_extra=allowed("list of DNS names"))
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        default="PriceClass_200", description="CloudFront edge locations used")
    waf: bool = Field(default=True, description="CloudFront-scoped web ACL (managed rules, rate limit); "
                                                "needs `cloudfront`")
    waf_rate_limit: int = Field(default=2000, ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")
    frontend_versioning: bool = Field(default=True, description="versioning on the frontend bucket")
    cors_origins: list[str] = Field(default=[], description="origins the frontend bucket answers CORS requests for",
                                    json_schema_extra=allowed("list of origins"))
    logs_expiration_days: int = Field(default=365, ge=91,
                                      description="logs bucket expiry (after Standard-IA at 30, Glacier at 90)")

    @field_validator("alb_certificate_arn", "cloudfront_certificate_arn")
    @classmethod
    def _acm_arn(cls, arn: str | None) -> str | None:
        if arn is not None and not _ACM_ARN.match(arn):
            raise ValueError("is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
        return arn

    @field_validator("alb_ssl_policy")
    @classmethod
    def _tls13_policy(cls, policy: str) -> str:
        if policy not in ALB_TLS_POLICIES:
            hint = did_you_mean(policy, ALB_TLS_POLICIES, cutoff=0.9)
            raise ValueError(f"is not allowed; expected a TLS 1.3 policy: {', '.join(ALB_TLS_POLICIES)} "
                             f"(policy/alb_tls_policies.json, the policy pack's list){hint}")
        return policy

    @model_validator(mode="after")
    def _consistent(self) -> EdgeSettings:
        key = "tiketi:edge."
        if self.cloudfront_certificate_arn and _ACM_ARN.match(self.cloudfront_certificate_arn)[1] != "us-east-1":
            raise KeyProblemError(f"{key}cloudfrontCertificateArn", self.cloudfront_certificate_arn,
                                   "must be in us-east-1: CloudFront only uses certificates from there")
        if self.cloudfront and not (self.alb_certificate_arn and self.alb_origin_domain):
            raise KeyProblemError(f"{key}cloudfront", True,
                                   "needs albCertificateArn and albOriginDomain: CloudFront reaches the ALB over "
                                   "HTTPS only, at a name the ALB's certificate covers")
        if bool(self.aliases) != bool(self.cloudfront_certificate_arn):
            raise KeyProblemError(f"{key}aliases", self.aliases,
                                   "and cloudfrontCertificateArn go together: a custom certificate needs the names "
                                   "it serves, and custom names need a certificate")
        if self.use_cloudfront_prefix_list and not self.cloudfront:
            raise KeyProblemError(f"{key}useCloudfrontPrefixList", True,
                                   "needs tiketi:edge.cloudfront: without CloudFront nothing could reach the ALB")
        if not self.use_cloudfront_prefix_list and not self.fallback_cidrs:
            raise KeyProblemError(f"{key}fallbackCidrs", [],
                                   "must list who may reach the ALB when useCloudfrontPrefixList is false")
        if self.waf and not self.cloudfront:
            raise KeyProblemError(f"{key}waf", True, "needs tiketi:edge.cloudfront: the web ACL is CLOUDFRONT-scoped")
        return self
