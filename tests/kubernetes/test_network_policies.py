"""NetworkPolicies on every stack: the spec's five exactly, and the AWS/local additions no wider than needed."""

from __future__ import annotations

from tests.support.manifests import of_kind

DNS = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
               "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
       "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
SPEC = {
    "default-deny-all": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    "allow-gateway-ingress": {"podSelector": {"matchLabels": {"app": "gateway-service"}}, "policyTypes": ["Ingress"],
                              "ingress": [{"ports": [{"port": 3001, "protocol": "TCP"}]}]},
    "allow-frontend-ingress": {"podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Ingress"],
                               "ingress": [{"ports": [{"port": 3000, "protocol": "TCP"}]}]},
    "allow-internal-communication": {"podSelector": {"matchLabels": {"tier": "backend"}},
                                     "policyTypes": ["Ingress", "Egress"],
                                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": "backend"}}}]}],
                                     "egress": [{"to": [{"podSelector": {}}]}, DNS]},
    "allow-gateway-to-services": {"podSelector": {"matchLabels": {"app": "gateway-service"}},
                                  "policyTypes": ["Egress"],
                                  "egress": [{"to": [{"podSelector": {"matchLabels": {"tier": "backend"}}}]}, DNS]},
}


FRONTEND_TO_GATEWAY = {
    "podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Egress"],
    "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "gateway-service"}}}],
                "ports": [{"port": 3001, "protocol": "TCP"}]}, DNS]}


def specs(snap) -> dict[str, dict]:
    """The workloads' namespace's policies (the database bootstrap's namespace has its own)."""
    namespace = snap.config("tiketi:workloads")["namespace"]
    return {name: m["spec"] for name, m in of_kind(snap, "NetworkPolicy", namespace).items()}


def test_the_spec_policies_on_every_stack(any_stack):
    found = specs(any_stack)
    narrowed = ("allow-frontend-ingress", "allow-gateway-ingress") if any_stack.stack != "local" else ()
    for name, spec in SPEC.items():
        if name not in narrowed:
            assert found[name] == spec, name
    namespace = any_stack.config("tiketi:workloads")["namespace"]
    namespaces = {m["metadata"]["namespace"] for m in of_kind(any_stack, "NetworkPolicy", namespace).values()}
    assert namespaces == {namespace}


def test_on_aws_the_frontend_admits_only_the_public_albs_subnets(aws_stack):
    """The spec admits 3000 from anywhere; on AWS only the public subnets send to the frontend: the ALB's nodes
    (target type ip: the ALB connects to the pod addresses directly, health checks included)."""
    found = specs(aws_stack)
    cidrs = sorted(s.inputs["cidrBlock"] for s in aws_stack.all("aws:ec2/subnet:Subnet", tags={"Tier": "public"}))
    assert len(cidrs) == len(aws_stack.outputs["publicSubnetIds"])
    assert found["allow-frontend-ingress"] == {
        "podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": c}} for c in cidrs], "ports": [{"port": 3000, "protocol": "TCP"}]}]}
    # No other policy admits anything to the frontend's pods.
    assert [n for n, p in found.items() if "Ingress" in p["policyTypes"]
            and p["podSelector"] in ({}, {"matchLabels": {"app": "frontend"}}) and p.get("ingress")] == [
        "allow-frontend-ingress"]


def test_prod_adds_only_the_data_services_and_aws_apis(prod):
    found = specs(prod)
    assert set(found) - set(SPEC) == {"allow-frontend-to-gateway", "allow-backend-to-data-services",
                                      "allow-internal-alb-to-ticket-service"}
    egress = found["allow-backend-to-data-services"]["egress"]
    app = ["10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"]
    data = ["10.0.64.0/24", "10.0.65.0/24", "10.0.66.0/24"]
    blocks = lambda cidrs: [{"ipBlock": {"cidr": c}} for c in cidrs]  # noqa: E731
    assert egress == [
        {"to": blocks(app + data), "ports": [{"port": 5432, "protocol": "TCP"}]},
        {"to": blocks(data), "ports": [{"port": 6379, "protocol": "TCP"}]},
        # MSK's SASL/SCRAM listener only, to the data subnets where its brokers' interfaces are
        {"to": blocks(data), "ports": [{"port": 9096, "protocol": "TCP"}]},
        {"to": blocks(["10.0.0.0/16"]), "ports": [{"port": 443, "protocol": "TCP"}]},
    ]
    # nothing wider: no egress rule reaches outside the VPC
    for policy in found.values():
        for rule in policy.get("egress", []):
            for peer in rule.get("to", []):
                assert peer.get("ipBlock", {}).get("cidr", "10.") .startswith("10."), peer
    assert found["allow-internal-alb-to-ticket-service"] == {
        "podSelector": {"matchLabels": {"app": "ticket-service"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": blocks(app), "ports": [{"port": 3002, "protocol": "TCP"}]}]}


def test_local_adds_the_platform_paths(local):
    found = specs(local)
    assert set(found) - set(SPEC) == {"allow-frontend-to-gateway", "allow-backend-to-platform", "allow-nodeport-tools",
                                      "allow-logs-into-loki", "allow-grafana-to-loki", "allow-promtail"}
    assert not any(n.startswith("allow-backend-to-data") for n in found)
    assert found["allow-backend-to-platform"]["ingress"] == [
        {"from": [{"podSelector": {"matchLabels": {"tier": "backend"}}}]}]


def test_the_frontend_may_resolve_names_and_reach_the_gateway_and_nothing_else(any_stack):
    # Without this policy default-deny leaves the frontend no egress at all: server-side
    # rendering cannot resolve or reach the gateway.
    found = specs(any_stack)
    assert found["allow-frontend-to-gateway"] == FRONTEND_TO_GATEWAY
    frontend_egress = {name: p.get("egress") for name, p in found.items() if "Egress" in p["policyTypes"]
                       and p["podSelector"] in ({}, {"matchLabels": {"app": "frontend"}})}
    assert frontend_egress == {"default-deny-all": None, "allow-frontend-to-gateway": FRONTEND_TO_GATEWAY["egress"]}
    [gateway_ingress] = found["allow-gateway-ingress"]["ingress"]
    # admits the frontend's pods: by name on AWS, as everyone on kind (no `from`)
    assert "from" not in gateway_ingress or {"podSelector": {"matchLabels": {"app": "frontend"}}} in gateway_ingress[
        "from"]


def test_on_aws_the_gateway_admits_only_the_public_albs_subnets_and_the_frontend(aws_stack):
    """Review finding 6: every node and pod shares the EKS cluster security group, so only this policy keeps
    other pods (any namespace) from calling the gateway around CloudFront, WAF and the edge's queue token."""
    cidrs = sorted(s.inputs["cidrBlock"] for s in aws_stack.all("aws:ec2/subnet:Subnet", tags={"Tier": "public"}))
    first = {"prod": "10.0.0.0/24", "staging": "10.1.0.0/24"}[aws_stack.stack]
    assert len(cidrs) == len(aws_stack.outputs["publicSubnetIds"]) and cidrs[0] == first
    found = specs(aws_stack)
    assert found["allow-gateway-ingress"] == {
        "podSelector": {"matchLabels": {"app": "gateway-service"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [*({"ipBlock": {"cidr": c}} for c in cidrs),
                              {"podSelector": {"matchLabels": {"app": "frontend"}}}],
                     "ports": [{"port": 3001, "protocol": "TCP"}]}]}
    # No rule admits the gateway from everywhere: each ingress rule towards it names its sources.
    gateway = [p for p in found.values() if "Ingress" in p["policyTypes"]
               and p["podSelector"] in ({}, {"matchLabels": {"app": "gateway-service"}},
                                        {"matchLabels": {"tier": "backend"}})]
    assert all(rule.get("from") for p in gateway for rule in p.get("ingress", []))


def test_on_kind_the_gateway_keeps_the_specs_open_ingress(local):
    # The NodePort reaches the pod from the node's address: the spec's rule, unchanged.
    assert specs(local)["allow-gateway-ingress"]["ingress"] == [{"ports": [{"port": 3001, "protocol": "TCP"}]}]


def test_vpc_cni_enforces_network_policies(aws_stack):
    import json

    addon = aws_stack.one("aws:eks/addon:Addon", addonName="vpc-cni")
    assert json.loads(addon.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
