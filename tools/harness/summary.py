"""The render's readable summary: tier -> component -> resources -> key settings.

Tiers and components come in the program's composition order, read from ``__main__.py``
itself (the order its ``build_*`` functions construct components), because registration
order depends on the event loop. Numbers print as integers, byte thresholds in the unit the
config gave them (GiB), references to other resources as ``->name``. ``full`` is what
``summary.txt`` holds (and ``--verbose`` prints); ``short`` is the terminal default.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.harness.inventory import BANNER
from tools.harness.mock_engine import ROOT

# Input keys worth a glance in the summary, per resource type.
KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZone", "tags.Tier"),
    "aws:ec2/route:Route": ("destinationCidrBlock", "gatewayId", "natGatewayId"),
    "aws:ec2/routeTable:RouteTable": ("tags.Tier",),
    "aws:ec2/natGateway:NatGateway": ("subnetId",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId", "prefixListId",
    ),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestinationType", "maxAggregationInterval"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("metricName", "comparisonOperator", "threshold"),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "internal", "dropInvalidHeaderFields"),
    "aws:lb/listener:Listener": ("port", "protocol", "sslPolicy"),
    "aws:lb/targetGroup:TargetGroup": ("port", "protocol", "targetType"),
    "aws:lambda/function:Function": ("name", "runtime", "memorySize", "timeout"),
    "aws:lambda/eventSourceMapping:EventSourceMapping": ("batchSize", "functionResponseTypes"),
    "aws:sqs/queue:Queue": ("name", "visibilityTimeoutSeconds"),
    "aws:rds/instance:Instance": ("identifier", "instanceClass", "engineVersion", "multiAz", "allocatedStorage"),
    "aws:rds/proxy:Proxy": ("name", "requireTls"),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("replicationGroupId", "nodeType", "numCacheClusters"),
    "aws:msk/cluster:Cluster": ("clusterName", "kafkaVersion", "numberOfBrokerNodes"),
    "aws:cloudfront/distribution:Distribution": ("aliases", "priceClass"),
    "aws:wafv2/webAcl:WebAcl": ("name", "scope"),
    "aws:acm/certificate:Certificate": ("domainName", "subjectAlternativeNames", "region"),
    "aws:route53/record:Record": ("name", "type"),
    "aws:route53/zone:Zone": ("name",),
    "aws:lb/listenerRule:ListenerRule": ("priority",),
    "aws:s3/bucket:Bucket": ("bucketPrefix",),
    "aws:eks/cluster:Cluster": ("name", "version"),
    "pulumi:providers:aws": ("region",),
    "aws:eks/nodeGroup:NodeGroup": ("instanceTypes", "capacityType", "scalingConfig"),
    "aws:eks/addon:Addon": ("addonName", "addonVersion"),
    "aws:cloudwatch/dashboard:Dashboard": ("dashboardName",),
    "aws:ecr/repository:Repository": ("name", "imageTagMutability"),
    "aws:secretsmanager/secret:Secret": ("name",),
    "kubernetes:apps/v1:Deployment": ("metadata.name", "spec.replicas"),
    "kubernetes:core/v1:Service": ("metadata.name", "spec.type"),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ("metadata.name",),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ("metadata.name", "spec.minReplicas", "spec.maxReplicas"),
    "kubernetes:policy/v1:PodDisruptionBudget": ("metadata.name", "spec.minAvailable", "spec.maxUnavailable"),
    "kubernetes:helm.sh/v3:Release": ("chart", "version"),
    "kubernetes:karpenter.sh/v1:NodePool": ("metadata.name", "spec.limits.cpu", "spec.limits.memory"),
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": ("metadata.name", "value"),
    "aws:cloudwatch/eventRule:EventRule": ("eventPattern",),
    "aws:eks/accessEntry:AccessEntry": ("type",),
}

GIB = 1024**3
# CloudWatch metrics measured in bytes whose thresholds the config gives in GiB.
BYTE_METRICS = frozenset({"FreeStorageSpace", "FreeableMemory", "SwapUsage", "BytesUsedForCache"})


def gib(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return str(value)
    amount = value / GIB
    return f"{int(amount)} GiB" if amount == int(amount) else f"{amount:.2f} GiB"


# (type, key) -> how to show the value, when the raw number hides the unit the config used.
UNITS: dict[tuple[str, str], Callable[[dict[str, Any], Any], str | None]] = {
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "threshold"):
        lambda inputs, value: gib(value) if inputs.get("metricName") in BYTE_METRICS else None,
}


def shown(entry: dict[str, Any], key: str, value: Any) -> str:
    """A value as a reviewer reads it: integers stay integers, units where the config gave them."""
    unit = UNITS.get((entry["type"], key))
    text = unit(entry["inputs"], value) if unit else None
    if text is not None:
        return text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _lookup(inputs: dict, dotted: str) -> Any:
    value: Any = inputs
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def key_settings(entry: dict[str, Any], names: dict[str, str]) -> str:
    parts = []
    for key in KEY_SETTINGS.get(entry["type"], ()):
        value = _lookup(entry["inputs"], key)
        if value is None:
            continue
        refs = entry.get("dependencies", {}).get(key, [])
        text = f"->{names[refs[0]]}" if len(refs) == 1 and isinstance(value, str) and refs[0] in names \
            else shown(entry, key.split(".")[-1], value)
        parts.append(f"{key.split('.')[-1]}={text}")
    return "  ".join(parts)


def composition_order(program: Path = ROOT / "__main__.py") -> list[str]:
    """Component names in the order ``__main__.py`` constructs them (first string argument of each call)."""
    names: list[str] = []
    for node in sorted(ast.walk(ast.parse(program.read_text())), key=lambda n: (getattr(n, "lineno", 0),
                                                                                 getattr(n, "col_offset", 0))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and node.args[0].value not in names:
            names.append(node.args[0].value)
    return names


def tier_of(component_type: str) -> str:
    parts = component_type.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "tiketi" else "other"


class Layout:
    """The inventory grouped for reading: tier -> top-level component -> its custom resources."""

    def __init__(self, resources: list[dict[str, Any]], order: list[str] | None = None):
        self.by_urn = {e["urn"]: e for e in resources}
        self.names = {e["urn"]: e["name"] for e in resources}
        order = order if order is not None else composition_order()
        rank = {name: index for index, name in enumerate(order)}
        self.components = sorted((e for e in resources if not e["custom"] and not e["parent"]),
                                 key=lambda e: (rank.get(e["name"], len(rank)), e["name"]))
        self.members: dict[str, list[dict[str, Any]]] = {c["urn"]: [] for c in self.components}
        self.stack_level: list[dict[str, Any]] = []
        for entry in sorted(resources, key=lambda e: (e["type"], e["name"])):
            if entry["custom"]:
                top = self.top_component(entry)
                (self.members[top["urn"]] if top else self.stack_level).append(entry)
        self.tiers: dict[str, list[dict[str, Any]]] = {}
        for component in self.components:
            self.tiers.setdefault(tier_of(component["type"]), []).append(component)
        self.resource_count = sum(1 for e in resources if e["custom"])
        self.component_count = sum(1 for e in resources if not e["custom"])

    def top_component(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        current, top = entry, None
        while current.get("parent") in self.by_urn:
            current = self.by_urn[current["parent"]]
            top = current
        return top

    def counts(self) -> str:
        return f"{self.resource_count} resources in {self.component_count} components"


def full(doc: dict[str, Any], order: list[str] | None = None) -> str:
    layout = Layout(doc["resources"], order)
    lines = [f"tiketi/{doc['stack']}: {layout.counts()}", f"NOTE: {BANNER}"]
    for tier, components in layout.tiers.items():
        lines += ["", f"== {tier} =="]
        for component in components:
            members = layout.members[component["urn"]]
            lines.append(f"{component['name']} ({component['type']}): {len(members)} resources")
            for e in members:
                lines.append(f"  {e['type']:<58} {e['name']:<40} {key_settings(e, layout.names)}".rstrip())
    if layout.stack_level:
        lines += ["", "== stack level =="]
        for e in layout.stack_level:
            lines.append(f"  {e['type']:<58} {e['name']:<40} {key_settings(e, layout.names)}".rstrip())
    if doc.get("outputs"):
        lines += ["", "stack outputs"]
        for key, value in sorted(doc["outputs"].items()):
            lines.append(f"  {key} = {json.dumps(value, sort_keys=True)}")
    lines += ["", f"total: {layout.counts()}"]
    return "\n".join(lines) + "\n"


def short(doc: dict[str, Any], order: list[str] | None = None) -> str:
    """One line per tier: its components and how many resources each holds."""
    layout = Layout(doc["resources"], order)
    lines = [f"tiketi/{doc['stack']}: {layout.counts()}", f"NOTE: {BANNER}"]
    for tier, components in layout.tiers.items():
        listed = ", ".join(f"{c['name']} ({len(layout.members[c['urn']])})" for c in components)
        lines.append(f"  {tier:<14} {listed}")
    if layout.stack_level:
        lines.append(f"  {'stack level':<14} {', '.join(e['name'] for e in layout.stack_level)}")
    return "\n".join(lines) + "\n"
