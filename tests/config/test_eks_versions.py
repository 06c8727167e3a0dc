"""components/config/eks_versions.py: the EKS version calendar the validator and the cost estimate share."""

from __future__ import annotations

from datetime import date

import pytest

from components.config import eks_versions


def test_the_calendar_is_the_eks_user_guides():
    # Release calendar (EKS User Guide), 1.35 from endoflife.date/amazon-eks.
    assert {v: (str(c.standard_ends), str(c.extended_ends)) for v, c in eks_versions.LIFECYCLE.items()} == {
        "1.30": ("2025-07-23", "2026-07-23"),
        "1.31": ("2025-11-26", "2026-11-26"),
        "1.32": ("2026-03-23", "2027-03-23"),
        "1.33": ("2026-07-29", "2027-07-29"),
        "1.34": ("2026-12-02", "2027-12-02"),
        "1.35": ("2027-03-27", "2028-03-27"),
    }


@pytest.mark.parametrize(("on", "expected"), [
    (date(2026, 7, 28), "standard"),
    (date(2026, 7, 29), "extended"),  # billed at the extended rate from the start of that day
    (date(2027, 7, 28), "extended"),
    (date(2027, 7, 29), "ended"),
])
def test_phase_changes_on_the_listed_days(on, expected):
    assert eks_versions.phase("1.33", on) == expected


def test_what_eks_creates_and_supports_on_the_review_day():
    day = date(2026, 11, 28)
    assert eks_versions.creatable(day) == ["1.32", "1.33", "1.34", "1.35"]
    assert eks_versions.in_standard_support(day) == ["1.34", "1.35"]


def test_extended_billing_needs_the_extended_policy_and_the_extended_phase():
    assert eks_versions.extended_since("1.33", "EXTENDED", date(2026, 11, 28)) == date(2026, 7, 29)
    assert eks_versions.extended_since("1.33", "STANDARD", date(2026, 11, 28)) is None  # EKS upgrades instead
    assert eks_versions.extended_since("1.35", "EXTENDED", date(2026, 11, 28)) is None  # still standard
    assert eks_versions.extended_since("1.31", "EXTENDED", date(2026, 11, 28)) is None  # ended: upgraded
    assert eks_versions.extended_since("9.99", "EXTENDED", date(2026, 11, 28)) is None


def test_today_is_the_real_calendar_day_unless_pinned(monkeypatch):
    monkeypatch.delenv(eks_versions.CALENDAR_DAY_VARIABLE)
    assert eks_versions.today() == date.today()
    monkeypatch.setenv(eks_versions.CALENDAR_DAY_VARIABLE, "2027-03-01")
    assert eks_versions.today() == date(2027, 3, 1)


def test_a_standard_cluster_is_warned_sixty_days_before_its_version_leaves_standard_support():
    assert eks_versions.notice("1.35", "STANDARD", date(2027, 1, 25)) is None  # 61 days left
    assert eks_versions.notice("1.35", "STANDARD", date(2027, 1, 26)) == (
        "tiketi:cluster.version 1.35 leaves EKS standard support on 2027-03-27 (in 60 days): EKS then upgrades the "
        "control plane itself and the program refuses 1.35 with supportType STANDARD; upgrade one minor version at "
        "a time to a version added to eks_versions.py before then (docs/operations.md, Upgrading EKS)")
    assert eks_versions.notice("1.34", "STANDARD", date(2026, 11, 28)).startswith(
        "tiketi:cluster.version 1.34 leaves EKS standard support on 2026-12-02 (in 4 days)")
    assert eks_versions.notice("1.34", "STANDARD", date(2026, 11, 28)).endswith(
        "upgrade one minor version at a time to 1.35 before then (docs/operations.md, Upgrading EKS)")
    assert eks_versions.notice("1.35", "EXTENDED", date(2027, 3, 1)) is None  # pays for extended support instead
    assert eks_versions.notice("1.33", "STANDARD", date(2026, 11, 28)) is None  # refused outright by the validator

