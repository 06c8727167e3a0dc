"""components/config/security.py: tiketi:secrets and tiketi:protection."""

from __future__ import annotations

import pytest

from tests.support.config import aws_config, parse, parse_aws, problems_of


@pytest.mark.parametrize("days", [0, 7, 30])
def test_recovery_windows_secrets_manager_accepts(days):
    assert parse_aws(**{"tiketi:secrets": {"recoveryWindowDays": days}}).secrets.recovery_window_days == days


@pytest.mark.parametrize("days", [1, 6, 31])
def test_secret_recovery_window_bounds(days):  # SecretsSettings._window
    assert problems_of(aws_config(**{"tiketi:secrets": {"recoveryWindowDays": days}})) == [
        f"tiketi:secrets.recoveryWindowDays: {days} is not a Secrets Manager recovery window; expected 0 or 7 to 30"]


def test_the_default_recovery_window_is_seven_days():
    assert parse_aws().secrets.recovery_window_days == 7


def test_protection_is_on_unless_a_stack_turns_it_off():
    # Config-driven, never the stack's name: prod keeps the default, staging says false.
    assert parse_aws().protection.stateful is True
    assert (parse("prod").protection.stateful, parse("staging").protection.stateful) == (True, False)


def test_the_services_secrets_are_re_read_every_five_minutes_by_default():
    assert parse_aws().secrets.sync_interval_minutes == 5
    assert parse_aws(**{"tiketi:secrets": {"syncIntervalMinutes": 1}}).secrets.sync_interval_minutes == 1


@pytest.mark.parametrize("minutes", [0, 1441])
def test_sync_interval_bounds(minutes):
    assert problems_of(aws_config(**{"tiketi:secrets": {"syncIntervalMinutes": minutes}}))[0].startswith(
        f"tiketi:secrets.syncIntervalMinutes: {minutes} is invalid")
