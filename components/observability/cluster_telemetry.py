"""ClusterTelemetry: container logs and Container Insights for the EKS cluster (staging, prod).

Owns the ``amazon-cloudwatch-observability`` EKS add-on (version pinned by
``tiketi:observability.cloudwatchAddonVersion``): the CloudWatch agent DaemonSet (enhanced
Container Insights: node, pod and container CPU/memory, restarts, in the ``ContainerInsights``
namespace) and Fluent Bit (every container's stdout into ``/application``), both on the host
network under the ``amazon-cloudwatch/cloudwatch-agent`` service account, whose IRSA role gets
``CloudWatchAgentServerPolicy``. Also owns the add-on's log groups, created first with the
stack's retention: Fluent Bit and the agent create missing ones with no expiry.

Why the add-on and not Fluent Bit alone: the issue needs Container Insights too, and the add-on
gives both with one role and one pinned version that EKS upgrades. Its agent config is ours
(enhanced Container Insights only): without ``application_signals`` in it the chart turns
Application Signals' auto-monitoring off, which would otherwise inject a Java agent into every
Spring pod and bill per request (helm-charts amazon-cloudwatch-observability _helpers.tpl).
On AL2023 nodes ``/host`` and the journald part of ``/dataplane`` stay mostly empty (AWS:
"dataplane and host logs ... will not be available by default"); they are created anyway,
cheap when empty. ``/prometheus`` receives the services' metrics from the Collector.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.security.irsa import OidcIssuer, service_account_role

ADDON = "amazon-cloudwatch-observability"
AGENT_NAMESPACE, AGENT_SERVICE_ACCOUNT = "amazon-cloudwatch", "cloudwatch-agent"
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-setup-EKS-addon.html
AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
LOG_GROUPS = ("application", "dataplane", "host", "performance", "prometheus")


def addon_configuration() -> dict:
    """The add-on's configuration values (its chart's values): Container Insights and logs, no App Signals."""
    return {
        "agent": {"config": {"logs": {"metrics_collected": {"kubernetes": {"enhanced_container_insights": True}}}}},
        "containerLogs": {"enabled": True},
    }


@dataclass(frozen=True)
class ClusterTelemetryArgs:
    cluster_name: pulumi.Input[str]
    cluster_name_literal: str  # the same name, known now: log group names are built from it
    issuer: OidcIssuer
    node_group: pulumi.Resource  # the add-on's pods need nodes, or the add-on stays DEGRADED
    addon_version: str
    log_retention_days: int


class ClusterTelemetry(Component):
    TYPE = "tiketi:observability:ClusterTelemetry"
    log_group_names: dict[str, pulumi.Output[str]]
    log_group_arns: dict[str, pulumi.Output[str]]
    agent_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterTelemetryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        groups = {
            kind: aws.cloudwatch.LogGroup(
                f"{name}-{kind}", name=f"/aws/containerinsights/{args.cluster_name_literal}/{kind}",
                retention_in_days=args.log_retention_days, opts=self._child())
            for kind in LOG_GROUPS
        }
        role = service_account_role(f"{name}-agent", parent=self, issuer=args.issuer, namespace=AGENT_NAMESPACE,
                                    service_account=AGENT_SERVICE_ACCOUNT,
                                    description="CloudWatch agent and Fluent Bit: Container Insights and logs")
        attachment = aws.iam.RolePolicyAttachment(f"{name}-agent", role=role.name, policy_arn=AGENT_POLICY,
                                                  opts=self._child())
        aws.eks.Addon(
            f"{name}-addon",
            cluster_name=args.cluster_name,
            addon_name=ADDON,
            addon_version=args.addon_version,
            service_account_role_arn=role.arn,
            configuration_values=json.dumps(addon_configuration(), sort_keys=True),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=self._child(depends_on=[*groups.values(), attachment, args.node_group]),
        )
        self.log_group_names = {kind: group.name for kind, group in groups.items()}
        self.log_group_arns = {kind: group.arn for kind, group in groups.items()}
        self.agent_role_arn = role.arn
        self.register_outputs({"logGroups": self.log_group_names, "agentRoleArn": self.agent_role_arn})
