"""``aws:`` (region, default tags) and ``tiketi:network``: where the AWS stacks live."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator

from components.config.base import RetentionDays, Section, allowed

_REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class AwsSettings(Section):
    """``aws:``: the AWS provider's own keys, read here too so explicit providers can copy the default one."""

    region: str = Field(description="region of every AWS resource but the us-east-1 edge pieces",
                        json_schema_extra=allowed("region name, e.g. `ap-northeast-2`"))
    default_tags: dict[str, str] = Field(
        description="tags on every AWS resource (`aws:defaultTags.tags`); copied onto any explicit AWS provider",
        json_schema_extra=allowed("map holding `Project: Tiketi`, `Environment: <stack>`, `ManagedBy: Pulumi`"))

    @field_validator("region")
    @classmethod
    def _region_shape(cls, region: str) -> str:
        if not _REGION_PATTERN.match(region):
            raise ValueError("is not an AWS region name; expected e.g. ap-northeast-2")
        return region


class NetworkSettings(Section):
    """``tiketi:network``: the VPC the AWS stacks build (components/network/network.py)."""

    vpc_cidr: ipaddress.IPv4Network = Field(
        description="the VPC's range; the subnet plan carves fixed /24 and /20 blocks out of it",
        json_schema_extra=allowed("private (RFC 1918) /16"))
    availability_zones: list[str] = Field(
        min_length=2, max_length=3, description="zones the subnets are spread over",
        json_schema_extra=allowed("2 or 3 distinct zones of `aws:region`"))
    nat_gateways: Literal["perAz", "single"] = Field(
        default="perAz", description="a NAT gateway per zone (a zone's loss cuts no other off), or one for the VPC")
    flow_logs_retention_days: RetentionDays = Field(default=90, description="VPC flow-log retention")

    @field_validator("vpc_cidr")
    @classmethod
    def _private_slash_16(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        # The subnet plan carves fixed /24 and /20 blocks out of a /16 (network.plan_subnets).
        if cidr.prefixlen != 16 or not cidr.is_private:
            raise ValueError("is not allowed; expected a private (RFC 1918) /16 such as 10.0.0.0/16")
        return cidr

    @field_validator("availability_zones")
    @classmethod
    def _unique_zones(cls, zones: list[str]) -> list[str]:
        if len(set(zones)) != len(zones):
            raise ValueError("must name distinct availability zones")
        return zones
