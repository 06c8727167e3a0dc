"""``tiketi:secrets`` (how the generated secrets are kept and synced, components/security/) and
``tiketi:protection`` (what Pulumi refuses to delete)."""

from __future__ import annotations

from pydantic import Field, field_validator

from components.config.base import Section, allowed


class SecretsSettings(Section):
    """``tiketi:secrets``: how the generated secrets are kept in Secrets Manager."""

    # 0 deletes at once (a scratch stack); otherwise AWS allows 7-30 days to undo a delete.
    recovery_window_days: int = Field(
        default=7, description="how long a deleted secret can still be restored (0: deleted at once)",
        json_schema_extra=allowed("0, or 7 to 30"))
    # How stale a rotated value may be in the pods' Kubernetes Secrets: the External Secrets
    # Operator reads Secrets Manager this often (ExternalSecret refreshInterval). One
    # GetSecretValue per workload per interval: 12 an hour at 5 minutes, a negligible cost.
    sync_interval_minutes: int = Field(
        default=5, ge=1, le=1440,
        description="how often the External Secrets Operator re-reads Secrets Manager into the services' Secrets")

    @field_validator("recovery_window_days")
    @classmethod
    def _window(cls, days: int) -> int:
        if days != 0 and not 7 <= days <= 30:
            raise ValueError("is not a Secrets Manager recovery window; expected 0 or 7 to 30")
        return days


class ProtectionSettings(Section):
    """``tiketi:protection``: Pulumi ``protect`` on every resource that holds data.

    A protected resource cannot be deleted or replaced by Pulumi: ``pulumi destroy`` and any
    update that would replace it stop before touching it (docs/operations.md, "Destroy").
    """

    stateful: bool = Field(
        default=True,
        description="Pulumi `protect` on the database, cache, buckets, queues, secrets, image repositories, KMS "
                    "keys and the EKS cluster; turn off (and `pulumi up`) before a deliberate `pulumi destroy`")
