"""InternalApi: ticket-service's internal API, reachable over HTTPS from the worker's subnets only.

The worker Lambda runs in the VPC, not in the cluster, so ``ticket-service.<ns>.svc.cluster.local``
means nothing to it. This component puts an internal Application Load Balancer in the app
subnets in front of ticket-service's pods (target type ip; the Cluster's TargetGroupBinding
registers the pods) and lets only the worker's security group reach it, on 443 only. Only
``/internal/*`` is forwarded; anything else gets a 404 from the load balancer.

TLS: the worker sends a bearer token on every call, so the hop is HTTPS with the regional
certificate (its ``CertificateValidation``: issued before the listener uses it) and the ALB TLS
policy of ``tiketi:edge.albSslPolicy``. A certificate only vouches for the names on it, and the
worker's client checks the name it called (Python's ``urllib`` verifies the chain and the host
name by default, PEP 476), so the worker calls ``https://<tiketi:edge.internalApiDomain>``, not
the load balancer's ``internal-...elb.amazonaws.com`` name. That name resolves inside the VPC
through a private hosted zone named exactly after it, holding one alias record to this load
balancer: a zone named after a wider domain would answer NXDOMAIN inside the VPC for every
other name of that domain (Route 53 Developer Guide, "Considerations when working with a
private hosted zone"). The VPC has DNS support and host names on (the Network component).

Like the public ALB: access logs to the logs bucket (prefix ``alb-internal``; the ALB waits for
the bucket policy, ELB writes a test object when logging is switched on), deletion protection
by config, invalid header fields dropped, the idle timeout of components/timeouts.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.network.app_security_groups import allow_tcp_from
from components.services import SERVICE_BY_NAME
from components.timeouts import ALB_IDLE_TIMEOUT_SECONDS

TICKET_SERVICE_PORT = 3002
LISTENER_PORT = 443


@dataclass(frozen=True)
class InternalApiArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    app_subnet_ids: Sequence[pulumi.Input[str]]
    worker_security_group_id: pulumi.Input[str]
    eks_nodes_security_group_id: pulumi.Input[str]
    domain_name: str  # tiketi:edge.internalApiDomain, on the certificate
    certificate_arn: pulumi.Input[str]  # issued: a CertificateValidation's certificate_arn (or given)
    ssl_policy: str
    deletion_protection: bool
    logs_bucket_name: pulumi.Input[str]
    log_prefix: str
    logs_bucket_policy: pulumi.Resource
    # The pod's readiness path (its readiness gate follows this check), not the aggregate /actuator/health,
    # which a Redis or database blip turns DOWN on every pod at once.
    health_check_path: str = SERVICE_BY_NAME["ticket-service"].readiness_path


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
                                      description="ticket-service internal API: HTTPS from the worker only",
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
            enable_http2=True, enable_deletion_protection=args.deletion_protection,
            idle_timeout=ALB_IDLE_TIMEOUT_SECONDS,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=args.logs_bucket_name, prefix=args.log_prefix,
                                                          enabled=True),
            # A fixed name: deleted before its replacement is created (a second ALB of that name is refused).
            opts=self._child(depends_on=[args.logs_bucket_policy], delete_before_replace=True))
        # Auto-named: a replacement is created while the listener rule still forwards to the old one
        # (a target group in use cannot be deleted first).
        target_group = aws.lb.TargetGroup(
            f"{name}-ticket", port=TICKET_SERVICE_PORT, protocol="HTTP",
            target_type="ip", vpc_id=args.vpc_id, deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(path=args.health_check_path, matcher="200", interval=30,
                                                           healthy_threshold=2, unhealthy_threshold=3),
            opts=child)
        listener = aws.lb.Listener(
            f"{name}-https", load_balancer_arn=balancer.arn, port=LISTENER_PORT, protocol="HTTPS",
            ssl_policy=args.ssl_policy, certificate_arn=args.certificate_arn,
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

        zone = aws.route53.Zone(
            f"{name}-zone", name=args.domain_name, comment=f"{args.name_prefix}: the internal API's name in the VPC",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=args.vpc_id)], opts=child)
        # The zone's apex -> the ALB (its canonical zone id, not the private zone's), A only: the ALB is IPv4.
        record = aws.route53.Record(
            f"{name}-name", zone_id=zone.zone_id, name=args.domain_name, type="A",
            aliases=[aws.route53.RecordAliasArgs(name=balancer.dns_name, zone_id=balancer.zone_id,
                                                 evaluate_target_health=False)],
            opts=child)

        # The URL waits for the record (and so for the load balancer): the worker's first call resolves.
        self.url = pulumi.Output.concat("https://", record.fqdn)
        self.target_group_arn = target_group.arn
        # CloudWatch's LoadBalancer and TargetGroup dimensions.
        self.arn_suffix, self.target_group_arn_suffix = balancer.arn_suffix, target_group.arn_suffix
        self.security_group_id = group.id
        self.register_outputs({"url": self.url, "targetGroupArn": self.target_group_arn})
