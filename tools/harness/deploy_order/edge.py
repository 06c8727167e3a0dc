"""Creation-time preconditions of the edge's certificates, names and logs, as deploy-order rules.

Imported into ``aws.py`` (``AWS_RULES``). Each rule cites where AWS (or the provider) documents
the check, or where the failure is on record; tests/harness/test_deploy_order_edge.py has a
synthetic failing case for each. The rules follow values, not the graph (a missing edge is what
they look for): the certificate ARN a listener names, the CNAMEs a certificate asks for, the
bucket a log delivery writes to, the log group a web ACL logs to, the target an alias names.
``EDGE_NO_PRECONDITION`` lists the edge types whose only create-time needs are their inputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tools.harness.deploy_order import aws_refs as refs
from tools.harness.deploy_order.graph import OrderRule
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot

LISTENER = "aws:lb/listener:Listener"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def _with_output(snap: Snapshot, type_: str, key: str, values: Iterable[Any]) -> list[Registration]:
    wanted = {v for v in values if isinstance(v, str) and v}
    return [r for r in snap.all(type_) if r.outputs.get(key) in wanted]


# --- what each rule looks up --------------------------------------------------------------------


def _certificate_in_use(resource: Registration) -> Any:
    if resource.type == DISTRIBUTION:
        return refs.get(resource, "viewerCertificate", "acmCertificateArn")
    return refs.get(resource, "certificateArn")


def _validation_of_certificate_used(snap: Snapshot, resource: Registration) -> list[Registration]:
    arn = _certificate_in_use(resource)
    return [v for v in snap.all(VALIDATION) if arn and refs.get(v, "certificateArn") == arn]


def _validation_records(snap: Snapshot, validation: Registration) -> list[Registration]:
    certificates = _with_output(snap, CERTIFICATE, "arn", [refs.get(validation, "certificateArn")])
    names = {o.get("resourceRecordName") for c in certificates for o in c.outputs.get("domainValidationOptions") or []}
    return [r for r in snap.all(RECORD) if refs.get(r, "name") in names]


def _delivery_needs(snap: Snapshot, delivery: Registration) -> list[Registration]:
    destinations = _with_output(snap, "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination", "arn",
                                [refs.get(delivery, "deliveryDestinationArn")])
    sources = _with_output(snap, "aws:cloudwatch/logDeliverySource:LogDeliverySource", "name",
                           [refs.get(delivery, "deliverySourceName")])
    bucket_arns = [refs.get(d, "deliveryDestinationConfiguration", "destinationResourceArn") for d in destinations]
    buckets = _with_output(snap, "aws:s3/bucket:Bucket", "arn", bucket_arns)
    policies = [p for p in snap.all("aws:s3/bucketPolicy:BucketPolicy") for b in buckets
                if refs.get(p, "bucket") in (b.id, b.outputs.get("bucket"))]
    return [*sources, *destinations, *policies]


def _policy_resources(document: Any) -> set[str]:
    try:
        statements = json.loads(document)["Statement"] if isinstance(document, str) else []
    except (ValueError, KeyError, TypeError):
        return set()
    found: set[str] = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        resources = statement.get("Resource") if isinstance(statement, dict) else None
        found.update([resources] if isinstance(resources, str) else resources or [])
    return found


def _waf_log_destination_and_policy(snap: Snapshot, logging: Registration) -> list[Registration]:
    groups = _with_output(snap, LOG_GROUP, "arn", refs.get(logging, "logDestinationConfigs") or [])
    arns = {g.outputs["arn"] for g in groups}
    policies = [p for p in snap.all(LOG_RESOURCE_POLICY)
                if any(r.removesuffix(":*") in arns for r in _policy_resources(refs.get(p, "policyDocument")))]
    return [*groups, *policies]


def _alias_target(snap: Snapshot, record: Registration) -> list[Registration]:
    names = [a.get("name") for a in refs.get(record, "aliases") or []]
    return (_with_output(snap, "aws:lb/loadBalancer:LoadBalancer", "dnsName", names)
            + _with_output(snap, DISTRIBUTION, "domainName", names))


# --- the rules ----------------------------------------------------------------------------------

TF_DOCS = "hashicorp/terraform-provider-aws website/docs/r/"

EDGE_RULES: tuple[OrderRule, ...] = (
    OrderRule(
        "certificate-issued-before-use", (LISTENER, DISTRIBUTION), _validation_of_certificate_used,
        why="a requested certificate is PENDING_VALIDATION until ACM sees its CNAMEs; CloudFront refuses it "
            "(InvalidViewerCertificate: ... isn't valid) and an HTTPS listener cannot use it (UnsupportedCertificate), "
            "so the user must wait for its CertificateValidation, which completes when the certificate is issued",
        source=TF_DOCS + "acm_certificate_validation.html.markdown (listener uses "
               "aws_acm_certificate_validation.certificate_arn); pulumi/pulumi-aws#5649"),
    OrderRule(
        "certificate-validation-needs-its-records", (VALIDATION,), _validation_records,
        why="the validation waits until ACM finds every validation CNAME in public DNS; without them it times out "
            "(the provider's default: 75 minutes) and the certificate stays PENDING_VALIDATION",
        source="docs.aws.amazon.com/acm/latest/userguide/domain-ownership-validation.html; "
               + TF_DOCS + "acm_certificate_validation.html.markdown"),
    OrderRule(
        "log-delivery-needs-bucket-policy", (LOG_DELIVERY,), _delivery_needs,
        why="CreateDelivery joins an existing delivery source and destination, and S3 delivery writes as "
            "delivery.logs.amazonaws.com only where the bucket policy lets it (V2 permissions); AWS CDK makes the "
            "delivery depend on that policy",
        source="docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html; aws/aws-cdk "
               "packages/@aws-cdk/mixins-preview/lib/services/aws-logs/logs-destination.ts"),
    OrderRule(
        "waf-logging-needs-log-group-and-policy", (WAF_LOGGING,), _waf_log_destination_and_policy,
        why="PutLoggingConfiguration checks the aws-waf-logs- destination exists and that log delivery may write to "
            "it; without the log group's resource policy WAF writes an account-wide one itself, or fails "
            "(WAFLogDestinationPermissionIssueException)",
        source="docs.aws.amazon.com/waf/latest/APIReference/API_LoggingConfiguration.html; "
               "hashicorp/terraform-provider-aws#25296"),
    OrderRule(
        "alias-record-needs-its-target", (RECORD,), _alias_target,
        why="Route 53 refuses an alias whose target does not exist yet (InvalidChangeBatch: Tried to create an alias "
            "that targets ..., but that target was not found)",
        source="docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html; rust-lang/simpleinfra#907"),
)

# Edge resource types whose only create-time needs are the resources their inputs name.
EDGE_NO_PRECONDITION: dict[str, str] = {
    CERTIFICATE: "RequestCertificate checks nothing else; it is issued once validated "
                 "(certificate-validation-needs-its-records)",
    "aws:route53/zone:Zone": "a private zone's VPC is an input, created with DNS support and host names on",
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": "the distribution is an input",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": "the bucket ARN is an input; writing is checked "
                                                                    "per delivery (log-delivery-needs-bucket-policy)",
    LOG_RESOURCE_POLICY: "names the log group by ARN without checking it",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "adopts the VPC's default group; the VPC is an input",
}
