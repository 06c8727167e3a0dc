"""AWS resource rules: one resource at a time, messages out (an empty list means compliant).

The same rules run in the CrossGuard pack (``policy/__main__.py``, on ``pulumi preview``
and ``up``), in the offline render (``make render``, on the mock engine's registrations)
and in the tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from policy_model import Resource, Rule

# One allow-list for the pack and the program's config check (tiketi:edge.albSslPolicy): a data
# file beside this module, because the pack runs in its own venv and imports its modules top-level.
TLS13_ALB_POLICIES = frozenset(
    json.loads((Path(__file__).resolve().parent / "alb_tls_policies.json").read_text())["policies"])
VIEWER_TLS_MINIMUM = "TLSv1.2_2021"
HTTPS_VIEWER_POLICIES = frozenset({"https-only", "redirect-to-https"})
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})


# --- AWS resource rules -------------------------------------------------------------------------


def alb_https_tls13(r: Resource) -> list[str]:
    if r.props.get("protocol") != "HTTPS":
        return []
    policy = r.props.get("sslPolicy")
    if policy not in TLS13_ALB_POLICIES:
        return [f"HTTPS listener uses {policy!r}; use a TLS 1.3 policy such as ELBSecurityPolicy-TLS13-1-2-2021-06"]
    return []


TLS_LISTENER_PROTOCOLS = frozenset({"HTTPS", "TLS"})


def redirects_to_https(action: Any) -> bool:
    """A listener (rule) action that only sends the client to HTTPS (ALB redirect actions)."""
    return (isinstance(action, Mapping) and action.get("type") == "redirect"
            and str((action.get("redirect") or {}).get("protocol", "")).upper() == "HTTPS")


def listener_speaks_tls(r: Resource) -> list[str]:
    """TLS on every listener; plain HTTP only to redirect to HTTPS (whatever the credential, it never
    crosses a network in the clear). A listener's protocol defaults to HTTP on an ALB."""
    protocol = str(r.props.get("protocol") or "HTTP").upper()
    if protocol in TLS_LISTENER_PROTOCOLS:
        return []
    actions = r.props.get("defaultActions") or []
    if protocol == "HTTP" and actions and all(redirects_to_https(a) for a in actions):
        return []
    port = r.props.get("port")
    port = int(port) if isinstance(port, float) and port.is_integer() else port  # engines send numbers as floats
    return [f"listener on port {port} speaks {protocol} without TLS; use HTTPS (or TLS), or only redirect HTTP to "
            "HTTPS"]


def alb_drops_invalid_headers(r: Resource) -> list[str]:
    if r.props.get("loadBalancerType", "application") != "application":
        return []
    if r.props.get("dropInvalidHeaderFields") is not True:
        return ["application load balancer must set dropInvalidHeaderFields (HTTP request smuggling)"]
    return []


def _is_fallback(tags: Any) -> bool:
    return isinstance(tags, Mapping) and str(tags.get("Fallback", "")).lower() == "true"


def no_open_ingress(r: Resource) -> list[str]:
    if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        cidrs = {r.props.get("cidrIpv4"), r.props.get("cidrIpv6")}
        if cidrs & OPEN_CIDRS and not _is_fallback(r.props.get("tags")):
            return ["ingress from the whole internet; only rules tagged Fallback=true may allow that"]
        return []
    if r.type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if r.props.get("type") == "ingress" and set(r.props.get("cidrBlocks") or []) & OPEN_CIDRS:
            return ["ingress from 0.0.0.0/0 (use a SecurityGroupIngressRule tagged Fallback=true if intended)"]
        return []
    for rule in r.props.get("ingress") or []:  # inline rules of aws:ec2/securityGroup
        if set(rule.get("cidrBlocks") or []) & OPEN_CIDRS or set(rule.get("ipv6CidrBlocks") or []) & OPEN_CIDRS:
            return ["inline ingress from the whole internet"]
    return []


def cloudfront_viewers(r: Resource) -> list[str]:
    problems = []
    behaviors = [r.props.get("defaultCacheBehavior") or {}, *(r.props.get("orderedCacheBehaviors") or [])]
    for behavior in behaviors:
        pattern = behavior.get("pathPattern", "*")
        if behavior.get("viewerProtocolPolicy") not in HTTPS_VIEWER_POLICIES:
            problems.append(f"behaviour {pattern} lets viewers use HTTP ({behavior.get('viewerProtocolPolicy')!r})")
        if not behavior.get("responseHeadersPolicyId"):
            problems.append(f"behaviour {pattern} has no security-headers (response headers) policy")
    certificate = r.props.get("viewerCertificate") or {}
    if certificate.get("minimumProtocolVersion") != VIEWER_TLS_MINIMUM:
        problems.append(f"viewer TLS minimum is {certificate.get('minimumProtocolVersion')!r}, "
                        f"expected {VIEWER_TLS_MINIMUM} (a custom certificate)")
    return problems


def rds_instance_posture(r: Resource) -> list[str]:
    problems = []
    if r.props.get("storageEncrypted") is not True:
        problems.append("storage is not encrypted")
    if r.props.get("publiclyAccessible") is True:
        problems.append("instance is publicly accessible")
    if (r.props.get("backupRetentionPeriod") or 0) < 1:
        problems.append("automated backups are off (backupRetentionPeriod < 1)")
    if r.environment == "prod" and r.props.get("deletionProtection") is not True:
        problems.append("prod database without deletion protection")
    return problems


def rds_proxy_tls(r: Resource) -> list[str]:
    return [] if r.props.get("requireTls") is True else ["RDS Proxy must require TLS"]


def elasticache_posture(r: Resource) -> list[str]:
    problems = []
    if r.props.get("atRestEncryptionEnabled") is not True:
        problems.append("not encrypted at rest")
    if r.props.get("transitEncryptionEnabled") is not True:
        problems.append("not encrypted in transit")
    if not r.props.get("authToken"):
        problems.append("no AUTH token")
    return problems


RESOURCE_RULES: tuple[Rule, ...] = (
    Rule("alb-https-tls13", "ALB HTTPS listeners use an allow-listed TLS 1.3 policy",
         ("aws:lb/listener:Listener", "aws:alb/listener:Listener"), alb_https_tls13),
    Rule("lb-listener-tls", "Load balancer listeners speak TLS; plain HTTP only redirects to HTTPS",
         ("aws:lb/listener:Listener", "aws:alb/listener:Listener"), listener_speaks_tls),
    Rule("alb-drop-invalid-headers", "Application load balancers drop invalid header fields",
         ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"), alb_drops_invalid_headers),
    Rule("sg-no-open-ingress", "No security group admits 0.0.0.0/0 except rules tagged Fallback=true",
         ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule",
          "aws:ec2/securityGroup:SecurityGroup"), no_open_ingress),
    Rule("cloudfront-https-viewers", "CloudFront viewers use HTTPS, TLSv1.2_2021 minimum, security headers",
         ("aws:cloudfront/distribution:Distribution",), cloudfront_viewers),
    Rule("rds-encrypted-private-backed-up", "RDS is encrypted, private, backed up, deletion-protected in prod",
         ("aws:rds/instance:Instance",), rds_instance_posture),
    Rule("rds-proxy-requires-tls", "RDS Proxy requires TLS", ("aws:rds/proxy:Proxy",), rds_proxy_tls),
    Rule("elasticache-encrypted-with-auth", "ElastiCache is encrypted at rest and in transit with an AUTH token",
         ("aws:elasticache/replicationGroup:ReplicationGroup",), elasticache_posture),
)
