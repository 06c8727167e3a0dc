"""Observability tier (``tiketi:observability:*``): the alert topic and the one shape every alarm has."""

from components.observability.alerts import Alerts, AlertsArgs

__all__ = ["Alerts", "AlertsArgs"]
