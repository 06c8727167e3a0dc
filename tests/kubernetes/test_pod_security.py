"""Every pod the program writes, on every stack: its security context and its probes, written out.

Every container (init containers included) of every Deployment, DaemonSet, StatefulSet, Job and
CronJob on local, staging and prod is in the tables below; a new workload without an entry fails,
so its security context is decided in review. The values are the literals of the spec and of the
images' own users (not imported from the program):

- services and the database bootstrap: UID/GID 1001 (spec 3.1), fsGroup 1001;
- PostgreSQL (alpine image: user ``postgres`` 70), Kafka (apache/kafka: ``appuser`` 1000), Grafana
  (472), Loki and Promtail (10001; Promtail's group 0 reads the node's /var/log), Dragonfly and
  Zipkin (1001), the ADOT collector (4317, no fsGroup: it writes no volume);
- every container: non-root, no privilege escalation, not privileged, all capabilities dropped,
  seccomp RuntimeDefault, read-only root filesystem except Kafka (its image writes its
  configuration under /opt/kafka at start).

Pods of Helm charts (Karpenter, the Load Balancer Controller, metrics-server, External Secrets,
Reloader) are the charts' own and are not registrations of this program.
"""

from __future__ import annotations

import pytest

from tools.harness.snapshot import unwrap

WORKLOAD_KINDS = ("apps/v1:Deployment", "apps/v1:DaemonSet", "apps/v1:StatefulSet", "batch/v1:Job",
                  "batch/v1:CronJob")
SERVICES = ("frontend", "gateway-service", "auth-service", "ticket-service", "payment-service", "stats-service",
            "queue-service", "community-service")
SECCOMP = {"type": "RuntimeDefault"}

# workload -> (runAsUser, runAsGroup, fsGroup, read-only root filesystem, pod-level user and group)
USERS = {
    **{service: (1001, 1001, 1001, True, True) for service in SERVICES},
    "database-bootstrap": (1001, 1001, 1001, True, True),
    "postgres-spring": (70, 70, 70, True, False),
    "dragonfly-spring": (1001, 1001, 1001, True, False),
    "kafka-spring": (1000, 1000, 1000, False, False),
    "zipkin-spring": (1001, 1001, 1001, True, False),
    "loki": (10001, 10001, 10001, True, False),
    "promtail": (10001, 0, None, True, False),
    "grafana": (472, 472, 472, True, False),
    "adot-collector": (4317, 4317, None, True, True),
    "adot-metrics": (4317, 4317, None, True, True),
}
# The workloads each stack runs (and their containers, init containers first).
WORKLOADS = {
    "local": {**{s: [s] for s in SERVICES}, "postgres-spring": ["postgres"], "dragonfly-spring": ["dragonfly"],
              "kafka-spring": ["kafka"], "zipkin-spring": ["zipkin"], "loki": ["loki"], "promtail": ["promtail"],
              "grafana": ["grafana"]},
    "aws": {**{s: [s] for s in SERVICES}, "database-bootstrap": ["render-sql", "psql"],
            "adot-collector": ["adot-collector"], "adot-metrics": ["adot-metrics"]},
}
# Who mounts a service-account token (False everywhere else): the ADOT metrics scraper and Promtail
# (left at the default) list pods and nodes through the API server to find what to scrape or tail.
API_TOKEN = {"adot-metrics": True, "promtail": None}

SPRING = {"startupProbe": {"httpGet": {"path": "/actuator/health/liveness", "port": "http"}, "periodSeconds": 5,
                           "failureThreshold": 36},
          "readinessProbe": {"httpGet": {"path": "/actuator/health/readiness", "port": "http"}, "periodSeconds": 10,
                             "timeoutSeconds": 3, "failureThreshold": 3},
          "livenessProbe": {"httpGet": {"path": "/actuator/health/liveness", "port": "http"}, "periodSeconds": 20,
                            "timeoutSeconds": 3, "failureThreshold": 3}}
NEXTJS = {"startupProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5, "failureThreshold": 36},
          "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 3,
                             "failureThreshold": 3},
          "livenessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 20, "timeoutSeconds": 3,
                            "failureThreshold": 3}}
ADOT = {"readinessProbe": {"httpGet": {"path": "/", "port": "health"}, "periodSeconds": 10, "timeoutSeconds": 3},
        "livenessProbe": {"httpGet": {"path": "/", "port": "health"}, "periodSeconds": 20, "timeoutSeconds": 3}}
PG_READY = ["sh", "-c", 'pg_isready -U "$POSTGRES_USER" -d postgres']


def _http(path: str, port: int, ready_delay: int, live_delay: int) -> dict:
    return {"readinessProbe": {"httpGet": {"path": path, "port": port}, "initialDelaySeconds": ready_delay,
                               "periodSeconds": 10},
            "livenessProbe": {"httpGet": {"path": path, "port": port}, "initialDelaySeconds": live_delay,
                              "periodSeconds": 20}}


def _exec(command: list[str]) -> dict:
    return {"readinessProbe": {"exec": {"command": command}, "initialDelaySeconds": 5, "periodSeconds": 5},
            "livenessProbe": {"exec": {"command": command}, "initialDelaySeconds": 20, "periodSeconds": 10}}


PROBES = {
    **{s: SPRING for s in SERVICES if s != "frontend"}, "frontend": NEXTJS,
    "adot-collector": ADOT, "adot-metrics": ADOT,
    "render-sql": {}, "psql": {},  # a Job's containers run to completion: nothing to probe
    "postgres": _exec(PG_READY), "dragonfly": _exec(["redis-cli", "ping"]),
    "kafka": {"startupProbe": {"tcpSocket": {"port": 9092}, "initialDelaySeconds": 10, "periodSeconds": 10,
                               "failureThreshold": 15},
              "readinessProbe": {"tcpSocket": {"port": 9092}, "initialDelaySeconds": 5, "periodSeconds": 10},
              "livenessProbe": {"tcpSocket": {"port": 9092}, "initialDelaySeconds": 10, "periodSeconds": 20}},
    "zipkin": _http("/health", 9411, 10, 30),  # Zipkin's health endpoint on its API port
    "loki": _http("/ready", 3100, 15, 45),  # Loki's readiness endpoint on its HTTP port
    "promtail": _http("/ready", 9080, 10, 30),
    "grafana": _http("/api/health", 3006, 10, 30),  # spec 1.5: Grafana on 3006
}


def pods(snap) -> dict[str, dict]:
    """Every workload's pod spec by the workload's name (a Job and its CronJob share one spec)."""
    found: dict[str, dict] = {}
    for r in snap.registrations:
        if not any(r.type == f"kubernetes:{kind}" for kind in WORKLOAD_KINDS):
            continue
        spec = unwrap(r.inputs)["spec"]
        template = spec["jobTemplate"]["spec"]["template"] if r.type.endswith("CronJob") else spec["template"]
        name = unwrap(r.inputs)["metadata"]["name"]
        assert found.get(name, template["spec"]) == template["spec"], name
        found[name] = template["spec"]
    return found


def containers(pod: dict) -> list[dict]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def test_every_stack_runs_exactly_the_listed_workloads_and_containers(any_stack):
    expected = WORKLOADS["local" if any_stack.stack == "local" else "aws"]
    assert {name: [c["name"] for c in containers(pod)] for name, pod in pods(any_stack).items()} == expected


def test_every_container_of_every_pod_runs_unprivileged_as_its_images_user(any_stack):
    for name, pod in pods(any_stack).items():
        user, group, fs_group, read_only, pod_level = USERS[name]
        expected_pod = {"runAsNonRoot": True, "seccompProfile": SECCOMP,
                        **({"runAsUser": user, "runAsGroup": group} if pod_level else {}),
                        **({"fsGroup": fs_group} if fs_group is not None else {})}
        assert pod["securityContext"] == expected_pod, name
        assert pod.get("hostNetwork", False) is False and pod.get("hostPID", False) is False, name
        assert pod.get("automountServiceAccountToken") is API_TOKEN.get(name, False), name
        for container in containers(pod):
            assert container["securityContext"] == {
                "runAsNonRoot": True, "runAsUser": user, "runAsGroup": group, "allowPrivilegeEscalation": False,
                "privileged": False, "readOnlyRootFilesystem": read_only, "capabilities": {"drop": ["ALL"]},
                "seccompProfile": SECCOMP}, (name, container["name"])


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_every_container_has_the_probes_its_image_answers(stack, request):
    snap = request.getfixturevalue(stack)
    for name, pod in pods(snap).items():
        for container in containers(pod):
            probes = {k: container[k] for k in ("startupProbe", "readinessProbe", "livenessProbe") if k in container}
            assert probes == PROBES[container["name"]], (name, container["name"])


# The ports each container listens on (spec 1.5 and 3.x: services 3000-3008, PostgreSQL 5432, Dragonfly
# 6379, Kafka 9092/9093 (broker, KRaft controller), Zipkin 9411, Loki 3100 (HTTP) and 9096 (gRPC), Promtail 9080,
# Grafana 3006; the ADOT collector's Zipkin receiver 9411 and health_check extension 13133).
PORTS = {
    "frontend": [("http", 3000)], "gateway-service": [("http", 3001)], "ticket-service": [("http", 3002)],
    "payment-service": [("http", 3003)], "stats-service": [("http", 3004)], "auth-service": [("http", 3005)],
    "queue-service": [("http", 3007)], "community-service": [("http", 3008)],
    "postgres": [("postgres", 5432)], "dragonfly": [("redis", 6379)], "kafka": [("broker", 9092), ("controller", 9093)],
    "zipkin": [("http", 9411)], "loki": [("http", 3100), ("grpc", 9096)], "promtail": [("http", 9080)],
    "grafana": [("http", 3006)], "adot-collector": [("zipkin", 9411), ("health", 13133)],
    "adot-metrics": [("health", 13133)], "render-sql": [], "psql": [],
}


def test_every_container_listens_on_its_spec_ports(any_stack):
    for pod in pods(any_stack).values():
        for container in containers(pod):
            ports = [(p.get("name"), int(p["containerPort"])) for p in container.get("ports", [])]
            assert ports == PORTS[container["name"]], container["name"]


def test_every_volume_mount_names_a_volume_of_its_pod(any_stack):
    """A mount of a volume the pod does not declare is refused by the API server, not by the schema."""
    mounts = 0
    for name, pod in pods(any_stack).items():
        volumes = {v["name"] for v in pod.get("volumes", [])}
        for container in containers(pod):
            for mount in container.get("volumeMounts", []):
                mounts += 1
                assert mount["name"] in volumes, (name, container["name"], mount["name"])
    assert mounts >= 10
