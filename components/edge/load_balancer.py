"""LoadBalancer: the internet-facing ALB in front of the frontend and gateway-service (spec 4.1).

Owns the ALB security group and its rules, the node-side rules that let the ALB reach the
frontend and gateway pods, the ALB (HTTP/2, cross-zone, invalid header fields dropped, access
logs, deletion protection by config, idle timeout chosen with CloudFront's, components/timeouts.py),
one target group per service (an ALB's target group serves one load balancer, so neither is
shared with the internal ALB; both target type ip, filled by the Cluster's TargetGroupBindings),
the listeners and, with ``dns: route53``, the origin name's alias record.

Routing (HTTPS listener, rules in priority order; ALB User Guide, "Listener rules"):

- 10: ``X-Origin-Verify`` carries the secret AND the path is one of ``GATEWAY_PATHS`` (``/api/*``,
  ``/health``, ``/actuator/health``) -> gateway-service :3001;
- 20: ``X-Origin-Verify`` carries the secret -> frontend :3000 (Next.js renders the pages;
  ``/_next/image`` and ``/_next/data/*`` are its own too);
- default: 403.

A rule may hold up to five condition values, three in one condition (ALB User Guide,
"Listener rules": "You can specify up to three match evaluations per condition ... up to five
match evaluations per rule"): rule 10 uses one for the header and three for the paths. The
spec's edge function lets ``/actuator`` through; only its health endpoint reaches the gateway
here, the rest (metrics) stays inside the cluster.

Who may connect: with ``useCloudfrontPrefixList`` (default) only CloudFront's origin-facing
servers, on 443. The managed prefix list is looked up by name and counts as its maximum
size (55) against the security group's rule quota (60), so it can be referenced once:
HTTP 80 is *not* opened to CloudFront. CloudFront talks to this origin over HTTPS only,
so nothing legitimate arrives on 80 from it; the HTTP listener redirects to HTTPS for the
fallback CIDRs. With the prefix list off, ``fallbackCidrs`` get 443 and 80; those rules are
tagged ``Fallback=true``, the only rules a policy may allow from wide ranges.

TLS: the HTTPS listener presents the regional certificate once ACM has issued it (the
certificate ARN comes from its ``CertificateValidation``); its policy is
``tiketi:edge.albSslPolicy`` (default ``ELBSecurityPolicy-TLS13-1-2-2021-06``); the policy pack
refuses anything but TLS 1.3 policies, and any listener that neither speaks TLS nor redirects
to HTTPS.

Create-time order: the ALB waits for the logs bucket's policy (ELB writes a test object when
access logs are switched on and fails with "Access Denied for bucket" without it) and for the
VPC's internet gateway (an internet-facing ALB in a VPC without one is refused: "VPC ... has no
internet gateway"). Names: the ALB keeps its readable name and is deleted before a replacement
is created (``delete_before_replace``; deletion protection stops that in prod); the target
groups are auto-named, so a replacement (new port) is created while listeners still use the old.

Node ingress from the ALB is 3000 and 3001 only (the spec's table opens 0-65535): the ALB talks
to nothing but frontend and gateway pods, health checks included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.config.edge import EdgeSettings
from components.network.app_security_groups import allow_tcp_from
from components.services import SERVICE_BY_NAME
from components.timeouts import ALB_IDLE_TIMEOUT_SECONDS

GATEWAY_PORT = 3001
FRONTEND_PORT = 3000
# The paths gateway-service answers; every other page is the frontend's.
GATEWAY_PATHS = ("/api/*", "/health", "/actuator/health")
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
    logs_bucket_policy: pulumi.Resource  # ELB checks it may write when access logs are switched on
    internet_gateway: pulumi.Resource  # Network.internet_gateway: an internet-facing ALB needs one
    origin_verify_secret: pulumi.Input[str]
    certificate_arn: pulumi.Input[str]  # issued: a CertificateValidation's certificate_arn (or given)
    hosted_zone_id: pulumi.Input[str] | None = None  # dns: route53: write the origin name's record there


class LoadBalancer(Component):
    TYPE = "tiketi:edge:LoadBalancer"
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    frontend_target_group_arn: pulumi.Output[str]
    frontend_target_group_arn_suffix: pulumi.Output[str]
    origin_domain: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings

        group = aws.ec2.SecurityGroup(f"{name}-sg", vpc_id=args.vpc_id,
                                      description="Public ALB: CloudFront origin-facing servers only",
                                      tags={"Name": f"{args.name_prefix}-alb"}, opts=self._child())
        self._build_ingress(group)
        for service, port, suffix in (("gateway-service", GATEWAY_PORT, ""), ("frontend", FRONTEND_PORT, "-frontend")):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-to-{service.removesuffix('-service')}", security_group_id=group.id,
                description=f"to {service} pods", ip_protocol="tcp", from_port=port, to_port=port,
                referenced_security_group_id=args.eks_nodes_security_group_id, opts=self._child())
            allow_tcp_from(f"{name}-nodes{suffix}", parent=self, group_id=args.eks_nodes_security_group_id, port=port,
                           sources={"alb": group.id}, description=f"ALB to {service} pods")

        balancer = aws.lb.LoadBalancer(
            f"{name}-alb", name=f"{args.name_prefix}-alb", internal=False, load_balancer_type="application",
            subnets=list(args.public_subnet_ids), security_groups=[group.id], enable_http2=True,
            enable_cross_zone_load_balancing=True, drop_invalid_header_fields=True,
            enable_deletion_protection=settings.alb_deletion_protection, idle_timeout=ALB_IDLE_TIMEOUT_SECONDS,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=args.logs_bucket_name, prefix=args.log_prefix,
                                                          enabled=True),
            opts=self._child(depends_on=[args.logs_bucket_policy, args.internet_gateway],
                             delete_before_replace=True))
        # Auto-named, like the frontend's: a replacement is created while the listener rule still forwards here.
        gateway = aws.lb.TargetGroup(
            f"{name}-gateway", port=GATEWAY_PORT, protocol="HTTP",
            target_type="ip", vpc_id=args.vpc_id, deregistration_delay=30,
            # The pod's own readiness path: through its readiness gate this check decides the pod's readiness.
            health_check=aws.lb.TargetGroupHealthCheckArgs(path=SERVICE_BY_NAME["gateway-service"].readiness_path,
                                                           interval=30, healthy_threshold=2,
                                                           unhealthy_threshold=3, matcher="200"),
            stickiness=aws.lb.TargetGroupStickinessArgs(type="lb_cookie", cookie_duration=86400, enabled=True),
            opts=self._child())
        # Auto-named: a replacement is created while the listener rule still forwards to the old one.
        frontend = aws.lb.TargetGroup(
            f"{name}-frontend", port=FRONTEND_PORT, protocol="HTTP", target_type="ip", vpc_id=args.vpc_id,
            deregistration_delay=30,
            # The pods' own readiness probe ("/", components/services.py); a redirect (to a
            # login or locale page) is a healthy answer too. ALB health checks reach the targets
            # directly, not through the listener rules.
            health_check=aws.lb.TargetGroupHealthCheckArgs(path=SERVICE_BY_NAME["frontend"].readiness_path,
                                                           interval=30, healthy_threshold=2,
                                                           unhealthy_threshold=3, matcher="200-399"),
            opts=self._child())
        self._build_listeners(balancer, gateway, frontend)

        self.dns_name, self.zone_id = balancer.dns_name, balancer.zone_id
        self.origin_domain = self._origin_record(balancer)
        self.arn_suffix = balancer.arn_suffix
        self.target_group_arn, self.frontend_target_group_arn = gateway.arn, frontend.arn
        # CloudWatch's TargetGroup dimension (observability's alarms and dashboard).
        self.target_group_arn_suffix, self.frontend_target_group_arn_suffix = gateway.arn_suffix, frontend.arn_suffix
        self.security_group_id = group.id
        self.register_outputs({"dnsName": self.dns_name, "originDomain": self.origin_domain,
                               "targetGroupArn": self.target_group_arn,
                               "frontendTargetGroupArn": self.frontend_target_group_arn})

    def _origin_record(self, balancer: aws.lb.LoadBalancer) -> pulumi.Output[str]:
        """The origin name -> this ALB (dns: route53), or the name as the team's DNS has it (dns: external)."""
        args = self._args
        if args.hosted_zone_id is None:
            return pulumi.Output.from_input(args.settings.alb_origin_domain)
        # An alias to the ALB's own DNS name and canonical zone (not the DNS zone: "alias target name
        # does not lie within the target zone" otherwise). A only: the ALB is IPv4. Target health is
        # not evaluated: a single simple record has nothing to fail over to, and before the pods
        # register every target group is unhealthy (Route 53 API, AliasTarget.EvaluateTargetHealth).
        record = aws.route53.Record(
            f"{self._name}-origin", zone_id=args.hosted_zone_id, name=args.settings.alb_origin_domain, type="A",
            aliases=[aws.route53.RecordAliasArgs(name=balancer.dns_name, zone_id=balancer.zone_id,
                                                 evaluate_target_health=False)],
            opts=self._child())
        return record.fqdn


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

    def _build_listeners(self, balancer: aws.lb.LoadBalancer, gateway: aws.lb.TargetGroup,
                         frontend: aws.lb.TargetGroup) -> None:
        args, name = self._args, self._name
        aws.lb.Listener(
            f"{name}-http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="redirect", redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port="443", status_code="HTTP_301"))],
            opts=self._child())
        https = aws.lb.Listener(
            f"{name}-https", load_balancer_arn=balancer.arn, port=443, protocol="HTTPS",
            ssl_policy=args.settings.alb_ssl_policy, certificate_arn=args.certificate_arn,
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="fixed-response", fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                    content_type="text/plain", message_body="forbidden", status_code="403"))],
            opts=self._child())
        from_cloudfront = aws.lb.ListenerRuleConditionArgs(http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(
            http_header_name=ORIGIN_VERIFY_HEADER, values=[args.origin_verify_secret]))
        aws.lb.ListenerRule(
            f"{name}-gateway-paths", listener_arn=https.arn, priority=10,
            conditions=[from_cloudfront, aws.lb.ListenerRuleConditionArgs(
                path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(GATEWAY_PATHS)))],
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=gateway.arn)],
            opts=self._child())
        aws.lb.ListenerRule(
            f"{name}-pages", listener_arn=https.arn, priority=20, conditions=[from_cloudfront],
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=frontend.arn)],
            opts=self._child())
