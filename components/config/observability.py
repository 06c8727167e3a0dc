"""``tiketi:alerts``: who hears about alarms."""

from __future__ import annotations

import re

from pydantic import field_validator

from components.config.base import Section


class AlertsSettings(Section):
    """``tiketi:alerts``: who hears about alarms (the stack's SNS topic)."""

    emails: list[str] = []

    @field_validator("emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise ValueError(f"contains {email!r}, which is not an email address")
        return emails
