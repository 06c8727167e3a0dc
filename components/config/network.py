"""``aws:`` (region, default tags) and ``tiketi:network``: where the AWS stacks live."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator

from components.config.base import RetentionDays, Section

_REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class AwsSettings(Section):
    """Read from the ``aws:`` namespace so explicit providers can copy the default provider."""

    region: str
    default_tags: dict[str, str]

    @field_validator("region")
    @classmethod
    def _region_shape(cls, region: str) -> str:
        if not _REGION_PATTERN.match(region):
            raise ValueError("is not an AWS region name; expected e.g. ap-northeast-2")
        return region


class NetworkSettings(Section):
    """``tiketi:network``: the VPC the AWS stacks build (see components/network/network.py)."""

    vpc_cidr: ipaddress.IPv4Network
    availability_zones: list[str] = Field(min_length=2, max_length=3)
    nat_gateways: Literal["perAz", "single"] = "perAz"
    flow_logs_retention_days: RetentionDays = 90

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
