"""Pods that talk to the Kubernetes API keep a path to it under their namespace's default-deny egress.

The EKS network policy agent enforces egress on the pod's veth, before kube-proxy's DNAT, so it
sees the ``kubernetes`` Service's ClusterIP, not the control plane's addresses in the VPC
(aws/amazon-network-policy-controller-k8s pkg/resolvers/endpoints.go, getMatchingServiceClusterIPs;
aws/aws-network-policy-agent#549). An ipBlock for the VPC CIDR therefore does not reach the API:
the ClusterIP itself (the Service range's first address) must be allowed on 443.
"""

from __future__ import annotations

import ipaddress
import json

from tools.harness.mock_engine import load_stack_config_file, run_program
from tools.harness.render import kubernetes_objects
from tools.harness.snapshot import Snapshot

# The `kubernetes` Service's ClusterIP per stack: EKS, the first address of the range the cluster reports
# (the fake cloud's 172.20.0.0/16, EKS's choice for a 10.x VPC); kind's default serviceSubnet 10.96.0.0/16.
API_SERVICE_IP = {"prod": "172.20.0.1", "staging": "172.20.0.1", "local": "10.96.0.1"}
# Which pods use the API (a token and RBAC): the scraper's pod discovery on AWS, Promtail's on kind.
API_CLIENTS = {"prod": {("observability", "adot-metrics")}, "staging": {("observability", "adot-metrics")},
               "local": {("tiketi-spring", "promtail")}}


def _workloads(objects: list[dict]) -> list[tuple[str, str, dict, dict]]:
    """(namespace, name, pod labels, pod spec) of every workload object."""
    found = []
    for m in objects:
        template = {"CronJob": lambda s: s["jobTemplate"]["spec"]["template"]}.get(
            m["kind"], lambda s: s["template"])
        if m["kind"] in ("Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob"):
            pod = template(m["spec"])
            found.append((m["metadata"]["namespace"], m["metadata"]["name"], pod["metadata"].get("labels", {}),
                          pod["spec"]))
    return found


def _selects(selector: dict, labels: dict) -> bool:
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", "extend _selects for this operator"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _reaches(rule: dict, ip: ipaddress.IPv4Address) -> bool:
    ports = rule.get("ports")
    if ports and not any(p.get("protocol", "TCP") == "TCP" and p.get("port") == 443 for p in ports):
        return False
    if "to" not in rule:
        return True
    return any("ipBlock" in peer and ip in ipaddress.IPv4Network(peer["ipBlock"]["cidr"])
               and not any(ip in ipaddress.IPv4Network(e) for e in peer["ipBlock"].get("except", []))
               for peer in rule["to"])


def api_clients(snap: Snapshot) -> tuple[dict[str, list[dict]], set[tuple[str, str]]]:
    """Egress policies by default-deny namespace, and the (namespace, workload) pairs that use the API there."""
    objects = [m for _, m in kubernetes_objects(snap)]
    policies: dict[str, list[dict]] = {}
    for m in objects:
        if m["kind"] == "NetworkPolicy" and "Egress" in m["spec"]["policyTypes"]:
            policies.setdefault(m["metadata"]["namespace"], []).append(m["spec"])
    denied = {ns for ns, specs in policies.items()
              if any(s["podSelector"] == {} and not s.get("egress") for s in specs)}
    accounts = {(m["metadata"]["namespace"], m["metadata"]["name"]): m for m in objects
                if m["kind"] == "ServiceAccount"}
    bound = {(s["namespace"], s["name"]) for m in objects if m["kind"] in ("RoleBinding", "ClusterRoleBinding")
             for s in m.get("subjects", []) if s["kind"] == "ServiceAccount"}
    clients = set()
    for namespace, name, _labels, pod in _workloads(objects):
        if namespace not in denied:
            continue
        account = (namespace, pod.get("serviceAccountName", "default"))
        token = pod.get("automountServiceAccountToken",
                        accounts.get(account, {}).get("automountServiceAccountToken", True))
        if token or account in bound:
            clients.add((namespace, name))
    return {ns: policies[ns] for ns in denied}, clients


def test_every_api_client_under_default_deny_may_reach_the_api_service_ip(any_stack):
    ip = ipaddress.IPv4Address(API_SERVICE_IP[any_stack.stack])
    policies, clients = api_clients(any_stack)
    assert clients == API_CLIENTS[any_stack.stack]  # the check below is not vacuous
    objects = [m for _, m in kubernetes_objects(any_stack)]
    workloads = {(ns, name): labels for ns, name, labels, _ in _workloads(objects)}
    for namespace, name in clients:
        labels = workloads[(namespace, name)]
        allowed = [rule for spec in policies[namespace] if _selects(spec["podSelector"], labels)
                   for rule in spec.get("egress", []) if _reaches(rule, ip)]
        assert allowed, f"{namespace}/{name} uses the API but no egress rule reaches {ip}:443"


def test_the_scraper_reaches_exactly_the_api_service_ip_not_the_service_range(aws_stack):
    [policy] = [m["spec"] for _, m in kubernetes_objects(aws_stack)
                if m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == "allow-scraper"]
    assert {"to": [{"ipBlock": {"cidr": "172.20.0.1/32"}}], "ports": [{"protocol": "TCP", "port": 443}]} in (
        policy["egress"])


def test_the_service_range_is_left_to_eks_and_read_back(aws_stack):
    # Optional+Computed+ForceNew: not sending it keeps an existing cluster's range whatever EKS chose; the
    # scraper's policy takes the first address of the range the cluster reports (the fake cloud's 172.20.0.0/16).
    cluster = aws_stack.one("aws:eks/cluster:Cluster")
    assert "kubernetesNetworkConfig" not in cluster.inputs


def test_a_configured_service_range_is_sent_and_its_first_address_allowed():
    raw, _ = load_stack_config_file("staging")
    cluster = {**json.loads(raw["tiketi:cluster"]), "serviceIpv4Cidr": "10.200.0.0/20"}
    snap = Snapshot(run_program("staging", {"tiketi:cluster": json.dumps(cluster)}))
    assert snap.one("aws:eks/cluster:Cluster").inputs["kubernetesNetworkConfig"] == {"serviceIpv4Cidr": "10.200.0.0/20"}
    [policy] = [m["spec"] for _, m in kubernetes_objects(snap)
                if m["kind"] == "NetworkPolicy" and m["metadata"]["name"] == "allow-scraper"]
    assert {"to": [{"ipBlock": {"cidr": "10.200.0.1/32"}}], "ports": [{"protocol": "TCP", "port": 443}]} in (
        policy["egress"])
