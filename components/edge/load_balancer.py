"""LoadBalancer: the internet-facing ALB in front of gateway-service (spec 4.1).

Owns the ALB security group and its rules, the node-side rule that lets the ALB reach the
gateway pods, the ALB (HTTP/2, cross-zone, invalid header fields dropped, access logs,
deletion protection by config), the gateway target group (port 3001, target type ip,
filled by the Cluster's TargetGroupBinding), and the listeners.

Who may connect: with ``useCloudfrontPrefixList`` (default) only CloudFront's origin-facing
servers, on 443. The managed prefix list is looked up by name and counts as its maximum
size (55) against the security group's rule quota (60), so it can be referenced once:
HTTP 80 is *not* opened to CloudFront. CloudFront talks to this origin over HTTPS only,
so nothing legitimate arrives on 80 from it; the HTTP listener still exists (redirect to
HTTPS) for the fallback CIDRs. With the prefix list off, ``fallbackCidrs`` get 443 and 80;
those rules are tagged ``Fallback=true``, the only rules a policy may allow from wide ranges.

Defense in depth: CloudFront adds ``X-Origin-Verify: <secret>`` to every origin request;
the HTTPS listener forwards only requests carrying it and answers 403 to all others.
The listener's TLS policy is ``tiketi:edge.albSslPolicy`` (default
``ELBSecurityPolicy-TLS13-1-2-2021-06``); the policy pack refuses anything but TLS 1.3 policies.

Create-time order: the ALB waits for the logs bucket's policy (ELB writes a test object when
access logs are switched on and fails with "Access Denied for bucket" without it) and for the
VPC's internet gateway (an internet-facing ALB in a VPC without one is refused: "VPC ... has no
internet gateway"). Names: the ALB keeps its readable name and is deleted before a replacement
is created (``delete_before_replace``; deletion protection stops that in prod); the target
group is auto-named, so a replacement (new port) is created while listeners still use the old.

Node ingress from the ALB is 3001 only (the spec's table opens 0-65535): the ALB talks to
nothing but gateway pods, health checks included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.config.edge import EdgeSettings
from components.network.app_security_groups import allow_tcp_from

GATEWAY_PORT = 3001
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"


@dataclass(frozen=True)
class LoadBalancerArgs:
    name_prefix: str
    settings: EdgeSettings
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    eks_nodes_security_group_id: pulumi.Input[str]
    logs_bucket_name: pulumi.Input[str]
    log_prefix: str
    origin_verify_secret: pulumi.Input[str]
    logs_bucket_ready: Sequence[pulumi.Resource]  # the logs bucket policy (Storage.alb_logs_ready)
    internet_gateway: pulumi.Resource  # Network.internet_gateway


class LoadBalancer(Component):
    TYPE = "tiketi:edge:LoadBalancer"
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings

        group = aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=args.vpc_id,
                                      description="Public ALB: CloudFront origin-facing servers only",
                                      tags={"Name": f"{args.name_prefix}-alb"}, opts=self._child())
        self._build_ingress(group)
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-gateway", security_group_id=group.id, description="to gateway-service pods",
            ip_protocol="tcp", from_port=GATEWAY_PORT, to_port=GATEWAY_PORT,
            referenced_security_group_id=args.eks_nodes_security_group_id, opts=self._child())
        allow_tcp_from(f"{name}-nodes", parent=self, group_id=args.eks_nodes_security_group_id, port=GATEWAY_PORT,
                       sources={"alb": group.id}, description="ALB to gateway-service pods")

        balancer = aws.lb.LoadBalancer(
            f"{name}-alb", name=f"{args.name_prefix}-alb", internal=False, load_balancer_type="application",
            subnets=list(args.public_subnet_ids), security_groups=[group.id], enable_http2=True,
            enable_cross_zone_load_balancing=True, drop_invalid_header_fields=True,
            enable_deletion_protection=settings.alb_deletion_protection, idle_timeout=60,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=args.logs_bucket_name, prefix=args.log_prefix,
                                                          enabled=True),
            opts=self._child(depends_on=[*args.logs_bucket_ready, args.internet_gateway],
                             delete_before_replace=True))
        target_group = aws.lb.TargetGroup(
            f"{name}-gateway", port=GATEWAY_PORT, protocol="HTTP",
            target_type="ip", vpc_id=args.vpc_id, deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(path="/health", interval=30, healthy_threshold=2,
                                                           unhealthy_threshold=3, matcher="200"),
            stickiness=aws.lb.TargetGroupStickinessArgs(type="lb_cookie", cookie_duration=86400, enabled=True),
            opts=self._child())
        self._build_listeners(balancer, target_group)

        self.dns_name, self.zone_id = balancer.dns_name, balancer.zone_id
        self.arn_suffix = balancer.arn_suffix
        self.target_group_arn = target_group.arn
        self.target_group_arn_suffix = target_group.arn_suffix  # CloudWatch's TargetGroup dimension
        self.security_group_id = group.id
        self.register_outputs({"dnsName": self.dns_name, "targetGroupArn": self.target_group_arn})


    def _build_ingress(self, group: aws.ec2.SecurityGroup) -> None:
        settings, name = self._args.settings, self._name
        if settings.use_cloudfront_prefix_list:
            prefix_list = aws.ec2.get_managed_prefix_list_output(
                name=CLOUDFRONT_PREFIX_LIST, opts=pulumi.InvokeOutputOptions(parent=self))
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-https-cloudfront", security_group_id=group.id, description="HTTPS from CloudFront",
                ip_protocol="tcp", from_port=443, to_port=443, prefix_list_id=prefix_list.id, opts=self._child())
            return
        for index, cidr in enumerate(settings.fallback_cidrs):
            for port, scheme in ((443, "https"), (80, "http")):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-{scheme}-fallback-{index}", security_group_id=group.id,
                    description=f"{scheme.upper()} from fallback range {cidr}", ip_protocol="tcp", from_port=port,
                    to_port=port, cidr_ipv4=str(cidr), tags={"Fallback": "true"}, opts=self._child())

    def _build_listeners(self, balancer: aws.lb.LoadBalancer, target_group: aws.lb.TargetGroup) -> None:
        args, name = self._args, self._name
        forward = aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)
        if not args.settings.alb_certificate_arn:
            aws.lb.Listener(f"{name}-http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
                            default_actions=[forward], opts=self._child())
            return
        aws.lb.Listener(
            f"{name}-http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="redirect", redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port="443", status_code="HTTP_301"))],
            opts=self._child())
        https = aws.lb.Listener(
            f"{name}-https", load_balancer_arn=balancer.arn, port=443, protocol="HTTPS",
            ssl_policy=args.settings.alb_ssl_policy,
            certificate_arn=args.settings.alb_certificate_arn,
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="fixed-response", fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    content_type="text/plain", message_body="forbidden", status_code="403"))],
            opts=self._child())
        aws.lb.ListenerRule(
            f"{name}-origin-verified", listener_arn=https.arn, priority=1,
            conditions=[aws.lb.ListenerRuleConditionArgs(http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
                http_header_name=ORIGIN_VERIFY_HEADER, values=[args.origin_verify_secret]))],
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=target_group.arn)],
            opts=self._child())
