"""Storage: the frontend static-assets bucket and the logs bucket (spec 4.5).

Frontend bucket: versioning by config, SSE-S3 (AES256) with a bucket key, all four
public-access-block flags, bucket-owner-enforced ownership, CORS GET/HEAD exposing ETag for
the configured origins, lifecycle ``delete-old-versions`` (noncurrent after 30 days) and
``abort-incomplete-multipart-uploads`` (7 days). Its bucket policy (only CloudFront's
``s3:GetObject`` for this one distribution, TLS only) is written by the Cdn component,
because it names the distribution, which needs the bucket first.

Logs bucket: SSE-S3, public access blocked, lifecycle to STANDARD_IA at 30 days, GLACIER at
90 and expiry after ``logsExpirationDays``; a policy that lets the region's ALB log delivery
write under ``alb/`` and denies non-TLS access. Ownership is "bucket owner preferred"
because CloudFront standard logging still writes with an ACL grant to its log-delivery
account.

Create-time order (tools/harness/deploy_order/aws.py): each bucket policy waits for the
bucket's public-access block and ownership controls (S3 refuses concurrent writes to one
bucket's configuration), the frontend lifecycle rules wait for versioning, and the component
hands out what others must wait for: ``alb_logs_ready`` (the policy that lets ELB write) and
``cloudfront_logs_ready`` (the ownership controls that enable ACLs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.security import iam

ALB_LOG_PREFIX = "alb"
CLOUDFRONT_LOG_PREFIX = "cloudfront/"


@dataclass(frozen=True)
class StorageArgs:
    name_prefix: str
    frontend_versioning: bool = True
    cors_origins: Sequence[str] = field(default_factory=tuple)
    logs_expiration_days: int = 365
    protect: bool = True  # Pulumi protect on both buckets (tiketi:protection.stateful)


class Storage(Component):
    TYPE = "tiketi:edge:Storage"
    frontend_bucket_name: pulumi.Output[str]
    frontend_bucket_arn: pulumi.Output[str]
    frontend_bucket_domain: pulumi.Output[str]
    logs_bucket_name: pulumi.Output[str]
    logs_bucket_domain: pulumi.Output[str]
    frontend_bucket_ready: list[pulumi.Resource]
    alb_logs_ready: list[pulumi.Resource]
    cloudfront_logs_ready: list[pulumi.Resource]

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
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-multipart-uploads", status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7)),
            ],
            # Noncurrent-version rules need versioning in place first (the provider's documented order:
            # "Must have bucket versioning enabled first", aws_s3_bucket_lifecycle_configuration).
            opts=self._child(depends_on=[versioning]))

        logs, logs_ready = self._private_bucket("logs", f"{args.name_prefix}-logs-", "BucketOwnerPreferred",
                                                bucket_key=False)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs", bucket=logs.id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="tier-and-expire-logs", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=30, storage_class="STANDARD_IA"),
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=90, storage_class="GLACIER"),
                ],
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.logs_expiration_days))],
            opts=self._child())
        elb_account = aws.elb.get_service_account_output(opts=pulumi.InvokeOutputOptions(parent=self))
        alb_logs = pulumi.Output.concat(logs.arn, f"/{ALB_LOG_PREFIX}/AWSLogs/*")
        logs_policy = aws.s3.BucketPolicy(
            f"{name}-logs", bucket=logs.id,
            policy=iam.document(
                # Regions older than August 2022 (ap-northeast-2 among them) deliver as the ELB account;
                # newer ones as the log-delivery service principal. Allow both for the ALB prefix only.
                {"Sid": "AlbLogDeliveryAccount", "Effect": "Allow", "Principal": {"AWS": elb_account.arn},
                 "Action": "s3:PutObject", "Resource": alb_logs},
                {"Sid": "AlbLogDeliveryService", "Effect": "Allow",
                 "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                 "Action": "s3:PutObject", "Resource": alb_logs},
                deny_insecure_transport(logs.arn),
            ),
            opts=self._child(depends_on=logs_ready),
        )

        self.frontend_bucket_name = frontend.bucket
        self.frontend_bucket_arn = frontend.arn
        self.frontend_bucket_domain = frontend.bucket_regional_domain_name
        self.frontend_bucket_id = frontend.id
        self.logs_bucket_name = logs.bucket
        self.logs_bucket_domain = logs.bucket_domain_name
        self.frontend_bucket_ready = frontend_ready  # the Cdn's frontend bucket policy waits for these
        self.alb_logs_ready = [logs_policy]
        self.cloudfront_logs_ready = [logs_ready[1]]  # ownership controls: ACLs enabled
        self.register_outputs({"frontendBucket": self.frontend_bucket_name, "logsBucket": self.logs_bucket_name})


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
