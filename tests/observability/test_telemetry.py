"""ClusterTelemetry and Collector: the add-on, the log groups, the collector pipelines, their roles and policies."""

from __future__ import annotations

import json

import pytest
import yaml

from components.observability.collector import METRIC_ALLOW_LIST, ZIPKIN_ENDPOINT
from tests.support.manifests import containers
from tools.harness.render import kubernetes_objects
from tools.harness.snapshot import Snapshot

ROLE, POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
RETENTION = {"staging": 14, "prod": 30}


def role_by_arn(snap: Snapshot, arn: str):
    [role] = [r for r in snap.all(ROLE) if r.outputs["arn"] == arn]
    return role


def irsa_subject(snap: Snapshot, role) -> tuple[str, str]:
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    oidc = snap.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert statement["Principal"] == {"Federated": oidc.outputs["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    host = oidc.inputs["url"].removeprefix("https://")
    condition = statement["Condition"]["StringEquals"]
    assert condition[f"{host}:aud"] == "sts.amazonaws.com"
    return tuple(condition[f"{host}:sub"].removeprefix("system:serviceaccount:").split(":"))


def observability_objects(snap: Snapshot) -> dict[tuple[str, str, str], dict]:
    def ours(r) -> bool:
        top = snap.component_of(r)
        return top is not None and top.type == "tiketi:observability:Collector"
    return {(m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"]): m
            for _, m in kubernetes_objects(snap, ours)}


# --- the CloudWatch Observability add-on --------------------------------------------------------


def test_the_cloudwatch_addon_is_pinned_and_runs_container_insights_without_app_signals(aws_stack):
    addon = aws_stack.one("aws:eks/addon:Addon", addonName="amazon-cloudwatch-observability")
    assert addon.inputs["addonVersion"] == "v4.10.3-eksbuild.1"
    assert addon.inputs["clusterName"] == aws_stack.one("aws:eks/cluster:Cluster").outputs["name"]
    # No application_signals key anywhere: the chart then turns auto-monitoring (Java agent injection) off.
    assert json.loads(addon.inputs["configurationValues"]) == {
        "agent": {"config": {"logs": {"metrics_collected": {"kubernetes": {"enhanced_container_insights": True}}}}},
        "containerLogs": {"enabled": True}}
    role = role_by_arn(aws_stack, addon.inputs["serviceAccountRoleArn"])
    assert irsa_subject(aws_stack, role) == ("amazon-cloudwatch", "cloudwatch-agent")
    [attachment] = aws_stack.all(ATTACHMENT, role=role.outputs["name"])
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
    assert aws_stack.all(POLICY, role=role.id) == []  # nothing beyond the managed policy


def test_container_insights_log_groups_exist_first_with_the_stack_retention(aws_stack):
    cluster = f"tiketi-{aws_stack.stack}"
    groups = {g.inputs["name"]: g for g in aws_stack.all("aws:cloudwatch/logGroup:LogGroup")
              if g.inputs["name"].startswith("/aws/containerinsights/")}
    assert sorted(groups) == [f"/aws/containerinsights/{cluster}/{kind}"
                              for kind in ("application", "dataplane", "host", "performance", "prometheus")]
    assert {g.inputs["retentionInDays"] for g in groups.values()} == {RETENTION[aws_stack.stack]}
    addon = aws_stack.one("aws:eks/addon:Addon", addonName="amazon-cloudwatch-observability")
    assert {g.urn for g in groups.values()} <= set(addon.all_dependencies)


# --- the ADOT collector: traces --------------------------------------------------------------------


def config_of(snap: Snapshot, app: str) -> dict:
    objects = observability_objects(snap)
    return yaml.safe_load(objects[("ConfigMap", "observability", f"{app}-config")]["data"]["config.yaml"])


def test_the_trace_pipeline_is_zipkin_to_xray(aws_stack):
    config = config_of(aws_stack, "adot-collector")
    assert config["receivers"] == {"zipkin": {"endpoint": "0.0.0.0:9411"}}
    assert config["exporters"] == {"awsxray": {"region": "ap-northeast-2",
                                               "indexed_attributes": ["http.method", "http.status_code",
                                                                      "http.route"]}}
    assert config["service"]["pipelines"] == {"traces": {
        "receivers": ["zipkin"], "processors": ["memory_limiter", "batch/traces"], "exporters": ["awsxray"]}}
    assert config["extensions"] == {"health_check": {"endpoint": "0.0.0.0:13133"}}


def test_the_metrics_pipeline_keeps_only_the_allow_list(aws_stack):
    config = config_of(aws_stack, "adot-metrics")
    assert config["service"]["pipelines"] == {"metrics": {
        "receivers": ["prometheus"], "processors": ["batch/metrics"], "exporters": ["awsemf"]}}
    [scrape] = config["receivers"]["prometheus"]["config"]["scrape_configs"]
    namespace = aws_stack.config("tiketi:workloads")["namespace"]
    assert scrape["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": [namespace]}}]
    assert scrape["relabel_configs"][0] == {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
                                            "action": "keep", "regex": "true"}
    emf = config["exporters"]["awsemf"]
    assert (emf["region"], emf["namespace"], emf["log_group_name"], emf["dimension_rollup_option"]) == (
        "ap-northeast-2", "Tiketi/Services", f"/aws/containerinsights/tiketi-{aws_stack.stack}/prometheus",
        "NoDimensionRollup")
    # A plain name: awsemf substitutes only its own placeholders ({PodName}, {TaskId}, ...), never "{Service}".
    assert emf["log_stream_name"] == "tiketi-services"
    selected = [s for d in emf["metric_declarations"] for s in d["metric_name_selectors"]]
    assert sorted(selected) == sorted(f"^{m}$" for m in METRIC_ALLOW_LIST)
    assert all(d["dimensions"] == [["Service"]] for d in emf["metric_declarations"])


@pytest.mark.parametrize("app,replicas", [("adot-collector", 2), ("adot-metrics", 1)])
def test_collector_deployments_are_pinned_restricted_and_probed(aws_stack, app, replicas):
    deployment = observability_objects(aws_stack)[("Deployment", "observability", app)]
    assert deployment["spec"]["replicas"] == replicas
    pod = deployment["spec"]["template"]["spec"]
    [container] = containers(pod)
    assert container["image"] == "public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0"
    assert container["args"] == ["--config=/conf/config.yaml"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["runAsUser"] == 4317 and pod["securityContext"]["runAsNonRoot"] is True
    assert container["readinessProbe"]["httpGet"] == {"path": "/", "port": "health"}
    assert {p["containerPort"] for p in container["ports"]} == ({9411, 13133} if app == "adot-collector" else {13133})
    assert pod["serviceAccountName"] == app
    namespace = observability_objects(aws_stack)[("Namespace", "", "observability")]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_each_collector_has_its_own_least_privilege_role(aws_stack):
    objects = observability_objects(aws_stack)
    roles = {}
    for app in ("adot-collector", "adot-metrics"):
        account = objects[("ServiceAccount", "observability", app)]
        role = role_by_arn(aws_stack, account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"])
        assert irsa_subject(aws_stack, role) == ("observability", app)
        assert aws_stack.all(ATTACHMENT, role=role.outputs["name"]) == []
        [policy] = aws_stack.all(POLICY, role=role.id)
        roles[app] = json.loads(policy.inputs["policy"])["Statement"]
    assert roles["adot-collector"] == [{"Effect": "Allow", "Action": ["xray:PutTraceSegments",
                                                                      "xray:PutTelemetryRecords"],
                                        "Resource": "*", "Sid": "PutTraces"}]
    group = aws_stack.one("aws:cloudwatch/logGroup:LogGroup",
                          name=f"/aws/containerinsights/tiketi-{aws_stack.stack}/prometheus")
    assert roles["adot-metrics"] == [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents",
                                                                    "logs:DescribeLogStreams"],
                                      "Resource": group.outputs["arn"] + ":*", "Sid": "WriteMetricLogs"}]
    # Pod discovery in the workloads namespace only.
    namespace = aws_stack.config("tiketi:workloads")["namespace"]
    assert objects[("Role", namespace, "adot-metrics")]["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
    assert not [k for k in objects if k[0] in ("ClusterRole", "ClusterRoleBinding")]


def test_the_services_send_their_traces_to_the_collector_at_the_stack_sampling_rate(aws_stack):
    config_map = aws_stack.one("kubernetes:core/v1:ConfigMap", metadata={"name": "spring-config"})
    data = config_map.inputs["data"]
    assert data["MANAGEMENT_ZIPKIN_TRACING_ENDPOINT"] == ZIPKIN_ENDPOINT == (
        "http://adot-collector.observability.svc.cluster.local:9411/api/v2/spans")
    assert data["MANAGEMENT_TRACING_SAMPLING_PROBABILITY"] == {"staging": "1.0", "prod": "0.1"}[aws_stack.stack]
    assert "MANAGEMENT_TRACING_ENABLED" not in data
    service = observability_objects(aws_stack)[("Service", "observability", "adot-collector")]
    assert service["spec"]["ports"] == [{"name": "zipkin", "port": 9411, "targetPort": "zipkin", "protocol": "TCP"}]


def test_network_policies_open_exactly_the_span_and_scrape_paths(prod):
    objects = observability_objects(prod)
    policies = {(ns, name): m["spec"] for (kind, ns, name), m in objects.items() if kind == "NetworkPolicy"}
    backend_in_prod = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "tiketi-prod"}},
                       "podSelector": {"matchLabels": {"tier": "backend"}}}
    collector_ns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}
    vpc_443 = {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    service_ports = [{"protocol": "TCP", "port": p} for p in (3001, 3005, 3002, 3003, 3004, 3007, 3008)]
    assert set(policies) == {("observability", "default-deny-all"), ("observability", "allow-spans-into-collector"),
                             ("observability", "allow-scraper"), ("tiketi-prod", "allow-backend-to-trace-collector"),
                             ("tiketi-prod", "allow-metrics-scrape")}
    assert policies[("observability", "default-deny-all")] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    spans = policies[("observability", "allow-spans-into-collector")]
    assert spans["ingress"] == [{"from": [backend_in_prod], "ports": [{"protocol": "TCP", "port": 9411}]}]
    assert spans["egress"][0] == vpc_443  # X-Ray through its VPC endpoint, never the internet
    # The API server at the `kubernetes` Service's ClusterIP (pod discovery), CloudWatch Logs through the VPC.
    assert policies[("observability", "allow-scraper")]["egress"][:3] == [
        {"to": [backend_in_prod], "ports": service_ports},
        {"to": [{"ipBlock": {"cidr": "172.20.0.1/32"}}], "ports": [{"protocol": "TCP", "port": 443}]}, vpc_443]
    assert policies[("tiketi-prod", "allow-backend-to-trace-collector")]["egress"] == [
        {"to": [{**collector_ns, "podSelector": {"matchLabels": {"app": "adot-collector"}}}],
         "ports": [{"protocol": "TCP", "port": 9411}]}]
    assert policies[("tiketi-prod", "allow-metrics-scrape")]["ingress"] == [
        {"from": [{**collector_ns, "podSelector": {"matchLabels": {"app": "adot-metrics"}}}], "ports": service_ports}]
    endpoint = prod.one("aws:ec2/vpcEndpoint:VpcEndpoint", serviceName="com.amazonaws.ap-northeast-2.xray")
    assert endpoint.inputs["privateDnsEnabled"] is True
