"""InternalApi: ticket-service's internal API, reachable from the worker's subnets.

The worker Lambda runs in the VPC, not in the cluster, so ``ticket-service.<ns>.svc.cluster.local``
means nothing to it. This component puts an internal Application Load Balancer in the app
subnets in front of ticket-service's pods (target type ip; the Cluster's
TargetGroupBinding registers the pods) and lets only the worker's security group reach it.
Only ``/internal/*`` is forwarded; anything else gets a 404 from the load balancer.

Names: the load balancer keeps its readable name and is deleted before a replacement is
created; the target group is auto-named so a replacement is created while the listener rule
still forwards to the old one (a target group in use cannot be deleted first).

Plain HTTP inside the VPC: the load balancer has no DNS name a certificate could match,
the listener admits only the worker's group, and every call carries the bearer token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.network.app_security_groups import allow_tcp_from

TICKET_SERVICE_PORT = 3002
LISTENER_PORT = 80


@dataclass(frozen=True)
class InternalApiArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    app_subnet_ids: Sequence[pulumi.Input[str]]
    worker_security_group_id: pulumi.Input[str]
    eks_nodes_security_group_id: pulumi.Input[str]
    health_check_path: str = "/actuator/health"


class InternalApi(Component):
    TYPE = "tiketi:async:InternalApi"
    url: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: InternalApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        child = pulumi.ResourceOptions(parent=self)

        group = aws.ec2.SecurityGroup(f"{name}-alb", vpc_id=args.vpc_id,
                                      description="ticket-service internal API: HTTP from the worker only",
                                      tags={"Name": f"{args.name_prefix}-internal-alb"}, opts=child)
        allow_tcp_from(name, parent=self, group_id=group.id, port=LISTENER_PORT,
                       sources={"worker": args.worker_security_group_id}, description="worker to the internal API")
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-pods", security_group_id=group.id, description="to ticket-service pods",
            ip_protocol="tcp", from_port=TICKET_SERVICE_PORT, to_port=TICKET_SERVICE_PORT,
            referenced_security_group_id=args.eks_nodes_security_group_id, opts=child)
        allow_tcp_from(f"{name}-nodes", parent=self, group_id=args.eks_nodes_security_group_id,
                       port=TICKET_SERVICE_PORT, sources={"alb": group.id},
                       description="internal ALB to ticket-service pods")

        balancer = aws.lb.LoadBalancer(
            f"{name}-alb", name=f"{args.name_prefix}-ticket-int", internal=True, load_balancer_type="application",
            subnets=list(args.app_subnet_ids), security_groups=[group.id], drop_invalid_header_fields=True,
            enable_http2=True, opts=self._child(delete_before_replace=True))
        target_group = aws.lb.TargetGroup(
            f"{name}-ticket", port=TICKET_SERVICE_PORT, protocol="HTTP",
            target_type="ip", vpc_id=args.vpc_id, deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(path=args.health_check_path, matcher="200", interval=30,
                                                           healthy_threshold=2, unhealthy_threshold=3),
            opts=child)
        listener = aws.lb.Listener(
            f"{name}-http", load_balancer_arn=balancer.arn, port=LISTENER_PORT, protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="fixed-response", fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    content_type="text/plain", message_body="not found", status_code="404"))],
            opts=child)
        aws.lb.ListenerRule(
            f"{name}-internal-paths", listener_arn=listener.arn, priority=10,
            conditions=[aws.lb.ListenerRuleConditionArgs(
                path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/internal/*"]))],
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=target_group.arn)],
            opts=child)

        self.url = pulumi.Output.concat("http://", balancer.dns_name)
        self.target_group_arn = target_group.arn
        # CloudWatch's LoadBalancer and TargetGroup dimensions.
        self.arn_suffix, self.target_group_arn_suffix = balancer.arn_suffix, target_group.arn_suffix
        self.security_group_id = group.id
        self.register_outputs({"url": self.url, "targetGroupArn": self.target_group_arn})
