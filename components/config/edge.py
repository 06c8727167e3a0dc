"""``tiketi:edge``: DNS and certificates, the ALBs, S3, CloudFront, Lambda@Edge and WAF (spec 4.1, 4.2, 4.5)."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config.base import KeyProblemError, RetentionDays, Section, allowed, did_you_mean
from components.config.catalog import ALB_TLS_POLICIES

_ACM_ARN = re.compile(r"^arn:aws:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
_ACM_SHAPE = "ACM certificate ARN (`arn:aws:acm:<region>:<account>:certificate/<id>`)"
# RFC 1035 host names as Route 53 and ACM take them: lower-case labels of letters, digits and
# inner hyphens, at most 63 characters each and 253 in all, at least two labels, no trailing dot.
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# Route 53 hosted zone ids: "Z" and upper-case letters and digits (e.g. Z0123456789ABCDEFGHIJ).
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")


def dns_name_problem(name: str, wildcard: bool = False) -> str | None:
    """Why ``name`` is not a host name a certificate and a record can carry, or None."""
    labels = name.split(".")
    if wildcard and labels[0] == "*":
        labels = labels[1:]
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return ("is not a DNS name; expected lower-case labels of letters, digits and inner hyphens, at least two, "
                "such as origin.tiketi.example.com" + (" (a leading *. is allowed)" if wildcard else ""))
    return None


def within(name: str, zone: str) -> bool:
    """``name`` is ``zone`` or a name below it (``*.`` counts as below)."""
    return name == zone or name.endswith("." + zone)


class EdgeSettings(Section):
    """``tiketi:edge``: DNS and certificates, ALB, S3 buckets, CloudFront, Lambda@Edge and WAF (spec 4.1, 4.2, 4.5)."""

    dns: Literal["route53", "external"] = Field(
        default="route53",
        description="who issues the certificates and writes the public DNS records: the program, in a Route 53 "
                    "public zone of this account (`route53`), or the team (`external`: certificate ARNs given, no "
                    "public records)")
    hosted_zone: str | None = Field(
        default=None, description="the public Route 53 zone the names live in, found by name (dns: route53; or "
                                  "hostedZoneId)", json_schema_extra=allowed("DNS name of an existing public zone"))
    hosted_zone_id: str | None = Field(
        default=None, description="the same zone by id, used as given (dns: route53; or hostedZone)",
        json_schema_extra=allowed("Route 53 zone id (`Z...`)"))
    alb_origin_domain: str = Field(
        description="the public ALB's name: CloudFront's origin, on the regional certificate",
        json_schema_extra=allowed("DNS name"))
    internal_api_domain: str = Field(
        description="the internal ALB's name the worker calls over HTTPS, on the regional certificate; a private "
                    "zone of exactly this name answers it inside the VPC",
        json_schema_extra=allowed("DNS name of its own (no other configured name below it)"))
    alb_certificate_arn: str | None = Field(
        default=None, description="dns: external only: the certificate of both ALBs, covering albOriginDomain and "
                                  "internalApiDomain", json_schema_extra=allowed(f"{_ACM_SHAPE} in `aws:region`"))
    # One allow-list with the policy pack's rule alb-https-tls13 (policy/alb_tls_policies.json).
    alb_ssl_policy: str = Field(
        default="ELBSecurityPolicy-TLS13-1-2-2021-06", description="the TLS policy of both ALBs' HTTPS listeners",
        json_schema_extra=allowed("a TLS 1.3 policy of `policy/alb_tls_policies.json` (shared with the policy pack)"))
    alb_deletion_protection: bool = Field(default=True, description="refuse to delete the ALBs (public and internal)")
    use_cloudfront_prefix_list: bool = Field(
        default=True, description="admit only CloudFront's origin-facing servers to the ALB; needs `cloudfront`")
    fallback_cidrs: list[ipaddress.IPv4Network] = Field(
        default=[], description="who may reach the ALB when the prefix list is off (rules tagged `Fallback=true`)",
        json_schema_extra=allowed("list of IPv4 CIDRs; required when `useCloudfrontPrefixList` is false"))
    cloudfront: bool = Field(default=True, description="build the CDN and the edge function")
    cloudfront_certificate_arn: str | None = Field(
        default=None, description="dns: external only: the viewer certificate; goes together with `aliases`",
        json_schema_extra=allowed(f"{_ACM_SHAPE} in us-east-1"))
    aliases: list[str] = Field(default=[], description="the distribution's names (dns: external: with "
                                                       "`cloudfrontCertificateArn`)",
                               json_schema_extra=allowed("list of DNS names (`*.` allowed)"))
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        default="PriceClass_200", description="CloudFront edge locations used")
    waf: bool = Field(default=True, description="CloudFront-scoped web ACL (managed rules, rate limit, logging); "
                                                "needs `cloudfront`")
    waf_rate_limit: int = Field(default=2000, ge=10, le=2_000_000_000, description="requests per IP per 5 minutes")
    waf_log_retention_days: RetentionDays = Field(default=90, description="the web ACL's log group (us-east-1)")
    frontend_versioning: bool = Field(default=True, description="versioning on the frontend bucket")
    cors_origins: list[str] = Field(default=[], description="origins the frontend bucket answers CORS requests for",
                                    json_schema_extra=allowed("list of origins"))
    logs_expiration_days: int = Field(default=365, ge=91,
                                      description="logs bucket expiry (after Standard-IA at 30, Glacier at 90)")

    @field_validator("alb_origin_domain", "internal_api_domain", "hosted_zone")
    @classmethod
    def _dns_names(cls, name: str | None) -> str | None:
        problem = None if name is None else dns_name_problem(name)
        if problem:
            raise ValueError(problem)
        return name

    @field_validator("aliases")
    @classmethod
    def _alias_names(cls, names: list[str]) -> list[str]:
        for index, name in enumerate(names):
            problem = dns_name_problem(name, wildcard=True)
            if problem:
                raise ValueError(f"has entry [{index}] {name!r}, which {problem}")
        if len(set(names)) != len(names):
            raise ValueError("names a DNS name twice")
        return names

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone_id(cls, zone_id: str | None) -> str | None:
        if zone_id is not None and not _ZONE_ID.match(zone_id):
            raise ValueError("is not a Route 53 hosted zone id (Z followed by upper-case letters and digits, as "
                             "`aws route53 list-hosted-zones` shows it without /hostedzone/)")
        return zone_id

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
        if self.use_cloudfront_prefix_list and not self.cloudfront:
            raise KeyProblemError(f"{key}useCloudfrontPrefixList", True,
                                   "needs tiketi:edge.cloudfront: without CloudFront nothing could reach the ALB")
        if not self.use_cloudfront_prefix_list and not self.fallback_cidrs:
            raise KeyProblemError(f"{key}fallbackCidrs", [],
                                   "must list who may reach the ALB when useCloudfrontPrefixList is false")
        if self.waf and not self.cloudfront:
            raise KeyProblemError(f"{key}waf", True, "needs tiketi:edge.cloudfront: the web ACL is CLOUDFRONT-scoped")
        return self

    @model_validator(mode="after")
    def _dns_mode(self) -> EdgeSettings:
        key = "tiketi:edge."
        if self.dns == "route53":
            if bool(self.hosted_zone) == bool(self.hosted_zone_id):
                raise KeyProblemError(f"{key}hostedZone", self.hosted_zone,
                                       "dns: route53 needs the public hosted zone the names live in: set hostedZone "
                                       "(its name) or hostedZoneId, one of them")
            for arn_key, arn in (("albCertificateArn", self.alb_certificate_arn),
                                 ("cloudfrontCertificateArn", self.cloudfront_certificate_arn)):
                if arn:
                    raise KeyProblemError(f"{key}{arn_key}", arn,
                                           "is for dns: external; with dns: route53 the program issues and validates "
                                           "the certificates itself (remove it, or set dns: external)")
            for name_key, name in self._named():
                if self.hosted_zone and not within(name.removeprefix("*."), self.hosted_zone):
                    raise KeyProblemError(f"{key}{name_key}", name,
                                           f"is not in the hosted zone {self.hosted_zone}: its certificate is "
                                           "validated and its record written there")
        else:
            for zone_key, zone in (("hostedZone", self.hosted_zone), ("hostedZoneId", self.hosted_zone_id)):
                if zone:
                    raise KeyProblemError(f"{key}{zone_key}", zone,
                                           "is for dns: route53; with dns: external the program writes no public "
                                           "record (remove it, or set dns: route53)")
            if not self.alb_certificate_arn:
                raise KeyProblemError(f"{key}albCertificateArn", None,
                                       "is required with dns: external: the ALBs' certificate, issued in aws:region "
                                       "for albOriginDomain and internalApiDomain")
            if bool(self.aliases) != bool(self.cloudfront_certificate_arn):
                raise KeyProblemError(f"{key}aliases", self.aliases,
                                       "and cloudfrontCertificateArn go together: a custom certificate needs the names "
                                       "it serves, and custom names need a certificate")
        return self

    @model_validator(mode="after")
    def _distinct_names(self) -> EdgeSettings:
        key = "tiketi:edge."
        internal = self.internal_api_domain
        # The private zone is named exactly after the internal name: inside the VPC it answers that
        # name and everything below it, and a name below it with no record there is NXDOMAIN (the
        # resolver does not fall back to public DNS), so no other name may live below it.
        for name_key, name in self._named():
            if name_key != "internalApiDomain" and within(name, internal):
                raise KeyProblemError(f"{key}internalApiDomain", internal,
                                       f"would hide {name_key} {name} inside the VPC: its private zone answers every "
                                       "name below it; give the internal API a name of its own such as "
                                       "ticket-api.internal.<zone>")
        if self.hosted_zone and within(self.hosted_zone, internal):
            raise KeyProblemError(f"{key}internalApiDomain", internal,
                                   f"would hide the whole zone {self.hosted_zone} inside the VPC; give the internal "
                                   "API a name of its own such as ticket-api.internal.<zone>")
        if self.alb_origin_domain in self.aliases:
            raise KeyProblemError(f"{key}aliases", self.aliases,
                                   f"names albOriginDomain {self.alb_origin_domain}: that name points at the ALB, "
                                   "the aliases at CloudFront")
        return self

    def _named(self) -> list[tuple[str, str]]:
        return [("albOriginDomain", self.alb_origin_domain), ("internalApiDomain", self.internal_api_domain),
                *((f"aliases[{i}]", alias) for i, alias in enumerate(self.aliases))]
