"""Storage: the frontend static-assets bucket and the logs bucket (spec 4.5).

Frontend bucket: versioning by config, SSE-S3 (AES256) with a bucket key, all four
public-access-block flags, bucket-owner-enforced ownership, CORS GET/HEAD exposing ETag for
the configured origins, lifecycle ``delete-old-versions`` (noncurrent after 30 days) and
``abort-incomplete-multipart-uploads`` (7 days). Its bucket policy (only CloudFront's
``s3:GetObject`` for this one distribution, TLS only) is written by the Cdn component,
because it names the distribution, which needs the bucket first.

Logs bucket: SSE-S3 (the only encryption ALB access logs support), public access blocked,
ACLs disabled (bucket owner enforced: nothing writes with an ACL grant any more), lifecycle to
STANDARD_IA at 30 days, GLACIER at 90, expiry after ``logsExpirationDays`` and incomplete
multipart uploads aborted after 7 days (one lifecycle configuration per bucket: a second one
would fight the first). Its policy lets in, each under its own prefix and only for this account:

- ALB access logs, under ``alb/AWSLogs/<account>/`` (public ALB) and
  ``alb-internal/AWSLogs/<account>/`` (internal ALB): ELB writes
  ``<prefix>/AWSLogs/<account-id>/elasticloadbalancing/<region>/...`` (ELB User Guide, "Access log
  files"). Regions older than August 2022 (ap-northeast-2 among them) deliver as the region's
  ELB account, newer ones as ``logdelivery.elasticloadbalancing.amazonaws.com``; both are allowed;
- CloudFront standard logging v2 (``delivery.logs.amazonaws.com``) under ``AWSLogs/<account>/``,
  where CloudWatch Logs' S3 delivery writes (``AWSLogs/<account>/CloudFront/``), only from this
  account's delivery source for this stack (``aws:SourceAccount``, ``aws:SourceArn``) and with
  ``bucket-owner-full-control``, as the CloudWatch Logs User Guide's "Logs sent to Amazon S3"
  permissions (V2) and AWS CDK's ``S3DeliveryDestination`` write it.

Everything else is denied over plain HTTP.

Create-time order (tools/harness/deploy_order/aws.py): each bucket policy waits for the
bucket's public-access block and ownership controls (S3 refuses concurrent writes to one
bucket's configuration), the frontend lifecycle rules wait for versioning, and the component
hands out what others must wait for: ``logs_bucket_policy`` (the policy that lets ELB and the
CloudFront log delivery write) and ``frontend_bucket_ready`` (what the Cdn's frontend bucket
policy waits for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.security import iam

ALB_LOG_PREFIX = "alb"
INTERNAL_ALB_LOG_PREFIX = "alb-internal"
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
# CloudFront's v2 access logs are delivered from us-east-1, whatever the bucket's region (CloudFront
# Developer Guide, "Configure standard logging (v2)": the CloudWatch API calls must use us-east-1).
CLOUDFRONT_LOG_DELIVERY_REGION = "us-east-1"


def cloudfront_log_source_name(name_prefix: str) -> str:
    """The CloudWatch Logs delivery source of the stack's distribution (named here: the bucket policy names it)."""
    return f"{name_prefix}-cloudfront"


def abort_incomplete_uploads() -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """The rule every bucket's lifecycle carries: parts of an upload never completed cost storage forever."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="abort-incomplete-multipart-uploads", status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS))


@dataclass(frozen=True)
class StorageArgs:
    name_prefix: str
    frontend_versioning: bool = True
    cors_origins: Sequence[str] = field(default_factory=tuple)
    logs_expiration_days: int = 365
    cloudfront_logs: bool = True  # let the stack's CloudFront log delivery write (tiketi:edge.cloudfront)
    protect: bool = True  # Pulumi protect on both buckets (tiketi:protection.stateful)


class Storage(Component):
    TYPE = "tiketi:edge:Storage"
    frontend_bucket_name: pulumi.Output[str]
    frontend_bucket_arn: pulumi.Output[str]
    frontend_bucket_domain: pulumi.Output[str]
    logs_bucket_name: pulumi.Output[str]
    logs_bucket_arn: pulumi.Output[str]
    logs_bucket_policy: aws.s3.BucketPolicy
    frontend_bucket_ready: list[pulumi.Resource]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        frontend, frontend_ready = self._private_bucket("frontend", f"{args.name_prefix}-frontend-",
                                                        "BucketOwnerEnforced", bucket_key=True)
        versioning = aws.s3.BucketVersioning(
            f"{name}-frontend", bucket=frontend.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled" if args.frontend_versioning else "Suspended"),
            opts=self._child())
        if args.cors_origins:
            aws.s3.BucketCorsConfiguration(
                f"{name}-frontend", bucket=frontend.id,
                cors_rules=[aws.s3.BucketCorsConfigurationCorsRuleArgs(
                    allowed_methods=["GET", "HEAD"], allowed_origins=list(args.cors_origins), allowed_headers=["*"],
                    expose_headers=["ETag"], max_age_seconds=3000)],
                opts=self._child())
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-frontend", bucket=frontend.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="delete-old-versions", status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=30)),
                abort_incomplete_uploads(),
            ],
            # Noncurrent-version rules need versioning in place first (the provider's documented order:
            # "Must have bucket versioning enabled first", aws_s3_bucket_lifecycle_configuration).
            opts=self._child(depends_on=[versioning]))

        # ACLs off: ALB access logs and CloudFront's v2 delivery both write as the bucket owner.
        logs, logs_ready = self._private_bucket("logs", f"{args.name_prefix}-logs-", "BucketOwnerEnforced",
                                                bucket_key=False)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs", bucket=logs.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="tier-and-expire-logs", status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=30, storage_class="STANDARD_IA"),
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=90, storage_class="GLACIER"),
                    ],
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.logs_expiration_days)),
                abort_incomplete_uploads(),
            ],
            opts=self._child())
        self.logs_bucket_policy = aws.s3.BucketPolicy(
            f"{name}-logs", bucket=logs.id, policy=self._logs_policy(logs), opts=self._child(depends_on=logs_ready))

        self.frontend_bucket_name = frontend.bucket
        self.frontend_bucket_arn = frontend.arn
        self.frontend_bucket_domain = frontend.bucket_regional_domain_name
        self.frontend_bucket_id = frontend.id
        self.logs_bucket_name = logs.bucket
        self.logs_bucket_arn = logs.arn
        self.frontend_bucket_ready = frontend_ready  # the Cdn's frontend bucket policy waits for these
        self.register_outputs({"frontendBucket": self.frontend_bucket_name, "logsBucket": self.logs_bucket_name})

    def _logs_policy(self, logs: aws.s3.Bucket) -> pulumi.Output[str]:
        args, parent = self._args, pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=parent).account_id
        elb_account = aws.elb.get_service_account_output(opts=parent)
        alb_logs = [pulumi.Output.concat(logs.arn, f"/{prefix}/AWSLogs/", account, "/*")
                    for prefix in (ALB_LOG_PREFIX, INTERNAL_ALB_LOG_PREFIX)]
        statements = [
            {"Sid": "AlbLogDeliveryAccount", "Effect": "Allow", "Principal": {"AWS": elb_account.arn},
             "Action": "s3:PutObject", "Resource": alb_logs},
            {"Sid": "AlbLogDeliveryService", "Effect": "Allow",
             "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": alb_logs},
        ]
        if args.cloudfront_logs:
            source = pulumi.Output.concat("arn:aws:logs:", CLOUDFRONT_LOG_DELIVERY_REGION, ":", account,
                                          ":delivery-source:", cloudfront_log_source_name(args.name_prefix))
            statements.append(
                {"Sid": "CloudFrontLogDelivery", "Effect": "Allow",
                 "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:PutObject",
                 "Resource": pulumi.Output.concat(logs.arn, "/AWSLogs/", account, "/*"),
                 "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                                "aws:SourceAccount": account},
                               "ArnLike": {"aws:SourceArn": source}}})
        return iam.document(*statements, deny_insecure_transport(logs.arn))


    def _private_bucket(self, role: str, prefix: str, ownership: str,
                        bucket_key: bool) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        """The bucket, and what a policy on it must wait for: [public-access block, ownership controls]."""
        # bucket_prefix: a replacement gets a new name, so create-before-delete never collides.
        bucket = aws.s3.Bucket(f"{self._name}-{role}", bucket_prefix=prefix, force_destroy=False,
                               opts=self._child(protect=self._args.protect))
        block = aws.s3.BucketPublicAccessBlock(f"{self._name}-{role}", bucket=bucket.id, block_public_acls=True,
                                               block_public_policy=True, ignore_public_acls=True,
                                               restrict_public_buckets=True, opts=self._child())
        ownership_controls = aws.s3.BucketOwnershipControls(
            f"{self._name}-{role}", bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership=ownership), opts=self._child())
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{self._name}-{role}", bucket=bucket.id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"),
                bucket_key_enabled=bucket_key)],
            opts=self._child())
        return bucket, [block, ownership_controls]


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> dict:
    """The TLS-only statement every bucket policy here carries (the Cdn's too)."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
