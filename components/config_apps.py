"""The shape of the application-side ``tiketi:<section>`` objects: queue, worker, edge, cluster, workloads.

Same conventions as components/config_sections.py (camelCase keys, unknown keys rejected,
messages that read after the key and value).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config_sections import RetentionDays, _KeyProblemError, _Section


class QueueSettings(_Section):
    """``tiketi:queue``: the ticket-events FIFO queue and its dead-letter queue (spec 4.6, 8.2)."""

    max_receive_count: int = Field(default=5, ge=1, le=1000)
    # Off by default: with it on, SQS drops a second message with the same body sent within
    # five minutes, so producers would have to put a unique id in every body.
    content_based_deduplication: bool = False
    oldest_message_alarm_seconds: int = Field(default=600, ge=60)


class WorkerSettings(_Section):
    """``tiketi:worker``: the ticket-worker Lambda and its event source mapping."""

    timeout_seconds: int = Field(default=30, ge=1, le=900)
    memory_mb: int = Field(default=256, ge=128, le=10240)
    reserved_concurrency: int = Field(default=10, ge=1)
    maximum_concurrency: int = Field(default=10, ge=2, le=1000)  # the SQS mapping's floor is 2
    tracing: bool = True
    log_retention_days: RetentionDays = 30
    errors_alarm_threshold: int = Field(default=5, ge=0)


    @model_validator(mode="after")
    def _concurrency_fits(self) -> WorkerSettings:
        if self.maximum_concurrency > self.reserved_concurrency:
            raise _KeyProblemError(
                "tiketi:worker.maximumConcurrency", self.maximum_concurrency,
                f"is above tiketi:worker.reservedConcurrency ({self.reserved_concurrency}); the event source "
                "mapping would be throttled by the function's own reservation",
            )
        return self


_ACM_ARN = re.compile(r"^arn:aws:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")


class EdgeSettings(_Section):
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
            raise _KeyProblemError(f"{key}cloudfrontCertificateArn", self.cloudfront_certificate_arn,
                                   "must be in us-east-1: CloudFront only uses certificates from there")
        if self.cloudfront and not (self.alb_certificate_arn and self.alb_origin_domain):
            raise _KeyProblemError(f"{key}cloudfront", True,
                                   "needs albCertificateArn and albOriginDomain: CloudFront reaches the ALB over "
                                   "HTTPS only, at a name the ALB's certificate covers")
        if bool(self.aliases) != bool(self.cloudfront_certificate_arn):
            raise _KeyProblemError(f"{key}aliases", self.aliases,
                                   "and cloudfrontCertificateArn go together: a custom certificate needs the names "
                                   "it serves, and custom names need a certificate")
        if self.use_cloudfront_prefix_list and not self.cloudfront:
            raise _KeyProblemError(f"{key}useCloudfrontPrefixList", True,
                                   "needs tiketi:edge.cloudfront: without CloudFront nothing could reach the ALB")
        if not self.use_cloudfront_prefix_list and not self.fallback_cidrs:
            raise _KeyProblemError(f"{key}fallbackCidrs", [],
                                   "must list who may reach the ALB when useCloudfrontPrefixList is false")
        if self.waf and not self.cloudfront:
            raise _KeyProblemError(f"{key}waf", True, "needs tiketi:edge.cloudfront: the web ACL is CLOUDFRONT-scoped")
        return self


class ClusterSettings(_Section):
    """``tiketi:cluster``: the EKS cluster and its managed node group (staging, prod)."""

    version: str = "1.33"
    public_access_cidrs: list[ipaddress.IPv4Network] = []  # empty: private endpoint only
    instance_types: list[str] = Field(default=["m7g.large"], min_length=1)
    ami_type: Literal["AL2023_ARM_64_STANDARD", "AL2023_x86_64_STANDARD"] = "AL2023_ARM_64_STANDARD"
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    min_size: int = Field(default=3, ge=1)
    desired_size: int = Field(default=3, ge=1)
    max_size: int = Field(default=6, ge=1)
    log_retention_days: RetentionDays = 90
    admin_role_arns: list[str] = []
    load_balancer_controller_chart: str = "1.13.0"

    @field_validator("version")
    @classmethod
    def _eks_version(cls, version: str) -> str:
        if not re.fullmatch(r"1\.(3[0-5])", version):
            raise ValueError("is not a supported EKS version; expected 1.30 to 1.35")
        return version

    @field_validator("public_access_cidrs")
    @classmethod
    def _no_open_endpoint(cls, cidrs: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        if any(c.prefixlen == 0 for c in cidrs):
            raise ValueError("must not include 0.0.0.0/0: list the ranges that may reach the API server")
        return cidrs


    @model_validator(mode="after")
    def _sizes(self) -> ClusterSettings:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise _KeyProblemError("tiketi:cluster.desiredSize", self.desired_size,
                                   f"must lie between minSize ({self.min_size}) and maxSize ({self.max_size})")
        arm = self.ami_type.startswith("AL2023_ARM")
        for index, instance_type in enumerate(self.instance_types):
            graviton = re.match(r"^[a-z]+\d+g", instance_type) is not None  # m7g, c7gn, r6gd, t4g ...
            if arm != graviton:
                raise _KeyProblemError(f"tiketi:cluster.instanceTypes[{index}]", instance_type,
                                       f"does not run amiType {self.ami_type}")
        return self


class AutoscalingRange(_Section):
    min: int = Field(ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingRange:
        if self.min > self.max:
            raise ValueError(f"has min {self.min} above max {self.max}")
        return self


class WorkloadsSettings(_Section):
    """``tiketi:workloads``: the eight services in every stack (spec 1.1-1.3, 2)."""

    namespace: str
    image_tag: str = "local"
    image_tags: dict[str, str] = {}  # per-service overrides (make set-image)
    replicas: dict[str, int] = {}  # default 1
    autoscaling: dict[str, AutoscalingRange] = {}
    cpu_target_percent: int = Field(default=70, ge=10, le=100)
    disruption_budgets: bool = False
    topology_spread: bool = False
    kafka_bootstrap_servers: str | None = None
    zipkin_endpoint: str | None = None

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, name: str) -> str:
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name):
            raise ValueError("is not a Kubernetes namespace name (lower-case DNS label)")
        return name

    @field_validator("image_tag")
    @classmethod
    def _tag(cls, tag: str) -> str:
        return check_image_tag(tag)

    @field_validator("image_tags", "replicas", "autoscaling")
    @classmethod
    def _known_services(cls, mapping: dict) -> dict:
        from components.services import SERVICE_NAMES

        for service in mapping:
            if service not in SERVICE_NAMES:
                raise ValueError(f"names {service!r}, which is not a service; expected one of "
                                 f"{', '.join(SERVICE_NAMES)}")
        return mapping

    @field_validator("image_tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for tag in tags.values():
            check_image_tag(tag)
        return tags

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, replicas: dict[str, int]) -> dict[str, int]:
        if any(count < 1 for count in replicas.values()):
            raise ValueError("must give every service at least 1 replica")
        return replicas

    def image_tag_for(self, service: str) -> str:
        return self.image_tags.get(service, self.image_tag)

    def replicas_for(self, service: str) -> int:
        """Replicas from the table; an autoscaled service without an entry starts at its minimum."""
        scaling = self.autoscaling.get(service)
        return self.replicas.get(service, scaling.min if scaling else 1)


def check_image_tag(tag: str) -> str:
    if tag == "latest" or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag):
        raise ValueError("is not allowed; expected a pinned image tag (not 'latest'), e.g. 3f9c2ab-20261124")
    return tag
