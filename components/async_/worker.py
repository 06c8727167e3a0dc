"""Worker: the ticket-worker Lambda that drains the ticket-events queue (spec 4.6, 8.2).

Owns the function (code: ``lambdas/ticket_worker/handler.py``, named file by file), its log group, its
least-privilege role, the egress rules of its security group (the group itself is one of
the AppSecurityGroups, so the data tier can admit it), the SQS event source mapping and
the Lambda alarms.

Egress is exactly the spec's table: 5432 to the RDS Proxy group (the database's group
when the stack runs without a proxy), 6379 to the Redis group, 443 to the VPC CIDR (VPC
endpoints) and all traffic to 0.0.0.0/0.

The event source mapping sets no batching window: a FIFO queue does not accept
``MaximumBatchingWindowInSeconds``, so the spec's 5-second window cannot apply here.
Order: the function waits for its role's policies (Lambda refuses a VPC function whose role
cannot create network interfaces, and later uses the same role to delete them: on destroy the
policy must outlive the function, or its ENIs keep the subnets and security group alive), and
the event source mapping waits for them too (Lambda checks the role may receive from SQS).
The function keeps its fixed name (its log group is named after it) and is deleted before a
replacement is created.

The function reads its one secret, the internal API token, from Secrets Manager at run time
(on its first invocation, and again after a 401: lambdas/ticket_worker/handler.py), so a
rotation reaches it without a deploy; its role may ``GetSecretValue`` on that secret alone, by
ARN, and its environment holds the secret's ARN, never a value (anyone with
``lambda:GetFunctionConfiguration`` reads a function's environment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.async_.queue import CONSUMER_ACTIONS
from components.base import Component
from components.config.async_ import WORKER_BATCH_SIZE, WorkerSettings
from components.lambda_code import code_archive
from components.observability.alarms import metric_alarm
from components.security import iam

CODE_FILES = ("handler.py",)  # lambdas/ticket_worker/: stdlib only, one module
RUNTIME = "python3.13"
BATCH_SIZE = WORKER_BATCH_SIZE


@dataclass(frozen=True)
class WorkerArgs:
    name_prefix: str
    settings: WorkerSettings
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    vpc_cidr: str
    database_security_group_id: pulumi.Input[str]
    cache_security_group_id: pulumi.Input[str]
    queue_arn: pulumi.Input[str]
    max_receive_count: int
    ticket_service_url: pulumi.Input[str]
    internal_api_token_secret_arn: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]


class Worker(Component):
    TYPE = "tiketi:async:Worker"
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: WorkerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings
        function_name = f"{args.name_prefix}-ticket-worker"

        self._build_egress()
        log_group = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/aws/lambda/{function_name}",
                                            retention_in_days=settings.log_retention_days, opts=self._child())
        role, permissions = self._build_role()
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Drains the ticket-events FIFO queue into ticket-service's internal API",
            runtime=RUNTIME,
            architectures=["arm64"],
            handler="handler.handler",
            code=code_archive("ticket_worker", CODE_FILES),
            role=role.arn,
            timeout=settings.timeout_seconds,
            memory_size=settings.memory_mb,
            reserved_concurrent_executions=settings.reserved_concurrency,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(subnet_ids=list(args.subnet_ids),
                                                         security_group_ids=[args.security_group_id]),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active" if settings.tracing else "PassThrough"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={
                "TICKET_SERVICE_URL": args.ticket_service_url,
                "INTERNAL_API_TOKEN_SECRET_ARN": args.internal_api_token_secret_arn,
                # The handler stops a record that fails on its last receive from blocking its group.
                "MAX_RECEIVE_COUNT": str(args.max_receive_count),
            }),
            opts=self._child(depends_on=[log_group, *permissions], delete_before_replace=True),
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-queue",
            event_source_arn=args.queue_arn,
            function_name=function.arn,
            batch_size=BATCH_SIZE,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=settings.maximum_concurrency),
            opts=self._child(depends_on=permissions),
        )
        self._build_alarms(function.name)

        self.function_name, self.function_arn, self.role_arn = function.name, function.arn, role.arn
        self.register_outputs({"functionName": self.function_name, "roleArn": self.role_arn})


    def _build_egress(self) -> None:
        args, name = self._args, self._name
        rules = {
            "postgres": ("tcp", 5432, 5432, {"referenced_security_group_id": args.database_security_group_id},
                         "PostgreSQL through RDS Proxy"),
            "redis": ("tcp", 6379, 6379, {"referenced_security_group_id": args.cache_security_group_id},
                      "Redis"),
            "vpc-https": ("tcp", 443, 443, {"cidr_ipv4": args.vpc_cidr}, "VPC endpoints"),
            "all": ("-1", None, None, {"cidr_ipv4": "0.0.0.0/0"}, "everything else (internal API, NAT)"),
        }
        for role, (protocol, low, high, target, description) in rules.items():
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-egress-{role}", security_group_id=args.security_group_id, description=description,
                ip_protocol=protocol, from_port=low, to_port=high, opts=self._child(), **target)

    def _build_role(self) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The role, and its policies (what the function and its mapping must wait for)."""
        args, name = self._args, self._name
        role = aws.iam.Role(f"{name}-role", assume_role_policy=iam.trust("lambda.amazonaws.com"),
                            description="ticket-worker: VPC access, its queue, its token, X-Ray", opts=self._child())
        # ENI management in the VPC and writing its logs.
        vpc_access = aws.iam.RolePolicyAttachment(
            f"{name}-vpc-access", role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole", opts=self._child())
        statements = [iam.allow(CONSUMER_ACTIONS, args.queue_arn, sid="ConsumeTicketEvents"),
                      # That one secret (AWS managed key aws/secretsmanager: no kms:Decrypt needed in-account).
                      iam.allow(["secretsmanager:GetSecretValue"], args.internal_api_token_secret_arn,
                                sid="ReadInternalApiToken")]
        if args.settings.tracing:
            statements.append(iam.allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*",
                                             sid="WriteTraces"))
        queue = aws.iam.RolePolicy(f"{name}-queue", role=role.id, policy=iam.document(*statements),
                                   opts=self._child())
        return role, [vpc_access, queue]

    def _build_alarms(self, function_name: pulumi.Input[str]) -> None:
        settings = self._args.settings
        common = {"parent": self, "topic_arn": self._args.alarm_topic_arn, "namespace": "AWS/Lambda",
                  "dimensions": {"FunctionName": function_name}}
        metric_alarm(f"{self._name}-errors", metric="Errors", statistic="Sum", comparison="GreaterThanThreshold",
                     threshold=settings.errors_alarm_threshold, evaluation_periods=2,
                     description=f"ticket-worker: more than {settings.errors_alarm_threshold} errors in 5 minutes, "
                                 "twice",
                     first_check="the worker log group (Logs Insights: filter @message like /ERROR/)", **common)
        duration_limit_ms = 0.8 * settings.timeout_seconds * 1000
        metric_alarm(f"{self._name}-duration", metric="Duration", statistic="Average",
                     comparison="GreaterThanThreshold", threshold=duration_limit_ms, evaluation_periods=2,
                     description="ticket-worker: average duration above 80% of its timeout",
                     first_check="ticket-service p95 latency and the internal ALB target health", **common)
        metric_alarm(f"{self._name}-throttles", metric="Throttles", statistic="Sum",
                     comparison="GreaterThanThreshold", threshold=0, evaluation_periods=1,
                     missing_data="notBreaching", description="ticket-worker: invocations throttled",
                     first_check="reservedConcurrency against the queue depth", **common)
