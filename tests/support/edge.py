"""Queries the edge tests share: buckets by role, the us-east-1 provider, listeners, validated certificates."""

from __future__ import annotations

from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot


def bucket(snap: Snapshot, role: str) -> Registration:
    return snap.one("aws:s3/bucket:Bucket", bucketPrefix=f"tiketi-{snap.stack}-{role}-")


def attached(snap: Snapshot, type_: str, target: Registration) -> list[Registration]:
    return snap.all(type_, bucket=target.id)


def us_east_1_provider(snap: Snapshot) -> Registration:
    """The Cdn's us-east-1 provider (the observability tier has one of its own for the edge alarms)."""
    [provider] = [p for p in snap.providers("aws") if snap.component_of(p).type == "tiketi:edge:Cdn"]
    assert provider.inputs["region"] == "us-east-1"
    return provider


def balancer(snap: Snapshot, internal: bool) -> Registration:
    return snap.one("aws:lb/loadBalancer:LoadBalancer", internal=internal)


def https_listener(snap: Snapshot, internal: bool) -> Registration:
    return snap.one("aws:lb/listener:Listener", protocol="HTTPS",
                    loadBalancerArn=balancer(snap, internal).outputs["arn"])


def validated_arn(snap: Snapshot, role: str) -> str:
    """The ARN a certificate's CertificateValidation hands on (role: regional | cloudfront)."""
    [validation] = [v for v in snap.all("aws:acm/certificateValidation:CertificateValidation")
                    if v.name == f"certificates-{role}"]
    return validation.inputs["certificateArn"]
