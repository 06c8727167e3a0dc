"""``tiketi:alerts``: who hears about alarms."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from components.config.base import Section, allowed


class AlertsSettings(Section):
    """``tiketi:alerts``: who hears about alarms (the stack's SNS topic)."""

    emails: list[str] = Field(default=[], description="SNS email subscribers; each must confirm the subscription",
                              json_schema_extra=allowed("list of email addresses"))

    @field_validator("emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for index, email in enumerate(emails):
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise ValueError(f"has entry [{index}], which is not an email address")
        return emails
