"""components/config/observability.py: tiketi:alerts."""

from __future__ import annotations

from tests.support.config import aws_config, parse_aws, problems_of


def test_alert_emails_default_to_none():
    assert parse_aws().alerts.emails == []


def test_alert_emails_must_be_addresses():  # AlertsSettings._emails
    assert problems_of(aws_config(**{"tiketi:alerts": {"emails": ["oncall@tiketi.example", "nobody"]}})) == [
        'tiketi:alerts.emails: ["oncall@tiketi.example", "nobody"] has entry [1], which is not an email address']
