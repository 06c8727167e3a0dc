"""Database: RDS PostgreSQL behind RDS Proxy (spec 4.3), with its security groups and alarms.

Owns the database security group, subnet group (data subnets), parameter group, the
instance and its log group, the rotation schedule of its master password, RDS Proxy (own
security group in the app subnets, one SECRETS auth per service user, an IAM role that can
read exactly those secrets) and the RDS alarms.

Master password: RDS generates it, keeps it in a Secrets Manager secret of its own
(``manage_master_user_password``; the value never passes through Pulumi) and rotates it every
``masterPasswordRotationDays`` — no rotation Lambda to run. Why not a Secrets Manager rotation
function: it needs a Lambda in the VPC, a SAR/CloudFormation stack and a secret Pulumi must then
stop writing; the managed secret's limits (no Blue/Green deployment while it is on, RDS User
Guide "Limitations for Secrets Manager integration") are documented in docs/operations.md. The
master is **not** in the proxy's auth list: only the database bootstrap Job uses it, connecting
to the instance itself, so a master rotation cannot disturb any connection through the proxy.

Traffic chain: EKS nodes / worker -> proxy (5432) -> instance (5432); the proxy may also
reach Secrets Manager's VPC endpoint (443 inside the VPC) for the credentials. Without a proxy
(``tiketi:database.proxy: false``, staging) clients reach the instance directly.
The instance admits 5432 only from the application groups and the proxy.

Lifecycle: the instance is ``protect``ed by config (tiketi:protection.stateful) and keeps its
identifier; a replacement deletes it first (``delete_before_replace``; deletion protection and
``protect`` stop that in prod). Its final snapshot is named ``<identifier>-final-<random>``,
the suffix generated once per stack life, so destroying a re-created stack never collides with
the snapshot an earlier destroy left. ``applyImmediately`` decides whether changes wait for
the maintenance window (a major upgrade needs it: docs/operations.md). RDS Proxy waits for its
role's policy, and its target for the values of the user secrets it logs in with.

Monitoring: Performance Insights stays on (7 days) under CloudWatch Database Insights
*standard* mode. AWS ended the Performance Insights console on 2026-07-31 and moved it
into Database Insights, but the API still accepts ``performance_insights_*``; setting the
mode explicitly keeps the plan stable when AWS flips the default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.base import Component
from components.config.data import PROXY_MAX_CONNECTIONS_PERCENT, DatabaseSettings
from components.network.app_security_groups import allow_tcp_from
from components.observability.alarms import metric_alarm
from components.security import iam

PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
PARAMETERS = {
    "shared_preload_libraries": ("pg_stat_statements", "pending-reboot"),  # static: applies on reboot
    "log_statement": ("ddl", "immediate"),
    "log_min_duration_statement": ("1000", "immediate"),  # ms: log statements slower than 1 s
    "rds.force_ssl": ("1", "immediate"),  # TLS required for every client connection
}


@dataclass(frozen=True)
class DatabaseArgs:
    name_prefix: str
    settings: DatabaseSettings
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    data_subnet_ids: Sequence[pulumi.Input[str]]
    app_subnet_ids: Sequence[pulumi.Input[str]]
    client_security_groups: Mapping[str, pulumi.Input[str]]
    user_secret_arns: Mapping[str, pulumi.Input[str]]  # service -> its database user's secret (proxy auths)
    user_secret_values: Sequence[pulumi.Resource]  # their SecretVersions: the proxy target waits for them
    alarm_topic_arn: pulumi.Input[str]
    protect: bool = True  # tiketi:protection.stateful


class Database(Component):
    TYPE = "tiketi:data:Database"
    endpoint: pulumi.Output[str]
    port: int
    security_group_id: pulumi.Output[str]
    client_target_security_group_id: pulumi.Output[str]
    instance_identifier: str
    proxy_name: pulumi.Output[str] | None  # CloudWatch's ProxyName dimension
    instance_address: pulumi.Output[str]  # the instance itself (the bootstrap Job; services use ``endpoint``)
    master_secret_arn: pulumi.Output[str]  # the RDS-managed secret (username, password) of the master user

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings
        self.instance_identifier = f"{args.name_prefix}-postgres"
        self.proxy_name = None

        db_sg = self._security_group("db", "PostgreSQL: 5432 from the application groups and RDS Proxy only")
        proxy_sg = (
            self._security_group("proxy", "RDS Proxy: 5432 from the application groups") if settings.proxy else None
        )
        allowed = dict(args.client_security_groups)
        if proxy_sg is not None:
            allowed["proxy"] = proxy_sg.id
        self._allow_postgres(db_sg, "db", allowed)
        instance = self._build_instance(db_sg)
        self.master_secret_arn = self._rotate_master_password(instance)

        endpoint = instance.address
        if proxy_sg is not None:
            self._allow_postgres(proxy_sg, "proxy", dict(args.client_security_groups))
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-proxy-to-db", security_group_id=proxy_sg.id, description="RDS Proxy to PostgreSQL",
                ip_protocol="tcp", from_port=PORT, to_port=PORT, referenced_security_group_id=db_sg.id,
                opts=self._child(),
            )
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-proxy-to-endpoints", security_group_id=proxy_sg.id,
                description="RDS Proxy to Secrets Manager through its VPC endpoint", ip_protocol="tcp",
                from_port=443, to_port=443, cidr_ipv4=args.vpc_cidr, opts=self._child(),
            )
            endpoint = self._build_proxy(proxy_sg, instance)
        self._build_alarms()

        self.endpoint = endpoint
        self.instance_address = instance.address
        self.port = PORT
        self.security_group_id = db_sg.id
        self.client_target_security_group_id = proxy_sg.id if proxy_sg is not None else db_sg.id
        self.register_outputs({
            "endpoint": self.endpoint, "port": self.port, "securityGroupId": self.security_group_id,
            "clientTargetSecurityGroupId": self.client_target_security_group_id,
            "instanceAddress": self.instance_address, "masterSecretArn": self.master_secret_arn,
        })


    def _security_group(self, role: str, description: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(f"{self._name}-{role}", vpc_id=self._args.vpc_id, description=description,
                                     tags={"Name": f"{self._args.name_prefix}-{role}"}, opts=self._child())

    def _allow_postgres(self, group: aws.ec2.SecurityGroup, target: str,
                        sources: Mapping[str, pulumi.Input[str]]) -> None:
        allow_tcp_from(f"{self._name}-{target}", parent=self, group_id=group.id, port=PORT, sources=sources,
                       description="PostgreSQL from {source}")

    def _build_instance(self, db_sg: aws.ec2.SecurityGroup) -> aws.rds.Instance:
        args, settings, name = self._args, self._args.settings, self._name
        subnets = aws.rds.SubnetGroup(f"{name}-subnets", subnet_ids=list(args.data_subnet_ids),
                                      description="Data subnets: no route out of the VPC", opts=self._child())
        parameters = aws.rds.ParameterGroup(
            f"{name}-parameters", family=settings.parameter_group_family,
            description=f"{args.name_prefix} PostgreSQL: pg_stat_statements, DDL and slow-query logs, TLS only",
            parameters=[aws.rds.ParameterGroupParameterArgs(name=key, value=value, apply_method=method)
                        for key, (value, method) in PARAMETERS.items()] + [
                # Explicit, so the connection budget is a known number (tiketi:database.maxConnections or
                # 90 % of RDS's own formula for the class); static: applies at creation or on reboot.
                aws.rds.ParameterGroupParameterArgs(name="max_connections",
                                                    value=str(settings.effective_max_connections),
                                                    apply_method="pending-reboot")],
            opts=self._child(),
        )
        # RDS writes to these group names (one per exported log type); creating them first is what
        # lets us set retention, or RDS creates them never to expire.
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-{log_type}-logs", name=f"/aws/rds/instance/{self.instance_identifier}/{log_type}",
                retention_in_days=settings.log_retention_days, opts=self._child(),
            )
            for log_type in LOG_EXPORTS
        ]
        monitoring = self._monitoring_role()
        return aws.rds.Instance(
            f"{name}-instance",
            identifier=self.instance_identifier,
            engine="postgres",
            engine_version=settings.engine_version,
            allow_major_version_upgrade=settings.allow_major_version_upgrade,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage_gb,
            max_allocated_storage=settings.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            publicly_accessible=False,
            multi_az=settings.multi_az,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[db_sg.id],
            parameter_group_name=parameters.name,
            port=PORT,
            username=settings.master_username,
            # RDS generates the master password and keeps it in Secrets Manager. Switching an instance
            # that had `password` to this is an in-place ModifyDBInstance (terraform-provider-aws
            # rds/instance.go: manage_master_user_password is not ForceNew; ConflictsWith password).
            manage_master_user_password=True,
            # No initial database: "postgres" always exists, and the services create their own.
            backup_window="03:00-04:00",
            maintenance_window="Mon:04:00-Mon:05:00",
            backup_retention_period=settings.backup_retention_days,
            copy_tags_to_snapshot=True,
            performance_insights_enabled=True,
            performance_insights_retention_period=7,
            database_insights_mode="standard",
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            monitoring_interval=settings.enhanced_monitoring_seconds,
            monitoring_role_arn=monitoring.arn if monitoring is not None else None,
            auto_minor_version_upgrade=True,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=not settings.final_snapshot,
            final_snapshot_identifier=self._final_snapshot_identifier() if settings.final_snapshot else None,
            apply_immediately=settings.apply_immediately,
            opts=self._child(depends_on=[*log_groups, *self._monitoring_attachments], protect=args.protect,
                             delete_before_replace=True),
        )

    def _final_snapshot_identifier(self) -> pulumi.Output[str]:
        # A fixed name makes the second destroy of a re-created stack fail (DBSnapshotAlreadyExists).
        suffix = random.RandomId(f"{self._name}-final-snapshot", byte_length=4, opts=self._child())
        return pulumi.Output.concat(self.instance_identifier, "-final-", suffix.hex)

    def _monitoring_role(self) -> aws.iam.Role | None:
        """Enhanced Monitoring's role: RDS (this account only) assumes it to write OS metrics to RDSOSMetrics."""
        self._monitoring_attachments: list[pulumi.Resource] = []
        if not self._args.settings.enhanced_monitoring_seconds:
            return None
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html (trust,
        # confused-deputy condition) and the AmazonRDSEnhancedMonitoringRole managed policy (logs on RDS*).
        role = aws.iam.Role(f"{self._name}-monitoring",
                            description="RDS Enhanced Monitoring: OS metrics to CloudWatch Logs",
                            assume_role_policy=iam.trust("monitoring.rds.amazonaws.com", condition={
                                "StringEquals": {"aws:SourceAccount": account_id}}),
                            opts=self._child())
        self._monitoring_attachments.append(aws.iam.RolePolicyAttachment(
            f"{self._name}-monitoring", role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole", opts=self._child()))
        return role

    def _rotate_master_password(self, instance: aws.rds.Instance) -> pulumi.Output[str]:
        """The managed secret's ARN, and its rotation schedule (RDS's default is every 7 days)."""
        secret_arn = instance.master_user_secrets.apply(lambda secrets: secrets[0].secret_arn)
        # For a secret RDS manages, Secrets Manager rotates without a Lambda ("rotation_lambda_arn: Must
        # be supplied if the secret is not managed by AWS", pulumi-aws SecretRotation). Not immediately:
        # a schedule change must not rotate the password as a side effect of `pulumi up`.
        aws.secretsmanager.SecretRotation(
            f"{self._name}-master-password", secret_id=secret_arn, rotate_immediately=False,
            rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                automatically_after_days=self._args.settings.master_password_rotation_days),
            opts=self._child())
        return secret_arn

    def _build_proxy(self, proxy_sg: aws.ec2.SecurityGroup, instance: aws.rds.Instance) -> pulumi.Output[str]:
        args, name = self._args, self._name
        users = dict(sorted(args.user_secret_arns.items()))
        role = aws.iam.Role(f"{name}-proxy", assume_role_policy=iam.trust("rds.amazonaws.com"),
                            description="RDS Proxy: read the services' database user secrets", opts=self._child())
        # Exactly the user secrets, by ARN (RDS User Guide, rds-proxy-iam-setup). They use the AWS managed
        # key aws/secretsmanager, which same-account readers may use without a kms:Decrypt grant.
        read_secret = aws.iam.RolePolicy(
            f"{name}-proxy-secret", role=role.id,
            policy=iam.document(iam.allow(["secretsmanager:GetSecretValue"], list(users.values()),
                                          sid="ReadServiceUserSecrets")),
            opts=self._child(),
        )
        proxy = aws.rds.Proxy(
            f"{name}-proxy",
            name=f"{args.name_prefix}-postgres",
            engine_family="POSTGRESQL",
            require_tls=True,
            idle_client_timeout=1800,
            role_arn=role.arn,
            vpc_subnet_ids=list(args.app_subnet_ids),
            vpc_security_group_ids=[proxy_sg.id],
            # One auth per database user ("a separate Secrets Manager secret for each database user account
            # that the proxy connects to", rds-proxy-secrets-arns; up to 200 per proxy). The master is not
            # one of them (module docstring).
            auths=[aws.rds.ProxyAuthArgs(auth_scheme="SECRETS", secret_arn=arn, iam_auth="DISABLED",
                                         client_password_auth_type="POSTGRES_SCRAM_SHA_256",  # noqa: S106
                                         description=f"{service} database user")
                   for service, arn in users.items()],
            opts=self._child(depends_on=[read_secret], delete_before_replace=True),
        )
        target_group = aws.rds.ProxyDefaultTargetGroup(
            f"{name}-proxy-pool", db_proxy_name=proxy.name,
            connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
                max_connections_percent=PROXY_MAX_CONNECTIONS_PERCENT, max_idle_connections_percent=50,
                connection_borrow_timeout=120),
            opts=self._child(),
        )
        # The proxy logs in with the secrets' values: register the target once they exist.
        aws.rds.ProxyTarget(f"{name}-proxy-target", db_proxy_name=proxy.name,
                            target_group_name=target_group.name, db_instance_identifier=instance.identifier,
                            opts=self._child(depends_on=list(args.user_secret_values)))
        self.proxy_name = proxy.name
        return proxy.endpoint

    def _build_alarms(self) -> None:
        args, thresholds = self._args, self._args.settings.alarms
        common = {"parent": self, "topic_arn": args.alarm_topic_arn, "namespace": "AWS/RDS",
                  "dimensions": {"DBInstanceIdentifier": self.instance_identifier}}
        metric_alarm(f"{self._name}-cpu", metric="CPUUtilization", statistic="Average",
                     comparison="GreaterThanThreshold", threshold=thresholds.cpu_percent, evaluation_periods=3,
                     description=f"{self.instance_identifier}: CPU above {thresholds.cpu_percent:g}% for 15 minutes",
                     first_check="Performance Insights top SQL (slow queries in the postgresql log group); "
                                 "a deploy that changed a query",
                     **common)
        metric_alarm(f"{self._name}-free-storage", metric="FreeStorageSpace", statistic="Minimum",
                     comparison="LessThanThreshold", threshold=thresholds.free_storage_gb * 1024**3,
                     evaluation_periods=1,
                     description=f"{self.instance_identifier}: less than {thresholds.free_storage_gb:g} GiB free",
                     first_check="whether storage autoscaling reached maxAllocatedStorageGb; table and WAL growth",
                     **common)
        metric_alarm(f"{self._name}-connections", metric="DatabaseConnections", statistic="Average",
                     comparison="GreaterThanThreshold", threshold=thresholds.connections, evaluation_periods=2,
                     description=f"{self.instance_identifier}: more than {thresholds.connections} connections",
                     first_check="RDS Proxy client connections and the pods' Hikari pool sizes (HPA scaled out?)",
                     **common)
