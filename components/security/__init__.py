"""Security tier (``tiketi:security:*``): generated secrets; IAM document and IRSA helpers."""

from components.security.secrets import Secrets, SecretsArgs

__all__ = ["Secrets", "SecretsArgs"]
