"""CdnLogs: CloudFront's access logs (standard logging v2) and the web ACL's logs, all set up in us-east-1.

A child of the Cdn, on the Cdn's us-east-1 provider (its parent passes it as the ``aws`` provider).

CloudFront standard logging v2 (CloudFront Developer Guide, "Configure standard logging (v2)")
is a CloudWatch Logs vended-log delivery: a delivery source for the distribution (log type
``ACCESS_LOGS``; one per distribution: a second fails with "This ResourceId has already been
used in another Delivery Source"), a delivery destination (the logs bucket, which may be in
another region) and the delivery between them. All three are created in us-east-1: "When
calling the CloudWatch API to enable standard logging, you must specify the US East (N.
Virginia) Region (us-east-1)". S3 delivery writes under ``AWSLogs/<account>/CloudFront/`` as the
bucket owner (``bucket-owner-full-control``), so the bucket needs no ACL; the bucket policy
(Storage) must admit ``delivery.logs.amazonaws.com`` first, and the delivery waits for it as AWS
CDK's ``S3DeliveryDestination`` does. This replaces legacy logging, which needed ACLs on the
bucket since April 2023 (aws/aws-cdk#25291).

WAF logs (WAF Developer Guide, "Logging web ACL traffic"): a CloudWatch Logs group whose name
starts with ``aws-waf-logs-`` in the web ACL's region (us-east-1 for CLOUDFRONT scope), a
resource policy letting ``delivery.logs.amazonaws.com`` write to it (created here, before the
logging configuration: otherwise WAF writes one account-wide policy itself, which needs
``logs:PutResourcePolicy`` and can outgrow the 5120-character limit,
WAFLogDestinationPermissionIssueException, hashicorp/terraform-provider-aws#25296), and the
logging configuration with the ``authorization`` and ``cookie`` headers redacted (header names
lower case, as WAF requires).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.edge.storage import cloudfront_log_source_name
from components.security import iam

WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"  # WAF refuses a destination named otherwise
REDACTED_HEADERS = ("authorization", "cookie")
LOG_REGION = "us-east-1"


@dataclass(frozen=True)
class CdnLogsArgs:
    name_prefix: str
    distribution_arn: pulumi.Input[str]
    logs_bucket_arn: pulumi.Input[str]
    logs_bucket_policy: pulumi.Resource  # Storage.logs_bucket_policy: admits delivery.logs.amazonaws.com
    web_acl_arn: pulumi.Input[str] | None = None
    waf_log_retention_days: int = 90


class CdnLogs(Component):
    TYPE = "tiketi:edge:CdnLogs"
    waf_log_group_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: CdnLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        self._build_access_logs()
        self.waf_log_group_name = self._build_waf_logs() if args.web_acl_arn is not None else None
        self.register_outputs({"wafLogGroup": self.waf_log_group_name})

    def _build_access_logs(self) -> None:
        args, name = self._args, self._name
        # Deleted before a replacement is created: PutDeliverySource/PutDeliveryDestination create or
        # update by name (the new one would be the old one, then deleted with it), and a distribution
        # takes one delivery source only.
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-cloudfront", name=cloudfront_log_source_name(args.name_prefix), log_type="ACCESS_LOGS",
            resource_arn=args.distribution_arn, opts=self._child(delete_before_replace=True))
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-cloudfront", name=f"{args.name_prefix}-cloudfront-s3", output_format="json",
            delivery_destination_configuration=aws.cloudwatch.LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
                destination_resource_arn=args.logs_bucket_arn),
            opts=self._child(delete_before_replace=True))
        aws.cloudwatch.LogDelivery(
            f"{name}-cloudfront", delivery_source_name=source.name, delivery_destination_arn=destination.arn,
            opts=self._child(depends_on=[args.logs_bucket_policy]))

    def _build_waf_logs(self) -> pulumi.Output[str]:
        args, name = self._args, self._name
        group = aws.cloudwatch.LogGroup(
            f"{name}-waf", name=f"{WAF_LOG_GROUP_PREFIX}{args.name_prefix}-edge",
            retention_in_days=args.waf_log_retention_days, opts=self._child())
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        # The policy CloudWatch Logs documents for vended logs sent to a log group ("Logs sent to
        # CloudWatch Logs"), narrowed to this one group.
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-waf", policy_name=f"{args.name_prefix}-waf-logs",
            policy_document=iam.document({
                "Sid": "WafLogDelivery", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(group.arn, ":*"),
                "Condition": {"StringEquals": {"aws:SourceAccount": account},
                              "ArnLike": {"aws:SourceArn": pulumi.Output.concat(
                                  "arn:aws:logs:", LOG_REGION, ":", account, ":*")}}}),
            opts=self._child())
        single_header = aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf", resource_arn=args.web_acl_arn, log_destination_configs=[group.arn],
            redacted_fields=[aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(single_header=single_header(name=h))
                             for h in REDACTED_HEADERS],
            opts=self._child(depends_on=[policy]))
        return group.name
