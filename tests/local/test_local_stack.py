"""The kind stack (spec 1.4-1.5, 7, appendix local column), value by value on the local snapshot."""

from __future__ import annotations

import base64

import yaml

from tests.support.manifests import manifest, of_kind
from tools.harness.snapshot import unwrap

SERVICES = ["gateway-service", "auth-service", "ticket-service", "payment-service", "stats-service", "queue-service",
            "community-service", "frontend"]


def pod(local, kind: str, name: str) -> dict:
    return manifest(local, kind, name)["spec"]["template"]["spec"]


def only_container(local, kind: str, name: str) -> dict:
    [container] = pod(local, kind, name)["containers"]
    return container


def test_provider_targets_the_kind_context(local):
    [provider] = local.providers("kubernetes")
    assert provider.inputs["context"] == "kind-tiketi"
    assert all(r.provider == f"{provider.urn}::{provider.id}" for r in local.registrations
               if r.type.startswith("kubernetes:") and r.custom)


def test_local_registers_no_aws_and_the_aws_stacks_no_local_platform(local, staging, prod):
    assert not any(r.type.startswith(("aws:", "pulumi:providers:aws")) for r in local.registrations)
    for snap in (staging, prod):
        assert not any(r.type.startswith("tiketi:local:") for r in snap.registrations)
        assert not set(of_kind(snap, "Deployment")) & {"postgres-spring", "dragonfly-spring", "kafka-spring",
                                                       "zipkin-spring", "loki", "grafana"}
        assert of_kind(snap, "PersistentVolumeClaim") == {} and of_kind(snap, "DaemonSet") == {}


def test_workloads_run_one_replica_of_the_local_images(local):
    for service in SERVICES:
        deployment = manifest(local, "Deployment", service)
        assert deployment["spec"]["replicas"] == 1
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"tiketi-spring-{service}:local"
    assert of_kind(local, "HorizontalPodAutoscaler") == {} and of_kind(local, "PodDisruptionBudget") == {}


def test_gateway_and_frontend_are_node_ports(local):
    assert manifest(local, "Service", "gateway-service")["spec"]["type"] == "NodePort"
    assert manifest(local, "Service", "gateway-service")["spec"]["ports"][0]["nodePort"] == 30001
    assert manifest(local, "Service", "frontend")["spec"]["ports"][0]["nodePort"] == 30000
    assert manifest(local, "Service", "ticket-service")["spec"]["type"] == "ClusterIP"


def test_spring_kind_config_and_the_services_secrets(local):
    data = manifest(local, "ConfigMap", "spring-kind-config")["data"]
    assert data["AUTH_DB_URL"] == "jdbc:postgresql://postgres-spring:5432/auth_db"
    assert (data["SPRING_DATA_REDIS_HOST"], data["SPRING_DATA_REDIS_SSL_ENABLED"]) == ("dragonfly-spring", "false")
    assert data["SPRING_KAFKA_BOOTSTRAP_SERVERS"] == "kafka-spring:9092"
    assert data["MANAGEMENT_ZIPKIN_TRACING_ENDPOINT"] == "http://zipkin-spring:9411/api/v2/spans"
    # Each service gets its own Secret with only what it uses, as on AWS; on kind every database
    # service logs in as the in-cluster PostgreSQL's one user, and Dragonfly takes no password.
    secrets = {r.inputs["metadata"]["name"]: r for r in local.all("kubernetes:core/v1:Secret")
               if r.inputs["metadata"]["name"].endswith("-service-secrets")}
    assert set(secrets) == {"auth-service-secrets", "ticket-service-secrets", "payment-service-secrets",
                            "stats-service-secrets", "queue-service-secrets", "community-service-secrets"}
    generated = {r.name.removeprefix("local-secrets-"): unwrap(r.outputs["result"])
                 for r in local.all("random:index/randomPassword:RandomPassword")}
    values = {}
    for name, secret in secrets.items():
        assert "stringData" not in secret.inputs  # server-side apply could never remove a key from it
        values[name] = {key: base64.b64decode(value).decode() for key, value in unwrap(secret.inputs["data"]).items()}
    database = {"SPRING_DATASOURCE_USERNAME": "tiketi_user",
                "SPRING_DATASOURCE_PASSWORD": generated["postgres-password"]}
    assert values["auth-service-secrets"] == {**database, "JWT_SECRET": generated["jwt-secret"]}
    assert values["ticket-service-secrets"] == {**database, "INTERNAL_API_TOKEN": generated["internal-api-token"]}
    assert values["queue-service-secrets"] == {"QUEUE_ENTRY_TOKEN_SECRET": generated["queue-entry-token-secret"]}
    for service in ("payment", "stats", "community"):
        assert values[f"{service}-service-secrets"] == database


def test_postgres(local):
    init = manifest(local, "ConfigMap", "postgres-init-spring")["data"]["01-databases.sql"]
    assert init.split("\n")[:5] == [f"CREATE DATABASE {db};" for db in
                                    ("auth_db", "ticket_db", "payment_db", "stats_db", "community_db")]
    container = only_container(local, "Deployment", "postgres-spring")
    assert container["image"] == "postgres:15-alpine"
    ready = ["sh", "-c", 'pg_isready -U "$POSTGRES_USER" -d postgres']
    assert container["readinessProbe"] == {"exec": {"command": ready}, "initialDelaySeconds": 5, "periodSeconds": 5}
    assert container["livenessProbe"] == {"exec": {"command": ready}, "initialDelaySeconds": 20, "periodSeconds": 10}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/var/lib/postgresql/data"] == "data" and mounts["/docker-entrypoint-initdb.d"] == "init"
    volumes = {v["name"]: v for v in pod(local, "Deployment", "postgres-spring")["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"] == {"claimName": "postgres-pvc"}
    assert volumes["init"]["configMap"] == {"name": "postgres-init-spring"}
    service = manifest(local, "Service", "postgres-spring")["spec"]
    assert service["type"] == "NodePort" and service["ports"][0]["port"] == 5432
    assert service["ports"][0]["nodePort"] == 30432


def test_dragonfly(local):
    container = only_container(local, "Deployment", "dragonfly-spring")
    assert container["args"] == ["--maxmemory=512mb", "--proactor_threads=1", "--snapshot_cron=* * * * *",
                                 "--dir=/data", "--dbfilename=dump"]
    image, tag = container["image"].rsplit(":", 1)
    assert image == "docker.dragonflydb.io/dragonflydb/dragonfly" and tag.startswith("v") and tag != "latest"
    assert container["readinessProbe"] == {"exec": {"command": ["redis-cli", "ping"]}, "initialDelaySeconds": 5,
                                           "periodSeconds": 5}
    assert container["livenessProbe"] == {"exec": {"command": ["redis-cli", "ping"]}, "initialDelaySeconds": 20,
                                          "periodSeconds": 10}
    assert container["volumeMounts"] == [{"mountPath": "/data", "name": "data"}]


def test_kafka_kraft(local):
    container = only_container(local, "Deployment", "kafka-spring")
    assert container["image"] == "apache/kafka:3.7.0"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert {k: env[k] for k in ("KAFKA_NODE_ID", "KAFKA_PROCESS_ROLES", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS",
                                "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                                "CLUSTER_ID")} == {
        "KAFKA_NODE_ID": "1", "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
        "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka-spring:9092",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "CLUSTER_ID": "MkU3OEVBNTcwNTJENDM2Qk"}
    assert container["resources"] == {"requests": {"cpu": "200m", "memory": "512Mi"},
                                      "limits": {"cpu": "1", "memory": "1Gi"}}
    assert container["startupProbe"] == {"tcpSocket": {"port": 9092}, "initialDelaySeconds": 10, "periodSeconds": 10,
                                         "failureThreshold": 15}
    assert container["readinessProbe"] == {"tcpSocket": {"port": 9092}, "initialDelaySeconds": 5, "periodSeconds": 10}
    assert container["livenessProbe"] == {"tcpSocket": {"port": 9092}, "initialDelaySeconds": 10, "periodSeconds": 20}


def test_zipkin(local):
    container = only_container(local, "Deployment", "zipkin-spring")
    assert container["image"] == "openzipkin/zipkin:3"
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"},
                                      "limits": {"cpu": "500m", "memory": "512Mi"}}
    port = manifest(local, "Service", "zipkin-spring")["spec"]["ports"][0]
    assert (port["port"], port["nodePort"]) == (9411, 30411)


def test_loki(local):
    config = yaml.safe_load(manifest(local, "ConfigMap", "loki-config")["data"]["config.yaml"])
    [schema] = config["schema_config"]["configs"]
    assert (schema["store"], schema["object_store"], schema["schema"], schema["index"]["period"]) == (
        "boltdb-shipper", "filesystem", "v11", "24h")
    assert config["common"]["replication_factor"] == 1
    assert config["common"]["ring"]["kvstore"] == {"store": "inmemory"}
    assert only_container(local, "Deployment", "loki")["image"] == "grafana/loki:2.9.3"
    service = manifest(local, "Service", "loki-service")["spec"]
    assert service["type"] == "ClusterIP" and [p["port"] for p in service["ports"]] == [3100, 9096]


def test_promtail(local):
    container = only_container(local, "DaemonSet", "promtail")
    assert container["image"] == "grafana/promtail:2.9.3"
    # kind's nodes run containerd: logs under /var/log/pods in CRI format, no Docker directory at all.
    assert container["volumeMounts"] == [
        {"mountPath": "/etc/promtail", "name": "config", "readOnly": True},
        {"mountPath": "/run/promtail", "name": "positions"},
        {"mountPath": "/var/log", "name": "varlog", "readOnly": True}]
    volumes = {v["name"]: v for v in pod(local, "DaemonSet", "promtail")["volumes"]}
    assert volumes["varlog"]["hostPath"] == {"path": "/var/log", "type": "Directory"}
    assert not any("docker" in str(v) for v in volumes.values())
    assert pod(local, "DaemonSet", "promtail")["serviceAccountName"] == "promtail"
    role = manifest(local, "ClusterRole", "promtail")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["nodes", "services", "endpoints", "pods"],
                              "verbs": ["get", "watch", "list"]}]
    binding = manifest(local, "ClusterRoleBinding", "promtail")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "promtail", "namespace": "tiketi-spring"}]
    config = yaml.safe_load(manifest(local, "ConfigMap", "promtail-config")["data"]["promtail.yaml"])
    [scrape] = config["scrape_configs"]
    assert scrape["pipeline_stages"] == [{"cri": {}}]  # parse "<time> <stream> <flags> <message>" lines
    assert scrape["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["tiketi-spring"]}}]
    targets = {r["target_label"] for r in scrape["relabel_configs"]}
    assert {"app", "pod", "namespace"} <= targets
    assert config["clients"] == [{"url": "http://loki-service:3100/loki/api/v1/push"}]


def test_grafana(local):
    container = only_container(local, "Deployment", "grafana")
    assert container["image"] == "grafana/grafana:10.2.3"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false" and env["GF_SERVER_HTTP_PORT"] == "3006"
    sources = yaml.safe_load(manifest(local, "ConfigMap", "grafana-datasources")["data"]["datasources.yaml"])
    assert sources["datasources"] == [{"name": "Loki", "type": "loki", "access": "proxy",
                                       "url": "http://loki-service:3100", "isDefault": True}]
    port = manifest(local, "Service", "grafana")["spec"]["ports"][0]
    assert (port["port"], port["nodePort"]) == (3006, 30006)
    password = local.outputs["grafanaAdminPassword"]
    assert password["4dabf18193072939515e22adb298388d"]  # exported as a secret
    assert unwrap(password) not in ("admin", "") and len(unwrap(password)) >= 32


def test_pvc_table(local):
    pvcs = of_kind(local, "PersistentVolumeClaim")
    assert {name: (p["spec"]["resources"]["requests"]["storage"], p["spec"]["accessModes"],
                   p["spec"]["storageClassName"]) for name, p in pvcs.items()} == {
        "postgres-pvc": ("5Gi", ["ReadWriteOnce"], "standard"), "dragonfly-pvc": ("1Gi", ["ReadWriteOnce"], "standard"),
        "grafana-pvc": ("1Gi", ["ReadWriteOnce"], "standard"), "loki-pvc": ("2Gi", ["ReadWriteOnce"], "standard")}


def test_local_outputs(local):
    assert local.outputs["namespace"] == "tiketi-spring"
    assert local.outputs["urls"]["grafana"] == "http://localhost:30006"


def test_kind_maps_exactly_the_stacks_node_ports_to_loopback(local):
    from pathlib import Path

    kind = yaml.safe_load((Path(__file__).resolve().parents[2] / "local" / "kind-config.yaml").read_text())
    [node] = kind["nodes"]
    mappings = {m["containerPort"]: m for m in node["extraPortMappings"]}
    node_ports = {p["nodePort"] for s in of_kind(local, "Service").values() for p in s["spec"]["ports"]
                  if "nodePort" in p}
    assert set(mappings) == node_ports == {30000, 30001, 30006, 30411, 30432}
    assert all(m["hostPort"] == port and m["listenAddress"] == "127.0.0.1" for port, m in mappings.items())
    assert kind["name"] == "tiketi"  # kubeconfig context kind-tiketi, the stack's default


def test_cluster_script_names_what_is_missing(tmp_path):
    import shutil
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "local" / "cluster.sh"
    # A PATH with the shell and coreutils only: no docker, kind or pulumi.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = subprocess.run([str(bin_dir / "bash"), str(script), "up"], capture_output=True, text=True,
                            env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, check=False)
    assert result.returncode == 127
    assert "error: missing docker kind pulumi" in result.stderr


# Every Service of the kind stack: type and (name, port, targetPort, nodePort), spec 1.5's ports and NodePorts.
LOCAL_SERVICES = {
    "frontend": ("NodePort", [("http", 3000, "http", 30000)]),
    "gateway-service": ("NodePort", [("http", 3001, "http", 30001)]),
    "ticket-service": ("ClusterIP", [("http", 3002, "http", None)]),
    "payment-service": ("ClusterIP", [("http", 3003, "http", None)]),
    "stats-service": ("ClusterIP", [("http", 3004, "http", None)]),
    "auth-service": ("ClusterIP", [("http", 3005, "http", None)]),
    "queue-service": ("ClusterIP", [("http", 3007, "http", None)]),
    "community-service": ("ClusterIP", [("http", 3008, "http", None)]),
    "postgres-spring": ("NodePort", [("postgres", 5432, 5432, 30432)]),
    "dragonfly-spring": ("ClusterIP", [("redis", 6379, 6379, None)]),
    "kafka-spring": ("ClusterIP", [("broker", 9092, 9092, None)]),
    "zipkin-spring": ("NodePort", [("http", 9411, 9411, 30411)]),
    "loki-service": ("ClusterIP", [("http", 3100, 3100, None), ("grpc", 9096, 9096, None)]),
    "grafana": ("NodePort", [("http", 3006, 3006, 30006)]),
}


def test_every_local_service_exposes_its_spec_ports(local):
    found = {name: (s["spec"].get("type"), [(p.get("name"), p["port"], p.get("targetPort"), p.get("nodePort"))
                                            for p in s["spec"]["ports"]])
             for name, s in of_kind(local, "Service").items()}
    assert found == LOCAL_SERVICES
