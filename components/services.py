"""The eight Tiketi services as the spec's resource table gives them (spec 1.3), in one place.

Everything that depends on "which services exist" (deployments, network policies, ECR
repositories, HPA/PDB config validation) reads this table, so a ninth service is one line.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    @property
    def is_backend(self) -> bool:
        return self.tier == "backend"


SERVICES: tuple[Service, ...] = (
    Service("gateway-service", 3001, "200m", "1", "256Mi", "1Gi", "backend"),
    Service("auth-service", 3005, "200m", "1", "256Mi", "1Gi", "backend", "auth_db"),
    Service("ticket-service", 3002, "200m", "1", "256Mi", "1Gi", "backend", "ticket_db"),
    Service("payment-service", 3003, "200m", "1", "256Mi", "1Gi", "backend", "payment_db"),
    Service("stats-service", 3004, "100m", "500m", "256Mi", "512Mi", "backend", "stats_db"),
    Service("queue-service", 3007, "100m", "500m", "256Mi", "512Mi", "backend"),
    Service("community-service", 3008, "100m", "500m", "256Mi", "512Mi", "backend", "community_db"),
    Service("frontend", 3000, "100m", "500m", "128Mi", "256Mi", "frontend"),
)
SERVICE_NAMES = tuple(s.name for s in SERVICES)
DATABASES = tuple(s.database for s in SERVICES if s.database)

# The services' CI builds their images for linux/arm64 only (spec: "Docker Buildx ... linux/arm64"),
# so every node that runs them must be Arm (AWS Graviton).
IMAGE_ARCHITECTURE = "arm64"
# What an on-sale cannot lose: the entry point and the ticket logic are preempted last (PriorityClass).
PREEMPTED_LAST = ("gateway-service", "ticket-service")
