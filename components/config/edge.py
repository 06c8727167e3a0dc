"""``tiketi:edge``: ALB, S3, CloudFront, Lambda@Edge and WAF (spec 4.1, 4.2, 4.5)."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config.base import KeyProblemError, Section

_ACM_ARN = re.compile(r"^arn:aws:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")


class EdgeSettings(Section):
    """``tiketi:edge``: ALB, S3 buckets, CloudFront, Lambda@Edge and WAF (spec 4.1, 4.2, 4.5)."""

    alb_certificate_arn: str | None = None  # ACM, in aws:region
    # The shape is checked here; that it is a TLS 1.3 policy is the policy pack's rule alb-https-tls13.
    alb_ssl_policy: str = Field(default="ELBSecurityPolicy-TLS13-1-2-2021-06", pattern=r"^ELBSecurityPolicy-[\w-]+$")
    alb_deletion_protection: bool = True
    use_cloudfront_prefix_list: bool = True
    fallback_cidrs: list[ipaddress.IPv4Network] = []  # only when the prefix list is off
    cloudfront: bool = True
    alb_origin_domain: str | None = None  # a name on the ALB certificate that resolves to the ALB
    cloudfront_certificate_arn: str | None = None  # ACM, in us-east-1
    aliases: list[str] = []
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_200"
    waf: bool = True
    waf_rate_limit: int = Field(default=2000, ge=10, le=2_000_000_000)  # requests per IP per 5 minutes
    frontend_versioning: bool = True
    cors_origins: list[str] = []
    logs_expiration_days: int = Field(default=365, ge=91)

    @field_validator("alb_certificate_arn", "cloudfront_certificate_arn")
    @classmethod
    def _acm_arn(cls, arn: str | None) -> str | None:
        if arn is not None and not _ACM_ARN.match(arn):
            raise ValueError("is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)")
        return arn

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
