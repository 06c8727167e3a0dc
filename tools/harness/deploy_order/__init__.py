"""Deploy order: every create-time precondition AWS or Kubernetes enforces, checked as graph reachability.

The mock engine accepts any order; the real one creates in parallel whatever does not
depend on each other. ``check_deploy_order`` runs every rule over one program run; the tests
and ``make render`` both call it.
"""

from __future__ import annotations

from tools.harness.deploy_order.aws import AWS_RULES
from tools.harness.deploy_order.graph import DependencyGraph, OrderRule, check_rules
from tools.harness.deploy_order.kubernetes import KUBERNETES_RULES
from tools.harness.snapshot import Snapshot

ALL_RULES: tuple[OrderRule, ...] = AWS_RULES + KUBERNETES_RULES


def check_deploy_order(snap: Snapshot) -> list[str]:
    return check_rules(snap, ALL_RULES)


__all__ = ["ALL_RULES", "DependencyGraph", "OrderRule", "check_deploy_order", "check_rules"]
