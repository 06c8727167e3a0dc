"""Review notes kept as operations documentation (m6, m8, m9): the ops guide carries each one."""

from __future__ import annotations

from pathlib import Path

import pytest

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()


def section(title: str) -> str:
    start = GUIDE.index(title)
    following = GUIDE.find("\n## ", start + 1)
    return GUIDE[start:following if following != -1 else None]


@pytest.mark.parametrize(("title", "text"), [
    # m6: unpinned managed add-ons stay on the old version's builds after an upgrade.
    ("**Upgrade EKS.**", "`aws eks update-addon --cluster-name tiketi-<stack>\n--addon-name kube-proxy "
                         "--addon-version <version> --resolve-conflicts PRESERVE`"),
    # m8: the bootstrap Job's Docker Hub images and the anonymous pull limit.
    ("## 2. First deploy", "Docker Hub allows unauthenticated clients 10 pulls an hour per IPv4 address"),
    # m9: GuardDuty's own endpoint blocks the VPC's deletion.
    ("## 6. Destroy", "GuardDuty has created its own `guardduty-data` VPC endpoint and security group in the VPC"),
])
def test_the_ops_guide_keeps_the_review_notes(title, text):
    assert text in section(title)
