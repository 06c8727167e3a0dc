"""Ordering rules for Kubernetes objects: what the API server and the workloads need to become Ready."""

from __future__ import annotations

from tools.harness.deploy_order.graph import OrderRule

KUBERNETES_RULES: tuple[OrderRule, ...] = ()
