"""Collector: the AWS Distro for OpenTelemetry collector, for traces and the services' metrics (staging, prod).

Owns the ``observability`` namespace (pod security ``restricted``) and two Deployments of the
ADOT collector image (arm64 and amd64, tag from ``tiketi:observability.adotCollectorVersion``):

- ``adot-collector`` (2 replicas, a PDB, a ClusterIP Service on 9411): receives the Zipkin v2
  spans the Spring services already send (``MANAGEMENT_ZIPKIN_TRACING_ENDPOINT`` points here)
  and exports them to X-Ray: zipkin -> memory_limiter -> batch -> awsxray. No service code
  changes: X-Ray accepts the services' 128-bit W3C/B3 trace ids (PutTraceSegments does not
  validate the timestamp part, and the exporter's skip-timestamp gate is on by default).
- ``adot-metrics`` (1 replica, so no sample is scraped twice): scrapes every pod of the
  workloads namespace annotated ``prometheus.io/scrape`` and writes an allow-list of metrics
  as CloudWatch embedded metric format into ``/aws/containerinsights/<cluster>/prometheus``,
  namespace ``Tiketi/Services``, dimension ``Service``. It discovers pods through a Role in the
  workloads namespace only.

Each has its own IRSA role: the collector may only put trace segments and telemetry records
(X-Ray has no resource-level permissions for them); the scraper may only write log streams of
its one log group. NetworkPolicies on both sides: default deny here; Spring pods may send to
the collector on 9411 and the scraper may reach their ports; both collectors reach AWS through
the VPC endpoints (443 to the VPC CIDR, no internet) and DNS; the scraper also reaches the API
server at the ``kubernetes`` Service's ClusterIP (443), which the VPC CIDR does not cover.

Pods are not on the host network and IMDS answers only one hop (the launch template), so the
exporters get their region from the config, not from IMDS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.base import Component
from components.kubernetes.network_policies import DNS
from components.security import iam
from components.security.irsa import OidcIssuer, irsa_annotations, service_account_role
from components.services import SERVICES

NAMESPACE = "observability"
COLLECTOR = "adot-collector"
SCRAPER = "adot-metrics"
IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector"
ZIPKIN_PORT = 9411
HEALTH_PORT = 13133
UID = 4317  # the image's user "aoc" (aws-otel-collector cmd/awscollector/Dockerfile)
ZIPKIN_ENDPOINT = f"http://{COLLECTOR}.{NAMESPACE}.svc.cluster.local:{ZIPKIN_PORT}/api/v2/spans"
METRICS_NAMESPACE = "Tiketi/Services"
# The allow-list: every metric kept is a CloudWatch custom metric per service (docs/operations.md
# has the cost). Micrometer's Prometheus names, as the Spring services expose them.
METRIC_ALLOW_LIST = ("process_cpu_usage", "jvm_memory_used_bytes", "jvm_threads_live_threads",
                     "hikaricp_connections_active", "hikaricp_connections_pending", "http_server_requests_seconds_max")
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
EMF_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]


@dataclass(frozen=True)
class CollectorArgs:
    region: str
    image_tag: str
    issuer: OidcIssuer
    workloads_namespace: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    api_server_cidr: pulumi.Input[str]  # the `kubernetes` Service's ClusterIP /32 (Cluster.api_server_cidr)
    metrics_log_group_name: pulumi.Input[str]
    metrics_log_group_arn: pulumi.Input[str]
    # The managed node group the pods start on: Pulumi awaits the Deployments (10 minutes), so they wait for
    # nodes like the Helm releases do (deploy-order rule pod-workload-after-its-nodes).
    nodes: pulumi.Resource


def collector_config(region: str) -> dict:
    """The trace pipeline: Zipkin in, X-Ray out."""
    return {
        # The receivers' and health check's default host became localhost: listen on the pod's address.
        "extensions": {"health_check": {"endpoint": f"0.0.0.0:{HEALTH_PORT}"}},
        "receivers": {"zipkin": {"endpoint": f"0.0.0.0:{ZIPKIN_PORT}"}},
        "processors": {"memory_limiter": {"check_interval": "1s", "limit_percentage": 80,
                                          "spike_limit_percentage": 20},
                       "batch/traces": {"timeout": "1s", "send_batch_size": 50}},
        "exporters": {"awsxray": {"region": region,
                                  "indexed_attributes": ["http.method", "http.status_code", "http.route"]}},
        "service": {"extensions": ["health_check"],
                    "pipelines": {"traces": {"receivers": ["zipkin"], "processors": ["memory_limiter", "batch/traces"],
                                             "exporters": ["awsxray"]}}},
    }


def scraper_config(region: str, workloads_namespace: str, log_group_name: str) -> dict:
    """The metrics pipeline: the services' /actuator/prometheus in, CloudWatch EMF (allow-list) out."""
    scrape = {
        "job_name": "tiketi-services",
        "scrape_interval": "60s",
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [workloads_namespace]}}],
        "relabel_configs": [
            {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "action": "keep",
             "regex": "true"},
            {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"], "action": "replace",
             "target_label": "__metrics_path__", "regex": "(.+)"},
            # `$$` is a literal `$` in collector config (its own ${env:...} expansion comes first).
            {"source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
             "action": "replace", "regex": r"([^:]+)(?::\d+)?;(\d+)", "replacement": "$$1:$$2",
             "target_label": "__address__"},
            {"source_labels": ["__meta_kubernetes_pod_label_app"], "target_label": "Service"},
        ],
    }
    return {
        "extensions": {"health_check": {"endpoint": f"0.0.0.0:{HEALTH_PORT}"}},
        "receivers": {"prometheus": {"config": {"scrape_configs": [scrape]}}},
        "processors": {"batch/metrics": {"timeout": "60s"}},
        "exporters": {"awsemf": {
            "region": region, "namespace": METRICS_NAMESPACE, "log_group_name": log_group_name,
            # A fixed name: the exporter fills only {ClusterName}, {TaskId}, {NodeName}, {PodName}, {ServiceName},
            # {ContainerInstanceId} and {TaskDefinitionFamily} (opentelemetry-collector-contrib
            # exporter/awsemfexporter util.go patternKeyToAttributeMap; README log_stream_name) and leaves any
            # other "{...}" as written: "{Service}" was one literal stream. One scraper writes one stream.
            "log_stream_name": scrape["job_name"], "dimension_rollup_option": "NoDimensionRollup",
            "metric_declarations": [
                {"dimensions": [["Service"]], "metric_name_selectors": [f"^{m}$" for m in METRIC_ALLOW_LIST
                                                                        if m != "jvm_memory_used_bytes"]},
                {"dimensions": [["Service"]], "metric_name_selectors": ["^jvm_memory_used_bytes$"],
                 "label_matchers": [{"label_names": ["area"], "regex": "^heap$"}]},
            ]}},
        "service": {"extensions": ["health_check"],
                    "pipelines": {"metrics": {"receivers": ["prometheus"], "processors": ["batch/metrics"],
                                              "exporters": ["awsemf"]}}},
    }


class Collector(Component):
    TYPE = "tiketi:observability:Collector"
    namespace: pulumi.Output[str]
    zipkin_endpoint: str
    collector_role_arn: pulumi.Output[str]
    scraper_role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CollectorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": NAMESPACE, "labels": {"pod-security.kubernetes.io/enforce": "restricted",
                                                    "pod-security.kubernetes.io/audit": "restricted",
                                                    "app.kubernetes.io/part-of": "tiketi"}},
            opts=self._child())
        self._ns = namespace.metadata.name

        collector_role = self._role(COLLECTOR, "ADOT collector: send trace segments to X-Ray",
                                    iam.allow(XRAY_ACTIONS, "*", sid="PutTraces"))
        scraper_role = self._role(SCRAPER, "ADOT metrics: write EMF to its one log group",
                                  iam.allow(EMF_ACTIONS, pulumi.Output.concat(args.metrics_log_group_arn, ":*"),
                                            sid="WriteMetricLogs"))
        self._deployment(COLLECTOR, collector_role, json.dumps(collector_config(args.region)), replicas=2,
                         ports=[ZIPKIN_PORT], api_access=False)
        config = pulumi.Output.all(args.workloads_namespace, args.metrics_log_group_name).apply(
            lambda v: json.dumps(scraper_config(args.region, v[0], v[1])))
        self._deployment(SCRAPER, scraper_role, config, replicas=1, ports=[], api_access=True)
        k8s.core.v1.Service(
            f"{name}-{COLLECTOR}", metadata=self._meta(COLLECTOR),
            spec={"type": "ClusterIP", "selector": {"app": COLLECTOR},
                  "ports": [{"name": "zipkin", "port": ZIPKIN_PORT, "targetPort": "zipkin", "protocol": "TCP"}]},
            opts=self._child())
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-{COLLECTOR}", metadata=self._meta(f"{COLLECTOR}-pdb"),
            spec={"minAvailable": 1, "selector": {"matchLabels": {"app": COLLECTOR}}}, opts=self._child())
        self._discovery()
        self._policies()

        self.namespace = self._ns
        self.zipkin_endpoint = ZIPKIN_ENDPOINT
        self.collector_role_arn, self.scraper_role_arn = collector_role.arn, scraper_role.arn
        self.register_outputs({"namespace": self.namespace, "zipkinEndpoint": self.zipkin_endpoint})

    def _meta(self, name: str, namespace: pulumi.Input[str] | None = None, **extra) -> dict:
        return {"name": name, "namespace": namespace or self._ns,
                "labels": {"app.kubernetes.io/part-of": "tiketi", **extra.get("labels", {})},
                **({"annotations": extra["annotations"]} if "annotations" in extra else {})}

    def _role(self, account: str, description: str, statement: dict) -> aws.iam.Role:
        role = service_account_role(f"{self._name}-{account}", parent=self, issuer=self._args.issuer,
                                    namespace=NAMESPACE, service_account=account, description=description)
        aws.iam.RolePolicy(f"{self._name}-{account}", role=role.id, policy=iam.document(statement),
                           opts=self._child())
        return role

    def _deployment(self, app: str, role: aws.iam.Role, config: pulumi.Input[str], *, replicas: int,
                    ports: Sequence[int], api_access: bool) -> None:
        name, args = f"{self._name}-{app}", self._args
        labels = {"app": app}
        account = k8s.core.v1.ServiceAccount(
            name, metadata=self._meta(app, labels=labels, annotations=irsa_annotations(role.arn)),
            automount_service_account_token=api_access, opts=self._child())
        config_map = k8s.core.v1.ConfigMap(name, metadata=self._meta(f"{app}-config", labels=labels),
                                           data={"config.yaml": config}, opts=self._child())
        health = {"httpGet": {"path": "/", "port": "health"}, "periodSeconds": 10, "timeoutSeconds": 3}
        k8s.apps.v1.Deployment(
            name, metadata=self._meta(app, labels=labels),
            spec={
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
                if replicas > 1 else {"type": "Recreate"},  # one scraper at a time: no sample twice
                "template": {
                    "metadata": {"labels": labels,
                                 # A changed config rolls the pods (the collector reads it only at start).
                                 "annotations": {"tiketi/config-sha256": pulumi.Output.from_input(config).apply(
                                     lambda text: hashlib.sha256(text.encode()).hexdigest()[:16])}},
                    "spec": {
                        "serviceAccountName": app,
                        "automountServiceAccountToken": api_access,
                        "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "containers": [{
                            "name": app,
                            "image": f"{IMAGE}:{args.image_tag}",
                            "args": ["--config=/conf/config.yaml"],
                            "env": [{"name": "AWS_REGION", "value": args.region}],
                            "ports": [{"name": "zipkin", "containerPort": p, "protocol": "TCP"} for p in ports]
                                     + [{"name": "health", "containerPort": HEALTH_PORT, "protocol": "TCP"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                          "limits": {"cpu": "500m", "memory": "512Mi"}},
                            "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID,
                                                "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "privileged": False, "capabilities": {"drop": ["ALL"]},
                                                "seccompProfile": {"type": "RuntimeDefault"}},
                            "readinessProbe": health,
                            "livenessProbe": {**health, "periodSeconds": 20},
                            "volumeMounts": [{"name": "config", "mountPath": "/conf", "readOnly": True}],
                        }],
                        "volumes": [{"name": "config", "configMap": {"name": f"{app}-config"}}],
                        "topologySpreadConstraints": [{
                            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": labels}}],
                    },
                },
            },
            # The IRSA webhook reads the account's role annotation when a pod is admitted.
            opts=self._child(depends_on=[account, config_map, args.nodes]))

    def _discovery(self) -> None:
        """The scraper lists pods in the workloads namespace only (Role, not ClusterRole)."""
        ns = self._args.workloads_namespace
        k8s.rbac.v1.Role(f"{self._name}-{SCRAPER}", metadata=self._meta(SCRAPER, ns),
                         rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
                         opts=self._child())
        k8s.rbac.v1.RoleBinding(
            f"{self._name}-{SCRAPER}", metadata=self._meta(SCRAPER, ns),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SCRAPER},
            subjects=[{"kind": "ServiceAccount", "name": SCRAPER, "namespace": NAMESPACE}], opts=self._child())

    def _policies(self) -> None:
        args = self._args
        in_ns = {"kubernetes.io/metadata.name": NAMESPACE}
        backend_pods = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": args.workloads_namespace}},
                        "podSelector": {"matchLabels": {"tier": "backend"}}}
        service_ports = [{"protocol": "TCP", "port": s.port} for s in SERVICES if s.is_backend]
        aws_apis = {"to": [{"ipBlock": {"cidr": args.vpc_cidr}}], "ports": [{"protocol": "TCP", "port": 443}]}
        # The EKS network policy agent sees the ClusterIP, before kube-proxy's DNAT, so the VPC CIDR does not
        # cover the API server (aws/amazon-network-policy-controller-k8s pkg/resolvers/endpoints.go,
        # getMatchingServiceClusterIPs; aws/aws-network-policy-agent#549).
        api_server = {"to": [{"ipBlock": {"cidr": args.api_server_cidr}}], "ports": [{"protocol": "TCP", "port": 443}]}
        policies = [
            (NAMESPACE, "default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            (NAMESPACE, "allow-spans-into-collector", {
                "podSelector": {"matchLabels": {"app": COLLECTOR}}, "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [backend_pods], "ports": [{"protocol": "TCP", "port": ZIPKIN_PORT}]}],
                "egress": [aws_apis, DNS]}),  # X-Ray through its VPC endpoint
            (NAMESPACE, "allow-scraper", {
                "podSelector": {"matchLabels": {"app": SCRAPER}}, "policyTypes": ["Egress"],
                # The services' ports; pod discovery at the API Service; CloudWatch Logs through the VPC (443).
                "egress": [{"to": [backend_pods], "ports": service_ports}, api_server, aws_apis, DNS]}),
            (args.workloads_namespace, "allow-backend-to-trace-collector", {
                "podSelector": {"matchLabels": {"tier": "backend"}}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"namespaceSelector": {"matchLabels": in_ns},
                                    "podSelector": {"matchLabels": {"app": COLLECTOR}}}],
                            "ports": [{"protocol": "TCP", "port": ZIPKIN_PORT}]}]}),
            (args.workloads_namespace, "allow-metrics-scrape", {
                "podSelector": {"matchLabels": {"tier": "backend"}}, "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": in_ns},
                                       "podSelector": {"matchLabels": {"app": SCRAPER}}}],
                             "ports": service_ports}]}),
        ]
        for namespace, policy, spec in policies:
            k8s.networking.v1.NetworkPolicy(
                f"{self._name}-{policy}",
                metadata=self._meta(policy, self._ns if namespace == NAMESPACE else namespace),
                spec=spec, opts=self._child())
