"""Raw stack config for the config tests: a minimal valid AWS stack to vary one key at a time."""

from __future__ import annotations

import json

import pytest

from components.config import ConfigError, StackConfig, parse_stack_config
from tools.harness.mock_engine import load_stack_config_file

TAGS = {"Project": "Tiketi", "Environment": "prod", "ManagedBy": "Pulumi"}
NETWORK = {"vpcCidr": "10.0.0.0/16", "availabilityZones": ["ap-northeast-2a", "ap-northeast-2b"]}
DATABASE = {"instanceClass": "db.t4g.medium"}
CACHE = {"nodeType": "cache.t4g.small"}
WORKER = {"reservedConcurrency": 10}
CLUSTER = {"accessEntries": {"ci-deploy": {"principalArn": "arn:aws:iam::210987654321:role/tiketi-ci-deploy"}}}
ALERTS = {"emails": ["oncall@tiketi.io"]}
# ticket-service scales to 10 so the default worker (10 invocations x 10 parallel calls) fits its 100
# database connections at the maximum (the capacity check, components/capacity/).
WORKLOADS = {"namespace": "tiketi-prod", "imageTag": "1.0.0", "autoscaling": {"ticket-service": {"min": 1, "max": 10}}}
KIND = {"tiketi:platform": "kind", "tiketi:workloads": json.dumps({"namespace": "tiketi-spring"})}
ALB_CERT = "arn:aws:acm:ap-northeast-2:123456789012:certificate/6f0b2c9d-1e4a-4f7b-8c3d-2a5e9b0c7d16"
CF_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/4d7a9e1b-2c3f-4b8d-a0e5-6f1c2b3d4e5f"
NAMES = {"albOriginDomain": "origin.example.com", "internalApiDomain": "ticket-api.internal.example.com"}
# The smallest edge: DNS elsewhere (certificate given), no CDN, the ALB open to one range.
EDGE = {"dns": "external", "albCertificateArn": ALB_CERT, **NAMES, "cloudfront": False,
        "useCloudfrontPrefixList": False, "waf": False, "fallbackCidrs": ["203.0.113.0/24"]}
CDN = {"cloudfront": True, "useCloudfrontPrefixList": True, "waf": True, "cloudfrontCertificateArn": CF_CERT,
       "aliases": ["example.com"]}
# The program issues the certificates in a Route 53 zone of the account (no ARN given).
ROUTE53 = {**EDGE, **CDN, "dns": "route53", "hostedZone": "example.com", "albCertificateArn": None,
           "cloudfrontCertificateArn": None}


def aws_config(network: dict | None = None, **extra: object) -> dict[str, str]:
    """A valid aws stack's raw config; ``extra`` replaces keys (``"null"`` removes one)."""
    raw = {
        "tiketi:platform": "aws",
        "aws:region": "ap-northeast-2",
        "aws:defaultTags": json.dumps({"tags": TAGS}),
        "tiketi:network": json.dumps(NETWORK if network is None else network),
        "tiketi:database": json.dumps(DATABASE),
        "tiketi:cache": json.dumps(CACHE),
        "tiketi:worker": json.dumps(WORKER),
        "tiketi:edge": json.dumps(EDGE),
        "tiketi:cluster": json.dumps(CLUSTER),
        "tiketi:alerts": json.dumps(ALERTS),
        "tiketi:workloads": json.dumps(WORKLOADS),
    }
    raw.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in extra.items()})
    return {k: v for k, v in raw.items() if v != "null"}


def problems_of(raw: dict, stack: str = "prod", secret_keys: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("tiketi", stack, raw, secret_keys)
    return caught.value.problems


def problem_with(section: str, stack: str = "prod", **values: object) -> str:
    """The one problem of an aws stack whose ``tiketi:<section>`` is the minimal one plus ``values``."""
    base = {"network": NETWORK, "database": DATABASE, "cache": CACHE, "worker": WORKER, "edge": EDGE,
            "cluster": CLUSTER, "alerts": ALERTS, "workloads": WORKLOADS}.get(section, {})
    [problem] = problems_of(aws_config(**{f"tiketi:{section}": {**base, **values}}), stack)
    return problem


def parse(stack: str) -> StackConfig:
    raw, secret_keys = load_stack_config_file(stack)
    return parse_stack_config("tiketi", stack, raw, secret_keys)


def parse_aws(**extra: object) -> StackConfig:
    return parse_stack_config("tiketi", "prod", aws_config(**extra))
