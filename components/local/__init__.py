"""Local tier (``tiketi:local:*``), the kind stack only: generated secrets, in-cluster data and observability."""

from components.local.local_observability import LocalObservability, LocalObservabilityArgs
from components.local.local_platform import HOSTS, LocalPlatform, LocalPlatformArgs
from components.local.local_secrets import LocalSecrets

__all__ = ["HOSTS", "LocalObservability", "LocalObservabilityArgs", "LocalPlatform", "LocalPlatformArgs",
           "LocalSecrets"]
