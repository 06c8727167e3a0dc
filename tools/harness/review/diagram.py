"""The stack's architecture, derived from its registrations: components as groups, traffic as edges.

Nothing is hand-drawn. Nodes are the resources that carry traffic (``NODE_TYPES``; many of
a kind in one component become one "N x" node). Edges come from:

- security-group ingress rules: the resources that *use* the source group (or the CloudFront
  prefix list, or 0.0.0.0/0) -> the resources that use the target group, labelled with the port.
  EKS pods use their nodes' groups (this program has no security groups for pods), so a rule
  admitting the node group's security group is drawn from the Kubernetes workloads;
- references: a queue's event source mapping (queue -> function), a redrive policy (queue ->
  dead-letter queue), a TargetGroupBinding (its load balancer -> the Service's Deployment),
  CloudFront origins and logging (distribution -> bucket), WAF and edge functions on a
  distribution, NodePort Services (host -> Deployment);
- NetworkPolicies: pods one policy lets a single app reach (or be reached by); many-to-many
  policies between two components become one component-to-component edge.

``drawing.py`` turns the model into SVG and Mermaid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.harness.review.drawing import mermaid, svg  # noqa: F401 - re-exported for render.py
from tools.harness.summary import Layout, tier_of

# type -> node label (a function of the entry) and whether many in one component merge.
NODE_TYPES: dict[str, tuple[str, bool]] = {
    "aws:cloudfront/distribution:Distribution": ("CloudFront", False),
    "aws:wafv2/webAcl:WebAcl": ("WAF", False),
    "aws:lambda/function:Function": ("Lambda", False),
    "aws:lb/loadBalancer:LoadBalancer": ("ALB", False),
    "aws:rds/instance:Instance": ("RDS PostgreSQL", False),
    "aws:rds/proxy:Proxy": ("RDS Proxy", False),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("ElastiCache", False),
    "aws:msk/cluster:Cluster": ("MSK", False),
    "aws:msk/serverlessCluster:ServerlessCluster": ("MSK Serverless", False),
    "aws:sqs/queue:Queue": ("SQS", False),
    "aws:s3/bucket:Bucket": ("S3", False),
    "aws:eks/cluster:Cluster": ("EKS", False),
    "aws:eks/nodeGroup:NodeGroup": ("node group", False),
    "aws:ec2/vpc:Vpc": ("VPC", False),
    "aws:ec2/natGateway:NatGateway": ("NAT gateway", True),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("VPC endpoint", True),
    "aws:sns/topic:Topic": ("SNS", False),
    "aws:secretsmanager/secret:Secret": ("secret", True),
    "aws:ecr/repository:Repository": ("ECR repository", True),
    "aws:ec2/securityGroup:SecurityGroup": ("security group", True),
    "kubernetes:helm.sh/v3:Release": ("Helm", False),
    "kubernetes:apps/v1:Deployment": ("", False),
    "kubernetes:apps/v1:StatefulSet": ("", False),
    "kubernetes:apps/v1:DaemonSet": ("", False),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ("NetworkPolicy", True),
    "kubernetes:core/v1:Secret": ("Secret", True),
}
# Types that only stand in for their component when it has nothing else to show.
FALLBACK_ONLY = {"aws:ec2/securityGroup:SecurityGroup", "kubernetes:core/v1:Secret"}
WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet")
INGRESS = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule")
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
EXTERNAL = "external"


@dataclass
class Node:
    id: str
    label: str
    group: str  # group id, or EXTERNAL
    urns: list[str] = field(default_factory=list)


@dataclass
class Group:
    id: str
    label: str
    tier: str
    nodes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Edge:
    source: str  # node or group id
    target: str
    label: str = ""
    dashed: bool = False


@dataclass
class Model:
    stack: str
    groups: dict[str, Group]
    nodes: dict[str, Node]
    edges: list[Edge]

    def edge_pairs(self) -> set[tuple[str, str]]:
        return {(e.source, e.target) for e in self.edges}

    def label_of(self, ident: str) -> str:
        return self.nodes[ident].label if ident in self.nodes else self.groups[ident].label.split(" ")[0]


def ident(prefix: str, text: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9]", "_", text)


def _node_label(entry: dict[str, Any], base: str) -> str:
    inputs = entry["inputs"]
    if entry["type"] in WORKLOADS:
        return (inputs.get("metadata") or {}).get("name", entry["name"])
    if entry["type"] == "aws:lb/loadBalancer:LoadBalancer":
        return "internal ALB" if inputs.get("internal") else "ALB"
    if entry["type"] == "aws:sqs/queue:Queue":
        return "SQS DLQ" if not inputs.get("redrivePolicy") and "dlq" in entry["name"] else "SQS FIFO queue"
    if entry["type"] == "aws:lambda/function:Function":
        return f"λ {inputs.get('name', entry['name'])}"
    if entry["type"] == "kubernetes:helm.sh/v3:Release":
        return f"Helm {inputs.get('chart', entry['name'])}"
    if entry["type"] == "aws:rds/instance:Instance":
        return f"RDS PostgreSQL {inputs.get('instanceClass', '')}".strip()
    if entry["type"] == "aws:elasticache/replicationGroup:ReplicationGroup":
        return f"ElastiCache {inputs.get('engine', '')} {inputs.get('nodeType', '')}".replace("  ", " ").strip()
    return base


class Builder:
    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.resources = doc["resources"]
        self.by_urn = {e["urn"]: e for e in self.resources}
        self.layout = Layout(self.resources)
        self.groups: dict[str, Group] = {}
        self.nodes: dict[str, Node] = {}
        self.node_of: dict[str, str] = {}  # resource URN -> node id
        self.group_of_urn: dict[str, str] = {}
        self.edges: dict[tuple[str, str, bool], set[str]] = {}
        self.dependents: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for e in self.resources:
            for prop, urns in e.get("dependencies", {}).items():
                for urn in urns:
                    self.dependents.setdefault(urn, []).append((prop, e))

    # --- nodes and groups -------------------------------------------------------------------

    def build_nodes(self) -> None:
        for component in self.layout.components:
            gid = ident("g_", component["name"])
            self.groups[gid] = Group(gid, f"{component['name']} · {component['type']}",
                                             tier_of(component["type"]))
            members = self.layout.members[component["urn"]]
            for e in members:
                self.group_of_urn[e["urn"]] = gid
            shown = [e for e in members if e["type"] in NODE_TYPES and e["type"] not in FALLBACK_ONLY]
            if not shown:
                shown = [e for e in members if e["type"] in FALLBACK_ONLY]
            if not shown and members:
                # Nothing that carries traffic (a queue policy, say): one node naming what it holds.
                kinds = sorted({e["type"].split(":")[-1] for e in members})
                self._add_node(ident("n_", component["name"]), " + ".join(kinds), gid, members)
            merged: dict[str, list[dict[str, Any]]] = {}
            for e in shown:
                base, merge = NODE_TYPES[e["type"]]
                if merge:
                    merged.setdefault(e["type"], []).append(e)
                else:
                    self._add_node(ident("n_", f"{component['name']}_{e['name']}"), _node_label(e, base), gid, [e])
            for type_, entries in merged.items():
                base = NODE_TYPES[type_][0]
                label = base if len(entries) == 1 else f"{len(entries)} × {base}"
                self._add_node(ident("n_", f"{component['name']}_{type_.split(':')[-1]}"), label, gid, entries)

    def _add_node(self, nid: str, label: str, gid: str, entries: list[dict[str, Any]]) -> None:
        self.nodes[nid] = Node(nid, label, gid, [e["urn"] for e in entries])
        self.groups[gid].nodes.append(nid)
        for e in entries:
            self.node_of[e["urn"]] = nid

    def external(self, key: str, label: str) -> str:
        nid = ident("x_", key)
        self.nodes.setdefault(nid, Node(nid, label, EXTERNAL))
        return nid

    def edge(self, source: str, target: str, label: str = "", dashed: bool = False) -> None:
        if source != target:
            self.edges.setdefault((source, target, dashed), set()).update([label] if label else [])

    # --- security groups -------------------------------------------------------------------

    def users_of(self, sg_urn: str) -> list[str]:
        """Node (or group) ids of what runs inside a security group."""
        found: list[str] = []
        for prop, e in self.dependents.get(sg_urn, []):
            if e["type"] in INGRESS or e["type"].startswith("aws:vpc/securityGroupEgressRule") \
                    or prop in ("vpcId",):
                continue
            found += self._carriers(e, depth=0)
        return sorted(set(found))

    def _carriers(self, e: dict[str, Any], depth: int) -> list[str]:
        if e["type"] == "aws:eks/nodeGroup:NodeGroup":
            return self.workload_groups_on(e) or [self.node_of.get(e["urn"], "")]
        if e["urn"] in self.node_of and e["type"] not in FALLBACK_ONLY:
            return [self.node_of[e["urn"]]]
        if depth > 2:
            return []
        # A launch template (or similar) carries nothing itself: whatever uses it does.
        return [c for _, d in self.dependents.get(e["urn"], []) for c in self._carriers(d, depth + 1)]

    def workload_groups_on(self, node_group: dict[str, Any]) -> list[str]:
        """The groups of Kubernetes workloads that run on this node group's cluster."""
        clusters = set(node_group.get("dependencies", {}).get("clusterName", []))
        providers = {e["urn"] for urn in clusters for _, e in self.dependents.get(urn, [])
                     if e["type"] == "pulumi:providers:kubernetes"}
        return sorted({self.group_of_urn[e["urn"]] for e in self.resources
                       if e["type"] in WORKLOADS and e.get("provider") in providers and e["urn"] in self.group_of_urn})

    def prefix_list_name(self, prefix_list_id: str) -> str:
        for invoke in self.doc.get("invokes", []):
            if invoke.get("result", {}).get("id") == prefix_list_id:
                return invoke["result"].get("name", prefix_list_id)
        return prefix_list_id

    def security_group_edges(self) -> None:
        vpc_cidrs = {e["inputs"].get("cidrBlock") for e in self.resources if e["type"] == "aws:ec2/vpc:Vpc"}
        distributions = [self.node_of[e["urn"]] for e in self.resources
                         if e["type"] == "aws:cloudfront/distribution:Distribution" and e["urn"] in self.node_of]
        for rule in self.resources:
            if rule["type"] not in INGRESS or rule["inputs"].get("type", "ingress") != "ingress":
                continue
            deps, inputs = rule.get("dependencies", {}), rule["inputs"]
            targets = [u for urn in deps.get("securityGroupId", []) for u in self.users_of(urn)]
            if "referencedSecurityGroupId" in deps or "sourceSecurityGroupId" in deps:
                refs = deps.get("referencedSecurityGroupId", []) + deps.get("sourceSecurityGroupId", [])
                sources = [u for urn in refs for u in self.users_of(urn)]
            elif inputs.get("prefixListId"):
                name = self.prefix_list_name(inputs["prefixListId"])
                sources = distributions if "cloudfront" in name else [self.external(name, f"prefix list {name}")]
            elif inputs.get("cidrIpv4") in ("0.0.0.0/0",) or (inputs.get("cidrIpv4") and
                                                               inputs["cidrIpv4"] not in vpc_cidrs):
                cidr = inputs["cidrIpv4"]
                sources = [self.external("internet", "internet")] if cidr == "0.0.0.0/0" \
                    else [self.external(cidr, f"clients {cidr}")]
            else:
                continue  # "anything in the VPC": no single source to draw
            port = inputs.get("fromPort")
            label = f"{port}" if port == inputs.get("toPort") else f"{port}-{inputs.get('toPort')}"
            for source in sources:
                for target in targets:
                    self.edge(source, target, label)

    # --- references --------------------------------------------------------------------------

    def reference_edges(self) -> None:
        for e in self.resources:
            node = self.node_of.get(e["urn"])
            nodes = lambda prop, e=e: [self.node_of[u] for u in e.get("dependencies", {}).get(prop, [])  # noqa: E731
                                       if u in self.node_of]
            if e["type"] == "aws:lambda/eventSourceMapping:EventSourceMapping":
                for queue in nodes("eventSourceArn"):
                    for function in nodes("functionName"):
                        self.edge(queue, function, "poll")
            elif e["type"] == "aws:sqs/queue:Queue" and node:
                for dlq in nodes("redrivePolicy"):
                    self.edge(node, dlq, "dead letters", dashed=True)
            elif e["type"] == "aws:cloudfront/distribution:Distribution" and node:
                self.edge(self.external("viewers", "viewers"), node, "443")
                for bucket in nodes("origins"):
                    self.edge(node, bucket, "origin")
                for bucket in nodes("loggingConfig"):
                    self.edge(node, bucket, "access logs", dashed=True)
                for acl in nodes("webAclId"):
                    self.edge(acl, node, "filters", dashed=True)
                for function in nodes("defaultCacheBehavior") + nodes("orderedCacheBehaviors"):
                    if self.by_urn[self.nodes[function].urns[0]]["type"] == "aws:lambda/function:Function":
                        self.edge(function, node, "viewer request", dashed=True)
            elif e["type"] == "aws:lb/loadBalancer:LoadBalancer" and node:
                for bucket in nodes("accessLogs"):
                    self.edge(node, bucket, "access logs", dashed=True)
            elif e["type"] == "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding":
                self._binding_edge(e)
            elif e["type"] == "kubernetes:core/v1:Service" and \
                    (e["inputs"].get("spec") or {}).get("type") == "NodePort":
                for target in self.pods_matching(e["inputs"]["spec"].get("selector") or {}, e):
                    ports = [str(p.get("nodePort")) for p in e["inputs"]["spec"].get("ports", []) if p.get("nodePort")]
                    self.edge(self.external("host", "host (kind NodePorts)"), target, ",".join(ports))

    def _binding_edge(self, binding: dict[str, Any]) -> None:
        spec = binding["inputs"].get("spec") or {}
        service = (spec.get("serviceRef") or {}).get("name")
        targets = [self.node_of[e["urn"]] for e in self.resources if e["type"] in WORKLOADS
                   and (e["inputs"].get("metadata") or {}).get("name") == service and e["urn"] in self.node_of
                   and self.same_namespace(e, binding)]
        for tg in binding.get("dependencies", {}).get("spec", []):
            if self.by_urn.get(tg, {}).get("type") != TARGET_GROUP:
                continue
            for balancer in self.balancers_of(tg):
                for target in targets:
                    port = (spec.get("serviceRef") or {}).get("port", "")
                    self.edge(balancer, target, f"{port}")

    def balancers_of(self, tg_urn: str) -> list[str]:
        found = []
        for _, user in self.dependents.get(tg_urn, []):
            listeners = [user] if user["type"] == "aws:lb/listener:Listener" else \
                [self.by_urn[u] for u in user.get("dependencies", {}).get("listenerArn", []) if u in self.by_urn]
            for listener in listeners:
                found += [self.node_of[u] for u in listener.get("dependencies", {}).get("loadBalancerArn", [])
                          if u in self.node_of]
        return sorted(set(found))

    # --- network policies -----------------------------------------------------------------------

    @staticmethod
    def same_namespace(a: dict[str, Any], b: dict[str, Any]) -> bool:
        namespace = lambda e: (e["inputs"].get("metadata") or {}).get("namespace")  # noqa: E731
        return namespace(a) == namespace(b) or not namespace(a) or not namespace(b)

    def pods_matching(self, selector: dict[str, Any], near: dict[str, Any]) -> list[str]:
        labels = selector.get("matchLabels", selector if "matchExpressions" not in selector else {})
        expressions = selector.get("matchExpressions", [])
        found = []
        for e in self.resources:
            if e["type"] not in WORKLOADS or e["urn"] not in self.node_of or not self.same_namespace(e, near):
                continue
            pod = (((e["inputs"].get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            if all(pod.get(k) == v for k, v in labels.items()) and all(
                    (pod.get(x["key"]) in x.get("values", [])) == (x.get("operator") == "In") for x in expressions):
                found.append(self.node_of[e["urn"]])
        return sorted(set(found))

    def policy_edges(self) -> None:
        for policy in self.resources:
            if policy["type"] != "kubernetes:networking.k8s.io/v1:NetworkPolicy":
                continue
            spec = policy["inputs"].get("spec") or {}
            selected = self.pods_matching(spec.get("podSelector") or {}, policy) if spec.get("podSelector") else []
            for rule in spec.get("ingress") or []:
                for peer in rule.get("from") or []:
                    if peer.get("podSelector"):
                        self._pods_edge(self.pods_matching(peer["podSelector"], policy), selected, rule)
            for rule in spec.get("egress") or []:
                for peer in rule.get("to") or []:
                    if "podSelector" in peer and peer["podSelector"] and "namespaceSelector" not in peer:
                        self._pods_edge(selected, self.pods_matching(peer["podSelector"], policy), rule)

    def _pods_edge(self, sources: list[str], targets: list[str], rule: dict[str, Any]) -> None:
        label = ",".join(str(p.get("port")) for p in rule.get("ports") or [] if p.get("port"))
        if len(sources) == 1 or len(targets) == 1:
            for source in sources:
                for target in targets:
                    self.edge(source, target, label)
            return
        # Many pods to many pods: one edge per pair of components (pods talking inside their own
        # component are left out, or a tier that may talk to itself would fill the picture).
        for source_group in sorted({self.nodes[s].group for s in sources}):
            for target_group in sorted({self.nodes[t].group for t in targets} - {source_group}):
                self.edge(source_group, target_group, label)

    def model(self) -> Model:
        # An edge into a whole group says less than one into a node of it from the same source
        # (a security-group rule admits every pod; a TargetGroupBinding names the one that serves).
        specific = {(s, self.nodes[t].group) for s, t, _ in self.edges if t in self.nodes}
        edges = [Edge(s, t, ",".join(sorted(labels, key=lambda x: (len(x), x))), dashed)
                 for (s, t, dashed), labels in sorted(self.edges.items()) if (s, t) not in specific]
        return Model(self.doc.get("stack", ""), self.groups, self.nodes, edges)


def build(doc: dict[str, Any]) -> Model:
    builder = Builder(doc)
    builder.build_nodes()
    builder.security_group_edges()
    builder.reference_edges()
    builder.policy_edges()
    return builder.model()
