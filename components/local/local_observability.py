"""LocalObservability: Loki, Promtail and Grafana on the kind stack (spec 1.5, 7); kind only.

Spring services log ``%5p [app,traceId,spanId]``; Promtail (a DaemonSet reading the nodes'
container logs, read-only) ships the namespace's pod logs to Loki with ``app``, ``pod`` and
``namespace`` labels; Grafana (port 3006, NodePort 30006) has Loki provisioned as its
default data source, sign-up disabled and a generated admin password. Traces go to Zipkin
(LocalPlatform), so a traceId found in Loki opens the whole trace in Zipkin.

Promtail reads ``/var/log/pods`` files that are mode 0640 root:root on the node. It runs as
a non-root user with the root *group* only (``runAsGroup: 0``), no capabilities and no
privilege escalation: enough to read, nothing to change. kind's nodes run containerd, which
writes those files in the CRI format (``<time> <stream> <flags> <message>``): the ``cri``
pipeline stage parses them (there is no Docker and no ``/var/lib/docker/containers`` on a kind node).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.base import Component
from components.kubernetes.runtime import secret_data_of
from components.local.manifests import ManifestBuilder, http_probe, resources, security

LOKI_IMAGE = "grafana/loki:2.9.3"
PROMTAIL_IMAGE = "grafana/promtail:2.9.3"
GRAFANA_IMAGE = "grafana/grafana:10.2.3"
GRAFANA_PORT, GRAFANA_NODE_PORT = 3006, 30006
LOKI_HOST = "loki-service"

LOKI_CONFIG = {  # spec 1.5: boltdb-shipper + filesystem, schema v11, 24 h index, replication 1, in-memory ring
    "auth_enabled": False,
    "server": {"http_listen_port": 3100, "grpc_listen_port": 9096},
    "common": {"path_prefix": "/loki", "replication_factor": 1,
               "storage": {"filesystem": {"chunks_directory": "/loki/chunks", "rules_directory": "/loki/rules"}},
               "ring": {"instance_addr": "127.0.0.1", "kvstore": {"store": "inmemory"}}},
    "schema_config": {"configs": [{"from": "2020-10-24", "store": "boltdb-shipper", "object_store": "filesystem",
                                   "schema": "v11", "index": {"prefix": "index_", "period": "24h"}}]},
    "storage_config": {"boltdb_shipper": {"active_index_directory": "/loki/boltdb-shipper-active",
                                          "cache_location": "/loki/boltdb-shipper-cache", "shared_store": "filesystem"},
                       "filesystem": {"directory": "/loki/chunks"}},
    "analytics": {"reporting_enabled": False},
}


def promtail_config(namespace: str) -> dict:
    return {
        "server": {"http_listen_port": 9080, "grpc_listen_port": 0},
        "positions": {"filename": "/run/promtail/positions.yaml"},
        "clients": [{"url": f"http://{LOKI_HOST}:3100/loki/api/v1/push"}],
        "scrape_configs": [{
            "job_name": "kubernetes-pods",
            "pipeline_stages": [{"cri": {}}],
            "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [namespace]}}],
            "relabel_configs": [
                {"source_labels": ["__meta_kubernetes_pod_label_app"], "target_label": "app"},
                {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
                {"source_labels": ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"],
                 "separator": "/", "target_label": "__path__", "replacement": "/var/log/pods/*$1/*.log"},
            ],
        }],
    }


GRAFANA_DATASOURCES = {"apiVersion": 1, "datasources": [
    {"name": "Loki", "type": "loki", "access": "proxy", "url": f"http://{LOKI_HOST}:3100", "isDefault": True}]}


@dataclass(frozen=True)
class LocalObservabilityArgs:
    namespace: pulumi.Input[str]  # the namespace resource's output: everything here waits for it alone
    grafana_admin_password: pulumi.Input[str]


class LocalObservability(Component):
    TYPE = "tiketi:local:LocalObservability"
    def __init__(self, name: str, args: LocalObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        self._k = ManifestBuilder(self, name, args.namespace)
        self._loki()
        self._promtail(args.namespace)
        self._grafana(args)
        self.register_outputs({})

    def _loki(self) -> None:
        k = self._k
        config = k.config_map("loki-config", "loki", {"config.yaml": yaml.safe_dump(LOKI_CONFIG, sort_keys=False)})
        k.pvc("loki-pvc", "loki", "2Gi")
        k.deployment("loki", fs_group=10001, stateful=True, reads=[config], pod_spec={
            "containers": [{
                "name": "loki", "image": LOKI_IMAGE, "args": ["-config.file=/etc/loki/config.yaml"],
                "ports": [{"name": "http", "containerPort": 3100}, {"name": "grpc", "containerPort": 9096}],
                "volumeMounts": [{"name": "config", "mountPath": "/etc/loki", "readOnly": True},
                                 {"name": "data", "mountPath": "/loki"}],
                "readinessProbe": http_probe("/ready", 3100, 15, 10),
                "livenessProbe": http_probe("/ready", 3100, 45, 20),
                "resources": resources("100m", "500m", "256Mi", "512Mi"),
                "securityContext": security(10001),  # the image's loki user
            }],
            "volumes": [{"name": "config", "configMap": {"name": "loki-config"}},
                        {"name": "data", "persistentVolumeClaim": {"claimName": "loki-pvc"}}],
        })
        k.service(LOKI_HOST, "loki", [{"name": "http", "port": 3100, "targetPort": 3100},
                                      {"name": "grpc", "port": 9096, "targetPort": 9096}])

    def _promtail(self, namespace: pulumi.Input[str]) -> None:
        k = self._k
        k8s.core.v1.ServiceAccount(f"{k.prefix}-promtail", metadata=k.meta("promtail", "promtail"), opts=k.opts())
        role = k8s.rbac.v1.ClusterRole(
            f"{k.prefix}-promtail", metadata={"name": "promtail", "labels": {"app": "promtail"}},
            rules=[{"apiGroups": [""], "resources": ["nodes", "services", "endpoints", "pods"],
                    "verbs": ["get", "watch", "list"]}],
            opts=k.opts())
        k8s.rbac.v1.ClusterRoleBinding(
            f"{k.prefix}-promtail", metadata={"name": "promtail", "labels": {"app": "promtail"}},
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": "promtail", "namespace": namespace}],
            opts=k.opts())
        rendered = pulumi.Output.from_input(namespace).apply(
            lambda name: yaml.safe_dump(promtail_config(name), sort_keys=False))
        config = k.config_map("promtail-config", "promtail", {"promtail.yaml": rendered})
        k8s.apps.v1.DaemonSet(
            f"{k.prefix}-promtail", metadata=k.meta("promtail", "promtail"),
            spec={"selector": {"matchLabels": {"app": "promtail"}}, "template": {
                "metadata": {"labels": {"app": "promtail", "tier": "platform"}},
                "spec": {
                    "serviceAccountName": "promtail",
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "promtail", "image": PROMTAIL_IMAGE,
                        "args": ["-config.file=/etc/promtail/promtail.yaml"],
                        "env": [{"name": "HOSTNAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                        "ports": [{"name": "http", "containerPort": 9080}],
                        "volumeMounts": [
                            {"name": "config", "mountPath": "/etc/promtail", "readOnly": True},
                            {"name": "positions", "mountPath": "/run/promtail"},
                            {"name": "varlog", "mountPath": "/var/log", "readOnly": True},
                        ],
                        "readinessProbe": http_probe("/ready", 9080, 10, 10),
                        "livenessProbe": http_probe("/ready", 9080, 30, 20),
                        "resources": resources("50m", "200m", "64Mi", "256Mi"),
                        "securityContext": security(10001, gid=0),  # root group only: read the 0640 log files
                    }],
                    "volumes": [
                        {"name": "config", "configMap": {"name": "promtail-config"}},
                        {"name": "positions", "emptyDir": {}},
                        {"name": "varlog", "hostPath": {"path": "/var/log", "type": "Directory"}},
                    ],
                }}},
            opts=k.opts(depends_on=[config]))

    def _grafana(self, args: LocalObservabilityArgs) -> None:
        k = self._k
        datasources = k.config_map("grafana-datasources", "grafana",
                     {"datasources.yaml": yaml.safe_dump(GRAFANA_DATASOURCES, sort_keys=False)})
        admin = k.secret("grafana-admin", "grafana", secret_data_of(
            {"GF_SECURITY_ADMIN_USER": "admin", "GF_SECURITY_ADMIN_PASSWORD": args.grafana_admin_password}))
        k.pvc("grafana-pvc", "grafana", "1Gi")
        k.deployment("grafana", fs_group=472, stateful=True, reads=[datasources, admin], pod_spec={
            "containers": [{
                "name": "grafana", "image": GRAFANA_IMAGE,
                "ports": [{"name": "http", "containerPort": GRAFANA_PORT}],
                "envFrom": [{"secretRef": {"name": "grafana-admin"}}],
                "env": [{"name": "GF_USERS_ALLOW_SIGN_UP", "value": "false"},
                        {"name": "GF_SERVER_HTTP_PORT", "value": str(GRAFANA_PORT)},
                        {"name": "GF_AUTH_ANONYMOUS_ENABLED", "value": "false"},
                        # The default log mode "console file" writes /var/log/grafana/grafana.log, on
                        # the read-only root filesystem; kubectl logs reads the console.
                        {"name": "GF_LOG_MODE", "value": "console"}],
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/grafana"},
                                 {"name": "datasources", "mountPath": "/etc/grafana/provisioning/datasources",
                                  "readOnly": True},
                                 {"name": "tmp", "mountPath": "/tmp"}],
                "readinessProbe": http_probe("/api/health", GRAFANA_PORT, 10, 10),
                "livenessProbe": http_probe("/api/health", GRAFANA_PORT, 30, 20),
                "resources": resources("100m", "500m", "256Mi", "512Mi"),
                "securityContext": security(472),  # the image's grafana user
            }],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "grafana-pvc"}},
                        {"name": "datasources", "configMap": {"name": "grafana-datasources"}},
                        {"name": "tmp", "emptyDir": {}}],
        })
        k.service("grafana", "grafana", [{"name": "http", "port": GRAFANA_PORT, "targetPort": GRAFANA_PORT,
                                          "nodePort": GRAFANA_NODE_PORT}], node_port=True)
