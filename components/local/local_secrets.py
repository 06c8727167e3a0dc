"""LocalSecrets: the secrets of the kind stack, generated (never committed) and kept in Pulumi state.

The local stack has no Secrets Manager; these values reach the cluster only as Kubernetes
Secrets, and the stack exports the Grafana admin password as a secret output so a
developer can read it with ``pulumi stack output grafanaAdminPassword --show-secrets``.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random

from components.base import Component

ROLES = ("postgres-password", "grafana-admin-password", "internal-api-token", "queue-entry-token-secret", "jwt-secret")


class LocalSecrets(Component):
    TYPE = "tiketi:local:LocalSecrets"
    values: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, None, opts)
        self.values = {}
        for role in ROLES:
            password = random.RandomPassword(f"{name}-{role}", length=40 if "token" in role else 32, special=False,
                                             min_lower=1, min_upper=1, min_numeric=1,
                                             opts=pulumi.ResourceOptions(parent=self))
            self.values[role] = pulumi.Output.secret(password.result)
        self.register_outputs({})
