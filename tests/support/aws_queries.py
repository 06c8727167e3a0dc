"""Queries the AWS tier tests share."""

from __future__ import annotations

from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot, unwrap

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def group(snap: Snapshot, role: str) -> Registration:
    """The security group named tiketi-<stack>-<role>."""
    return snap.one(SG, tags={"Name": f"tiketi-{snap.stack}-{role}"})


def random_value(snap: Snapshot, role: str) -> str:
    """The generated value of one of the Secrets component's passwords (secrets-<role>)."""
    [password] = [r for r in snap.all("random:index/randomPassword:RandomPassword") if r.name == f"secrets-{role}"]
    return unwrap(password.outputs["result"])
