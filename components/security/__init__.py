"""Security tier (``tiketi:security:*``): generated secrets and their sync into Kubernetes; IAM and IRSA helpers."""

from components.security.secret_sync import RemoteKey, SecretSync, SecretSyncArgs, SyncContext
from components.security.secrets import Secrets, SecretsArgs

__all__ = ["RemoteKey", "SecretSync", "SecretSyncArgs", "Secrets", "SecretsArgs", "SyncContext"]
