"""Queries the AWS tier tests share."""

from __future__ import annotations

from tools.mock_engine import Registration
from tools.snapshot import Snapshot

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def group(snap: Snapshot, role: str) -> Registration:
    """The security group named tiketi-<stack>-<role>."""
    return snap.one(SG, tags={"Name": f"tiketi-{snap.stack}-{role}"})
