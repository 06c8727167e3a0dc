"""LocalPlatform: the in-cluster data services of the kind stack (spec 1.4-1.5); kind only.

PostgreSQL (``postgres:15-alpine``, the five service databases created by the init
ConfigMap ``postgres-init-spring``, NodePort 30432), Dragonfly (Redis-compatible, the spec's
arguments, a pinned image instead of ``latest``), Kafka in KRaft mode (the spec's
environment table, resources and probes), Zipkin (NodePort 30411) and the PVCs of spec
1.5's table. Logs and dashboards (Loki, Promtail, Grafana) are the LocalObservability
component. None of this exists in staging or prod.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.base import Component
from components.kubernetes.runtime import secret_data_of
from components.local.manifests import ManifestBuilder, exec_probe, http_probe, resources, security, tcp_probe
from components.services import DATABASES

POSTGRES_IMAGE = "postgres:15-alpine"
DRAGONFLY_IMAGE = "docker.dragonflydb.io/dragonflydb/dragonfly:v1.25.2"  # the spec's overlay used :latest
KAFKA_IMAGE = "apache/kafka:3.7.0"
ZIPKIN_IMAGE = "openzipkin/zipkin:3"
POSTGRES_USER = "tiketi_user"
KAFKA_ENV = {  # spec 1.5, Kafka KRaft table
    "KAFKA_NODE_ID": "1",
    "KAFKA_PROCESS_ROLES": "broker,controller",
    "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
    "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://kafka-spring:9092",
    "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
    "CLUSTER_ID": "MkU3OEVBNTcwNTJENDM2Qk",
}
# Not in the spec's table but required by the image in KRaft mode: which listener is the controller's.
# KAFKA_HEAP_OPTS: without it kafka-server-start.sh starts the broker with "-Xmx1G -Xms1G", the whole
# 1 GiB limit, and the kernel OOM-kills it. Half the limit leaves the rest for what lives outside
# the heap (metaspace, direct network buffers, thread stacks).
KAFKA_MEMORY_LIMIT = "1Gi"
KAFKA_REQUIRED_ENV = {"KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                      "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                      "KAFKA_HEAP_OPTS": "-Xmx512m -Xms512m"}
# The image's own start-zipkin sets, for in-memory storage, "-Xms160m -Xmx160m -XX:+ExitOnOutOfMemoryError"
# when JAVA_OPTS is unset (openzipkin/zipkin docker/start-zipkin, 3.x): setting JAVA_OPTS replaces all of
# it, so the heap and the exit-on-OOM flag are restated here.
ZIPKIN_ENV = {"STORAGE_TYPE": "mem", "JAVA_OPTS": "-Xms160m -Xmx160m -XX:+ExitOnOutOfMemoryError"}
NODE_PORTS = {"postgres": 30432, "zipkin": 30411}
HOSTS = {"postgres": "postgres-spring", "dragonfly": "dragonfly-spring", "kafka": "kafka-spring",
         "zipkin": "zipkin-spring"}


@dataclass(frozen=True)
class LocalPlatformArgs:
    namespace: pulumi.Input[str]
    postgres_password: pulumi.Input[str]


class LocalPlatform(Component):
    TYPE = "tiketi:local:LocalPlatform"
    def __init__(self, name: str, args: LocalPlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        self._k = ManifestBuilder(self, name, args.namespace)
        self._postgres(args)
        self._dragonfly()
        self._kafka()
        self._zipkin()
        self.register_outputs({})

    def _postgres(self, args: LocalPlatformArgs) -> None:
        k = self._k
        init_sql = "\n".join(f"CREATE DATABASE {database};" for database in DATABASES) + "\n"
        init = k.config_map("postgres-init-spring", "postgres-spring", {"01-databases.sql": init_sql})
        credentials = k.secret("postgres-credentials", "postgres-spring", secret_data_of(
            {"POSTGRES_USER": POSTGRES_USER, "POSTGRES_PASSWORD": args.postgres_password}))
        k.pvc("postgres-pvc", "postgres-spring", "5Gi")
        ready = ["sh", "-c", 'pg_isready -U "$POSTGRES_USER" -d postgres']
        k.deployment("postgres-spring", fs_group=70, stateful=True, reads=[init, credentials], pod_spec={
            "containers": [{
                "name": "postgres", "image": POSTGRES_IMAGE,
                "ports": [{"name": "postgres", "containerPort": 5432}],
                "envFrom": [{"secretRef": {"name": "postgres-credentials"}}],
                "env": [{"name": "POSTGRES_DB", "value": "postgres"},
                        {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}],
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"},
                                 {"name": "init", "mountPath": "/docker-entrypoint-initdb.d", "readOnly": True},
                                 {"name": "run", "mountPath": "/var/run/postgresql"},
                                 {"name": "tmp", "mountPath": "/tmp"}],
                "readinessProbe": exec_probe(ready, 5, 5),
                "livenessProbe": exec_probe(ready, 20, 10),
                "resources": resources("100m", "1", "256Mi", "1Gi"),
                "securityContext": security(70),  # the image's postgres user
            }],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "postgres-pvc"}},
                        {"name": "init", "configMap": {"name": "postgres-init-spring"}},
                        {"name": "run", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
        })
        k.service(HOSTS["postgres"], "postgres-spring", [{"name": "postgres", "port": 5432, "targetPort": 5432,
                                                           "nodePort": NODE_PORTS["postgres"]}], node_port=True)

    def _dragonfly(self) -> None:
        k = self._k
        k.pvc("dragonfly-pvc", "dragonfly-spring", "1Gi")
        ping = ["redis-cli", "ping"]
        k.deployment("dragonfly-spring", fs_group=1001, stateful=True, pod_spec={
            "containers": [{
                "name": "dragonfly", "image": DRAGONFLY_IMAGE,
                "args": ["--maxmemory=512mb", "--proactor_threads=1", "--snapshot_cron=* * * * *", "--dir=/data",
                         "--dbfilename=dump"],
                "ports": [{"name": "redis", "containerPort": 6379}],
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                "readinessProbe": exec_probe(ping, 5, 5),
                "livenessProbe": exec_probe(ping, 20, 10),
                "resources": resources("100m", "1", "256Mi", "768Mi"),  # headroom over --maxmemory=512mb
                "securityContext": security(1001),
            }],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "dragonfly-pvc"}}],
        })
        k.service(HOSTS["dragonfly"], "dragonfly-spring", [{"name": "redis", "port": 6379, "targetPort": 6379}])

    def _kafka(self) -> None:
        k = self._k
        env = [{"name": key, "value": value} for key, value in {**KAFKA_ENV, **KAFKA_REQUIRED_ENV}.items()]
        k.deployment("kafka-spring", fs_group=1000, pod_spec={
            # No service links: the image reads every KAFKA_* variable as broker config.
            "enableServiceLinks": False,
            "containers": [{
                "name": "kafka", "image": KAFKA_IMAGE, "env": env,
                "ports": [{"name": "broker", "containerPort": 9092}, {"name": "controller", "containerPort": 9093}],
                "resources": resources("200m", "1", "512Mi", KAFKA_MEMORY_LIMIT),
                "startupProbe": tcp_probe(9092, 10, 10, failure_threshold=15),
                "readinessProbe": tcp_probe(9092, 5, 10),
                "livenessProbe": tcp_probe(9092, 10, 20),
                # The image writes its generated server.properties and logs at start.
                "securityContext": security(1000, read_only_root=False),
            }],
        })
        k.service(HOSTS["kafka"], "kafka-spring", [{"name": "broker", "port": 9092, "targetPort": 9092}])

    def _zipkin(self) -> None:
        k = self._k
        k.deployment("zipkin-spring", fs_group=1001, pod_spec={
            "containers": [{
                "name": "zipkin", "image": ZIPKIN_IMAGE,
                "ports": [{"name": "http", "containerPort": 9411}],
                "resources": resources("100m", "500m", "256Mi", "512Mi"),
                "readinessProbe": http_probe("/health", 9411, 10, 10),
                "livenessProbe": http_probe("/health", 9411, 30, 20),
                "env": [{"name": key, "value": value} for key, value in ZIPKIN_ENV.items()],
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                "securityContext": security(1001),
            }],
            "volumes": [{"name": "tmp", "emptyDir": {}}],
        })
        k.service(HOSTS["zipkin"], "zipkin-spring", [{"name": "http", "port": 9411, "targetPort": 9411,
                                                      "nodePort": NODE_PORTS["zipkin"]}], node_port=True)
