"""NetworkPolicies: the spec's zero-trust policy set for the workloads' namespace (spec 1.2).

The spec's five policies, as written there:

1. ``default-deny-all``: every pod, ingress and egress.
2. ``allow-gateway-ingress``: gateway-service accepts TCP 3001 from anywhere (NodePort, ALB).
3. ``allow-frontend-ingress``: frontend accepts TCP 3000.
4. ``allow-internal-communication``: ``tier: backend`` pods accept traffic from ``tier:
   backend`` pods, may send to any pod of the namespace, and may query kube-dns (53 UDP/TCP).
5. ``allow-gateway-to-services``: gateway-service may send to ``tier: backend`` pods and kube-dns.

Not in the spec, but without it default-deny isolates the frontend's egress completely and its
server-side rendering (which fetches through the gateway) fails:

6. ``allow-frontend-to-gateway``: the frontend may resolve names (kube-dns) and reach gateway-service
   on 3001; nothing else.

On AWS the frontend's ingress (3) admits 3000 only from the public subnets
(``load_balancer_cidrs``): the public ALB's nodes live there and, with target type ip, connect
to the pods straight from those addresses (its health checks too); nothing else calls the
frontend. The gateway's (2) likewise admits 3001 only from those subnets (the ALB and its health
checks) and from the frontend's pods (6); without it any pod of any namespace could call the
gateway directly, around CloudFront, WAF and the edge's queue token (review finding 6: every
node and pod shares the EKS cluster security group). Backend pods still reach it through (4).
On kind both stay as the spec has them (NodePorts: the node's address, not an ALB's).
Then what the stack needs and nothing wider (``AwsEgress``):

7. ``allow-backend-to-data-services``: backend pods may reach PostgreSQL (5432: RDS Proxy
   in the app subnets, the instance in the data subnets), Redis (6379, data subnets), Kafka
   (``KafkaEgress``: MSK's SASL/SCRAM listener 9096 in the data subnets, or the ports of an
   external cluster's bootstrap list inside the VPC) and the AWS APIs through the VPC
   endpoints (443 to the VPC CIDR only: no path to the internet).
8. ``allow-internal-alb-to-ticket-service``: ticket-service accepts 3002 from the app
   subnets, where the internal ALB's nodes live.

Additional policies (local observability, for example) come from ``extra``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component

DNS = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
               "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
       "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
BACKEND = {"podSelector": {"matchLabels": {"tier": "backend"}}}


@dataclass(frozen=True)
class KafkaEgress:
    """Where the brokers listen: address blocks and the ports clients use there."""

    cidrs: Sequence[pulumi.Input[str]]
    ports: Sequence[int]


@dataclass(frozen=True)
class AwsEgress:
    vpc_cidr: str
    app_subnet_cidrs: Sequence[str]
    data_subnet_cidrs: Sequence[str]
    kafka: KafkaEgress | None = None


@dataclass(frozen=True)
class NetworkPoliciesArgs:
    namespace: pulumi.Input[str]
    aws: AwsEgress | None = None
    load_balancer_cidrs: Sequence[str] = ()  # where the public ALB connects from; empty: anywhere (the spec)
    extra: Sequence[tuple[str, dict]] = field(default_factory=tuple)  # (name, spec)


def _ip_blocks(cidrs: Sequence[str]) -> list[dict]:
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def _ingress(port: int, sources: Sequence[str], pods: Sequence[dict] = ()) -> list[dict]:
    rule: dict = {"ports": [{"protocol": "TCP", "port": port}]}
    return [{"from": [*_ip_blocks(sources), *pods], **rule} if sources else rule]


def spec_policies(load_balancer_cidrs: Sequence[str] = ()) -> list[tuple[str, dict]]:
    """Policies 1-5 of the spec; the frontend's and the gateway's ingress only from ``load_balancer_cidrs``
    (and, for the gateway, the frontend's pods) when given."""
    frontend_pods = [{"podSelector": {"matchLabels": {"app": "frontend"}}}]
    return [
        ("default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ("allow-gateway-ingress", {"podSelector": {"matchLabels": {"app": "gateway-service"}},
                                   "policyTypes": ["Ingress"],
                                   "ingress": _ingress(3001, load_balancer_cidrs, frontend_pods)}),
        ("allow-frontend-ingress", {"podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Ingress"],
                                    "ingress": _ingress(3000, load_balancer_cidrs)}),
        ("allow-internal-communication", {"podSelector": {"matchLabels": {"tier": "backend"}},
                                          "policyTypes": ["Ingress", "Egress"],
                                          "ingress": [{"from": [BACKEND]}],
                                          "egress": [{"to": [{"podSelector": {}}]}, DNS]}),
        ("allow-gateway-to-services", {"podSelector": {"matchLabels": {"app": "gateway-service"}},
                                       "policyTypes": ["Egress"], "egress": [{"to": [BACKEND]}, DNS]}),
    ]


def frontend_policies() -> list[tuple[str, dict]]:
    """Policy 6: the frontend's only way out is the gateway (and DNS to find it)."""
    gateway = {"podSelector": {"matchLabels": {"app": "gateway-service"}}}
    return [("allow-frontend-to-gateway", {
        "podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [gateway], "ports": [{"protocol": "TCP", "port": 3001}]}, DNS]})]


def aws_policies(aws: AwsEgress) -> list[tuple[str, dict]]:
    """Policies 7-8: the data services and AWS APIs the AWS stacks need, by address and port."""
    kafka = ([{"to": _ip_blocks(aws.kafka.cidrs), "ports": [{"protocol": "TCP", "port": p} for p in aws.kafka.ports]}]
             if aws.kafka else [])
    return [
        ("allow-backend-to-data-services", {
            "podSelector": {"matchLabels": {"tier": "backend"}}, "policyTypes": ["Egress"],
            "egress": [
                {"to": _ip_blocks([*aws.app_subnet_cidrs, *aws.data_subnet_cidrs]),
                 "ports": [{"protocol": "TCP", "port": 5432}]},
                {"to": _ip_blocks(aws.data_subnet_cidrs), "ports": [{"protocol": "TCP", "port": 6379}]},
                *kafka,
                {"to": _ip_blocks([aws.vpc_cidr]), "ports": [{"protocol": "TCP", "port": 443}]},
            ]}),
        ("allow-internal-alb-to-ticket-service", {
            "podSelector": {"matchLabels": {"app": "ticket-service"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": _ip_blocks(aws.app_subnet_cidrs), "ports": [{"protocol": "TCP", "port": 3002}]}]}),
    ]


class NetworkPolicies(Component):
    TYPE = "tiketi:kubernetes:NetworkPolicies"
    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        chosen = (spec_policies(args.load_balancer_cidrs) + frontend_policies()
                  + (aws_policies(args.aws) if args.aws else []) + list(args.extra))
        for policy_name, spec in chosen:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy_name}",
                metadata={"name": policy_name, "namespace": args.namespace,
                          "labels": {"app.kubernetes.io/part-of": "tiketi"}},
                spec=spec, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def local_platform_policies() -> list[tuple[str, dict]]:
    """The kind stack's platform pods under the same default deny: who may talk to them, and how they talk."""
    platform = {"podSelector": {"matchLabels": {"tier": "platform"}}}
    by_app = lambda *apps: {"podSelector": {"matchExpressions": [  # noqa: E731
        {"key": "app", "operator": "In", "values": list(apps)}]}}
    return [
        # Spring services reach PostgreSQL, Dragonfly, Kafka and Zipkin (their own egress is policy 4).
        ("allow-backend-to-platform", {**platform, "policyTypes": ["Ingress"], "ingress": [{"from": [BACKEND]}]}),
        # What a developer opens from the host through the kind NodePorts.
        ("allow-nodeport-tools", {**by_app("postgres-spring", "zipkin-spring", "grafana"),
                                  "policyTypes": ["Ingress"],
                                  "ingress": [{"ports": [{"protocol": "TCP", "port": port}
                                                         for port in (5432, 9411, 3006)]}]}),
        ("allow-logs-into-loki", {**by_app("loki"), "policyTypes": ["Ingress"],
                                  "ingress": [{"from": [by_app("promtail", "grafana")],
                                               "ports": [{"protocol": "TCP", "port": 3100}]}]}),
        ("allow-grafana-to-loki", {**by_app("grafana"), "policyTypes": ["Egress"],
                                   "egress": [{"to": [by_app("loki")], "ports": [{"protocol": "TCP", "port": 3100}]},
                                              DNS]}),
        # Promtail discovers pods through the API server (kind's control-plane node) and pushes to Loki.
        ("allow-promtail", {**by_app("promtail"), "policyTypes": ["Egress"],
                            "egress": [{"to": [by_app("loki")], "ports": [{"protocol": "TCP", "port": 3100}]},
                                       {"ports": [{"protocol": "TCP", "port": port} for port in (443, 6443)]},
                                       DNS]}),
    ]
