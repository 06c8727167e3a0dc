"""The eight Tiketi services as the spec's resource table gives them (spec 1.3), in one place.

Everything that depends on "which services exist" (deployments, network policies, ECR
repositories, HPA/PDB config validation, the per-service Secrets) reads this table, so a
ninth service is one line.

**Which secrets a service reads** is decided here too (``secrets``), and nowhere else: each
service's Kubernetes Secret carries exactly ``secret_keys(service)``. Where the spec says it
and where it is a decision:

- database credentials: each service with a database (spec 1.5) gets its own login role that
  owns only that database (``database_role``);
- ``jwt-secret``: the spec's table annotates only Auth Service with "JWT 발급/검증" (issues and
  verifies JWTs), so only auth-service reads it. (A successor of this codebase, URR, has the
  gateway verify JWTs too — if yours does, add ``JWT_SECRET`` to gateway-service here.)
- ``internal-api-token``: ticket-service, whose ``/internal/*`` API the worker calls (spec 8.2);
- ``queue-entry-token-secret``: queue-service, which signs the entry tokens (the edge function
  verifies them with its own deploy-time copy, spec 8.1);
- ``redis-auth-token``: the spec names no Redis client per service; decided: gateway-service
  (rate limiting), ticket-service (seat holds) and queue-service (the waiting queue), the
  services that keep state in Redis in the Tiketi/URR code bases (URR docs
  ``k8s/AWS_SECRETS_INTEGRATION.md``: redis-auth-token -> ticket-service, gateway-service;
  URR gateway ``RateLimitFilter`` on Redis; the queue service's Redis queue). Other services
  keep the Redis host in the ConfigMap but no password, so they cannot authenticate to it;
- the Kafka login (``SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG``, composed from the MSK SCRAM
  user's secret): the spec names no Kafka client per service and gives every service the broker
  list (its ConfigMap); decided: every backend service, as MSK's arrival (issue 15) did. Narrow it
  here, one service at a time, when the applications' code says which produce or consume.
"""

from __future__ import annotations

from dataclasses import dataclass

# The generated secrets a service may read (Secrets Manager names tiketi-<stack>/<name>).
JWT_SECRET = "jwt-secret"  # noqa: S105 - names, not values
INTERNAL_API_TOKEN = "internal-api-token"  # noqa: S105
QUEUE_ENTRY_TOKEN_SECRET = "queue-entry-token-secret"  # noqa: S105
REDIS_AUTH_TOKEN = "redis-auth-token"  # noqa: S105
DATABASE_USER = "database-user"  # the service's own database login (JSON username/password)
KAFKA_LOGIN = "kafka-login"  # the MSK SCRAM user's secret (JSON username/password), as a JAAS line
# The environment variable each secret reaches the service as (Spring relaxed binding).
SECRET_ENV = {
    JWT_SECRET: "JWT_SECRET",
    INTERNAL_API_TOKEN: "INTERNAL_API_TOKEN",
    QUEUE_ENTRY_TOKEN_SECRET: "QUEUE_ENTRY_TOKEN_SECRET",
    REDIS_AUTH_TOKEN: "SPRING_DATA_REDIS_PASSWORD",
    # Spring Boot binds SPRING_KAFKA_PROPERTIES_<NAME> into spring.kafka.properties (issue 15).
    KAFKA_LOGIN: "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG",
}
DATABASE_ENV = {"SPRING_DATASOURCE_USERNAME": "username", "SPRING_DATASOURCE_PASSWORD": "password"}


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    tier: str  # "backend" for the Spring services (spec: NetworkPolicy tier label), "frontend" for Next.js
    database: str | None = None  # its PostgreSQL database (spec 1.5)
    secrets: frozenset[str] = frozenset()  # generated secrets it reads (the module docstring says why)

    @property
    def is_backend(self) -> bool:
        return self.tier == "backend"

    @property
    def readiness_path(self) -> str:
        """What the pod's readiness probe asks, and so what its target group's health check must ask too.

        With the Load Balancer Controller's readiness gates the target group's health decides the pod's
        readiness as well; two different paths would give one pod two verdicts. Spring Boot's readiness
        group leaves out external systems, so a Redis or database blip does not take every pod out
        (Spring Boot reference, "Kubernetes Probes"); Next.js answers on "/".
        """
        return "/actuator/health/readiness" if self.is_backend else "/"

    @property
    def liveness_path(self) -> str:
        return "/actuator/health/liveness" if self.is_backend else "/"

    @property
    def database_role(self) -> str | None:
        """The PostgreSQL login role that owns this service's database (``auth-service`` -> ``auth_service``)."""
        return self.name.replace("-", "_") if self.database else None


SERVICES: tuple[Service, ...] = (
    Service("gateway-service", 3001, "200m", "1", "256Mi", "1Gi", "backend",
            secrets=frozenset({REDIS_AUTH_TOKEN, KAFKA_LOGIN})),
    Service("auth-service", 3005, "200m", "1", "256Mi", "1Gi", "backend", "auth_db",
            secrets=frozenset({JWT_SECRET, KAFKA_LOGIN})),
    Service("ticket-service", 3002, "200m", "1", "256Mi", "1Gi", "backend", "ticket_db",
            secrets=frozenset({INTERNAL_API_TOKEN, REDIS_AUTH_TOKEN, KAFKA_LOGIN})),
    Service("payment-service", 3003, "200m", "1", "256Mi", "1Gi", "backend", "payment_db",
            secrets=frozenset({KAFKA_LOGIN})),
    Service("stats-service", 3004, "100m", "500m", "256Mi", "512Mi", "backend", "stats_db",
            secrets=frozenset({KAFKA_LOGIN})),
    Service("queue-service", 3007, "100m", "500m", "256Mi", "512Mi", "backend",
            secrets=frozenset({QUEUE_ENTRY_TOKEN_SECRET, REDIS_AUTH_TOKEN, KAFKA_LOGIN})),
    Service("community-service", 3008, "100m", "500m", "256Mi", "512Mi", "backend", "community_db",
            secrets=frozenset({KAFKA_LOGIN})),
    Service("frontend", 3000, "100m", "500m", "128Mi", "256Mi", "frontend"),
)
SERVICE_NAMES = tuple(s.name for s in SERVICES)
SERVICE_BY_NAME = {s.name: s for s in SERVICES}
DATABASES = tuple(s.database for s in SERVICES if s.database)

# The services' CI builds their images for linux/arm64 only (spec: "Docker Buildx ... linux/arm64"),
# so every node that runs them must be Arm (AWS Graviton).
IMAGE_ARCHITECTURE = "arm64"
# What an on-sale cannot lose: the entry point and the ticket logic are preempted last (PriorityClass).
PREEMPTED_LAST = ("gateway-service", "ticket-service")
DATABASE_SERVICES = tuple(s for s in SERVICES if s.database)


def secret_keys(service: Service, *, redis_auth: bool, kafka_auth: bool = False) -> dict[str, tuple[str, str | None]]:
    """The keys of ``service``'s Secret: env var -> (source secret, JSON property or None for a plain string).

    ``redis_auth``/``kafka_auth``: whether the stack's cache takes an AUTH token and its Kafka a SCRAM
    login (the kind stack's Dragonfly and broker take neither: there is nothing to read).
    """
    keys: dict[str, tuple[str, str | None]] = {}
    if service.database:
        keys.update({env: (DATABASE_USER, prop) for env, prop in DATABASE_ENV.items()})
    for secret in sorted(service.secrets):
        if (secret == REDIS_AUTH_TOKEN and not redis_auth) or (secret == KAFKA_LOGIN and not kafka_auth):
            continue
        keys[SECRET_ENV[secret]] = (secret, None)
    return keys


def service_secret_name(service: Service) -> str:
    """The Kubernetes Secret a service reads (``envFrom``): its own, named after it."""
    return f"{service.name}-secrets"
