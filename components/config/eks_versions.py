"""EKS Kubernetes versions: when each leaves standard support and extended support.

Shared by the ``tiketi:cluster.version`` validator and the cost estimate (extended support is
billed per cluster hour on top of the standard rate).

Sources, all dates UTC+0:
- EKS User Guide, "Understand the Kubernetes version lifecycle on EKS", release calendar
  (awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc @0138560):
  1.30 to 1.34. "A minor version is under standard support in Amazon EKS for the first 14 months
  after it's released … it enters extended support for the next 12 months"; "Billing for extended
  support starts at the beginning of the day that the version reaches end of standard support";
  "On the end of extended support date, you can no longer create new Amazon EKS clusters with the
  unsupported version."
- endoflife.date/amazon-eks for 1.35 (EKS release 2026-01-28, standard support until 2027-03-27,
  extended until 2028-03-27), which the stored copy of the user guide predates.
The default, 1.35, runs with every pin: Karpenter 1.14.1 (1.35 needs >= 1.9,
karpenter-provider-aws website/content/en/v1.14/upgrading/compatibility.md), metrics-server 0.8.1
(0.8.x: 1.31+, the metrics-server README's compatibility matrix), Load Balancer Controller v2.13.0
(v2.5.0+: 1.22+, its docs/deploy/installation.md), the EC2NodeClass alias al2023@v20260714
(amazon-eks-ami CHANGELOG.md: that release builds 1.35.6-20260714). The CloudWatch add-on
v4.10.3-eksbuild.1 (chart released 2026-03-18, after 1.35) is listed per Kubernetes version only by
`aws eks describe-addon-versions`, not confirmed offline.
1.36 is left out: its AMIs exist (amazon-eks-ami v20260625 builds it), but no stored source gives
its EKS support dates. Add a row here, with its source, to allow a newer version.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Lifecycle:
    standard_ends: date  # the first day billed at the extended-support rate
    extended_ends: date  # from this day EKS creates no cluster at the version and upgrades existing ones


LIFECYCLE: dict[str, Lifecycle] = {
    "1.30": Lifecycle(date(2025, 7, 23), date(2026, 7, 23)),
    "1.31": Lifecycle(date(2025, 11, 26), date(2026, 11, 26)),
    "1.32": Lifecycle(date(2026, 3, 23), date(2027, 3, 23)),
    "1.33": Lifecycle(date(2026, 7, 29), date(2027, 7, 29)),
    "1.34": Lifecycle(date(2026, 12, 2), date(2027, 12, 2)),
    "1.35": Lifecycle(date(2027, 3, 27), date(2028, 3, 27)),
}


# Judge versions as of another day (YYYY-MM-DD): the tests pin the review day with it, so the suite does not
# turn red on the day a committed version leaves support; an operator can plan an upgrade with it.
CALENDAR_DAY_VARIABLE = "TIKETI_EKS_CALENDAR_DAY"
NOTICE_DAYS = 60  # how long before the end of standard support preflight and the program warn


def today() -> date:
    """The day versions are judged on: today, or ``$TIKETI_EKS_CALENDAR_DAY``."""
    pinned = os.environ.get(CALENDAR_DAY_VARIABLE)
    return date.fromisoformat(pinned) if pinned else date.today()


def notice(version: str, support_type: str, on: date) -> str | None:
    """A warning while a STANDARD cluster's version has fewer than NOTICE_DAYS of standard support left."""
    if version not in LIFECYCLE or support_type != "STANDARD" or phase(version, on) != "standard":
        return None
    left = (LIFECYCLE[version].standard_ends - on).days
    if left > NOTICE_DAYS:
        return None
    newer = [v for v in in_standard_support(on) if v > version] or ["a version added to eks_versions.py"]
    return (f"tiketi:cluster.version {version} leaves EKS standard support on {LIFECYCLE[version].standard_ends} "
            f"(in {left} days): EKS then upgrades the control plane itself and the program refuses {version} with "
            f"supportType STANDARD; upgrade one minor version at a time to {newer[0]} before then "
            "(docs/operations.md, Upgrading EKS)")


def phase(version: str, on: date) -> str:
    """``standard``, ``extended`` or ``ended`` for a version in the table."""
    cycle = LIFECYCLE[version]
    if on >= cycle.extended_ends:
        return "ended"
    return "extended" if on >= cycle.standard_ends else "standard"


def creatable(on: date) -> list[str]:
    """Versions EKS still creates clusters at on that day (standard or extended support)."""
    return [v for v in LIFECYCLE if phase(v, on) != "ended"]


def in_standard_support(on: date) -> list[str]:
    return [v for v in LIFECYCLE if phase(v, on) == "standard"]


def extended_since(version: str, support_type: str, on: date) -> date | None:
    """The day extended-support billing started, if a cluster at ``version`` with that policy pays it on ``on``.

    With ``STANDARD`` EKS upgrades the control plane at the end of standard support instead.
    """
    if version in LIFECYCLE and support_type == "EXTENDED" and phase(version, on) == "extended":
        return LIFECYCLE[version].standard_ends
    return None
