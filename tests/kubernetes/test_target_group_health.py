"""A target group asks its pods the same health question as their readiness probe.

The namespace injects the Load Balancer Controller's readiness gates (workloads.py), so a bound pod is
Ready only once its target is healthy: the target group's health check is part of the pod's readiness.
With a different path a pod could be Ready by its probe and never healthy in the ALB (a rollout that
never finishes), or taken out of every target group by what its probe deliberately ignores (Spring
Boot's readiness group leaves Redis and the database out; the aggregate /actuator/health does not).
Health-check changes are in place: terraform-provider-aws internal/service/elbv2/target_group.go
marks only name, port, protocol, protocolVersion, targetType, vpcId and ipAddressType ForceNew
(tools/harness/review/replacements.py).
"""

from __future__ import annotations

from tests.support.manifests import of_kind

# The bound services and their paths, written out: the check below is not vacuous.
PATHS = {"gateway-service": "/actuator/health/readiness", "ticket-service": "/actuator/health/readiness",
         "frontend": "/"}


def test_every_bound_services_target_group_asks_its_pods_readiness_path(aws_stack):
    namespace = aws_stack.config("tiketi:workloads")["namespace"]
    bindings = of_kind(aws_stack, "TargetGroupBinding", namespace)
    services = of_kind(aws_stack, "Service", namespace)
    deployments = of_kind(aws_stack, "Deployment", namespace)
    groups = {g.outputs["arn"]: g for g in aws_stack.all("aws:lb/targetGroup:TargetGroup")}
    found = {}
    for binding in bindings.values():
        service = services[binding["spec"]["serviceRef"]["name"]]
        [pods] = [d["spec"]["template"] for d in deployments.values()
                  if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v
                         for k, v in service["spec"]["selector"].items())]
        [container] = pods["spec"]["containers"]
        probe = container["readinessProbe"]["httpGet"]["path"]
        health = groups[binding["spec"]["targetGroupARN"]].inputs["healthCheck"]
        assert health["path"] == probe, binding["metadata"]["name"]
        found[service["metadata"]["name"]] = health["path"]
    assert found == PATHS
