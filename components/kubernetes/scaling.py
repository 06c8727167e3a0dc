"""How the services scale and stop: HPA, PodDisruptionBudget, spread, priority and shutdown, as specs.

Pure functions over the workloads config; ``Workloads`` (workloads.py) puts them into its objects.

- HPA (``autoscaling/v2``): CPU utilisation target from config; behaviour written out: up fast
  (no stabilisation, the larger of a percentage or a pod count per period), down slowly (a
  stabilisation window, then a few pods per period), so an on-sale's waves do not flap.
- PDB: ``maxUnavailable: 1`` (or ``minAvailable`` from config, which config refuses when it would
  forbid every eviction) with ``unhealthyPodEvictionPolicy: AlwaysAllow``, so a pod that is not
  Ready never blocks a drain (Kubernetes docs, "Specifying a Disruption Budget", "Unhealthy Pod
  Eviction Policy").
- Spread across zones *and* nodes, both ``ScheduleAnyway`` (a hard node spread would make
  Karpenter launch a node per replica) and per ReplicaSet (``matchLabelKeys: pod-template-hash``),
  so a rollout spreads the new pods too.
- PriorityClasses: gateway and ticket-service above the rest, so when Karpenter's capacity runs
  short the scheduler preempts the others first. Values far below the built-in classes
  (``system-cluster-critical`` is 2,000,000,000; user classes may go up to 1,000,000,000).
- Shutdown: a ``preStop`` sleep (the native sleep action: the images need no shell) longer than the
  target groups' deregistration delay, so the ALB stops sending before the pod stops serving, and a
  termination grace period covering it plus Spring's graceful shutdown (EKS best practices,
  "Load balancing": the endpoint update races SIGTERM).
"""

from __future__ import annotations

from components.config.kubernetes import AutoscalingRange, WorkloadsSettings
from components.services import PREEMPTED_LAST, Service

PRIORITY_CLASSES = {
    "tiketi-critical": (100000, "gateway and ticket-service: preempted last during an on-sale"),
    "tiketi-standard": (10000, "the other Tiketi services"),
}


def priority_class_of(service: Service) -> str:
    return "tiketi-critical" if service.name in PREEMPTED_LAST else "tiketi-standard"


def hpa_spec(service: Service, scaling: AutoscalingRange, settings: WorkloadsSettings) -> dict:
    behaviour = settings.hpa_behaviour
    up_period, down_period = behaviour.scale_up_period_seconds, behaviour.scale_down_period_seconds
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name},
        "minReplicas": scaling.min, "maxReplicas": scaling.max,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": settings.cpu_target_percent}}}],
        "behavior": {
            "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                {"type": "Percent", "value": behaviour.scale_up_percent, "periodSeconds": up_period},
                {"type": "Pods", "value": behaviour.scale_up_pods, "periodSeconds": up_period}]},
            "scaleDown": {"stabilizationWindowSeconds": behaviour.scale_down_stabilization_seconds,
                          "selectPolicy": "Max", "policies": [
                              {"type": "Pods", "value": behaviour.scale_down_pods, "periodSeconds": down_period}]},
        },
    }


def pdb_spec(service: Service, settings: WorkloadsSettings) -> dict:
    budget = ({"minAvailable": settings.pdb_min_available} if settings.pdb_min_available is not None
              else {"maxUnavailable": 1})
    return {**budget, "unhealthyPodEvictionPolicy": "AlwaysAllow",
            "selector": {"matchLabels": {"app": service.name}}}


def topology_spread(service: Service) -> list[dict]:
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": {"app": service.name}}, "matchLabelKeys": ["pod-template-hash"]}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")]


def pre_stop(settings: WorkloadsSettings) -> dict | None:
    """The container's lifecycle, or None without a preStop delay."""
    if not settings.pre_stop_seconds:
        return None
    return {"preStop": {"sleep": {"seconds": settings.pre_stop_seconds}}}
