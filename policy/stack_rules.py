"""Rules over the whole stack: relations between resources that no single resource shows."""

from __future__ import annotations

from collections.abc import Iterable

from aws_rules import redirects_to_https
from policy_model import Resource, StackRule, get

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
FUNCTION = "aws:lambda/function:Function"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ACL_TYPES = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
LISTENER_TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULE_TYPES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")


def _of(resources: Iterable[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r.type in types]


def buckets_private_and_encrypted(resources: list[Resource]) -> list[tuple[Resource, str]]:
    found = []
    for bucket in _of(resources, BUCKET):
        blocks = [b for b in _of(resources, PUBLIC_ACCESS_BLOCK) if b.depends_on(bucket, "bucket")]
        if not any(all(b.props.get(flag) is True for flag in PAB_FLAGS) for b in blocks):
            found.append((bucket, "bucket does not block all public access (all four flags)"))
        encryption = [e for e in _of(resources, ENCRYPTION) if e.depends_on(bucket, "bucket")]
        if not any(get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
                   for e in encryption for rule in e.props.get("rules") or []):
            found.append((bucket, "bucket has no default encryption"))
    return found


def buckets_without_acls(resources: list[Resource]) -> list[tuple[Resource, str]]:
    """ACLs disabled on every bucket (object ownership BucketOwnerEnforced), and no ACL written anywhere.

    With ACLs on, whoever writes an object may keep it or grant it away; S3 recommends disabling
    them ("Controlling ownership of objects and disabling ACLs for your bucket")."""
    found = []
    for bucket in _of(resources, BUCKET):
        controls = [c for c in _of(resources, OWNERSHIP) if c.depends_on(bucket, "bucket")]
        if not any(get(c.props, "rule", "objectOwnership") == "BucketOwnerEnforced" for c in controls):
            found.append((bucket, "bucket has ACLs enabled: set its ownership controls to BucketOwnerEnforced"))
        if bucket.props.get("acl") or bucket.props.get("grants"):
            found.append((bucket, "bucket sets an ACL (acl/grants); ACLs must stay disabled"))
    found += [(acl, "bucket ACL resource: ACLs must stay disabled (BucketOwnerEnforced)")
              for acl in _of(resources, *ACL_TYPES)]
    return found


def plain_http_listener_rules(resources: list[Resource]) -> list[tuple[Resource, str]]:
    """A rule on a plain-HTTP listener may only redirect to HTTPS, as the listener itself (lb-listener-tls)."""
    plain = [listener for listener in _of(resources, *LISTENER_TYPES)
             if str(listener.props.get("protocol") or "HTTP").upper() == "HTTP"]
    found = []
    for rule in _of(resources, *LISTENER_RULE_TYPES):
        if any(rule.depends_on(listener, "listenerArn") for listener in plain) and not all(
                redirects_to_https(action) for action in rule.props.get("actions") or [{}]):
            found.append((rule, "rule on a plain-HTTP listener does more than redirect to HTTPS"))
    return found


def web_acls_log(resources: list[Resource]) -> list[tuple[Resource, str]]:
    """Every web ACL logs (what it blocked, and why, is the first question after an incident)."""
    configurations = _of(resources, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    return [(acl, "web ACL has no logging configuration")
            for acl in _of(resources, "aws:wafv2/webAcl:WebAcl")
            if not any(c.depends_on(acl, "resourceArn") for c in configurations)]


def edge_functions_in_us_east_1(resources: list[Resource]) -> list[tuple[Resource, str]]:
    found = []
    distributions = _of(resources, "aws:cloudfront/distribution:Distribution")
    for function in _of(resources, FUNCTION):
        if not any(d.depends_on(function) for d in distributions):
            continue
        if function.region != "us-east-1":
            found.append((function, f"Lambda@Edge function is in {function.region}, not us-east-1"))
        if function.props.get("publish") is not True:
            found.append((function, "Lambda@Edge function is not published: CloudFront needs a numbered version"))
    return found


# The one exception to "every queue has a dead-letter queue", and it must say so: a queue tagged
# with this key and a reason, that only EventBridge rules feed (Karpenter's interruption queue:
# notifications that expire in minutes; a DLQ would only keep stale ones). Nothing else qualifies.
NO_DLQ_TAG = "NoDeadLetterQueue"


def _dlq_exception(queue: Resource, resources: list[Resource]) -> str | None:
    """Why this queue may have no dead-letter queue, or None."""
    reason = (queue.props.get("tags") or {}).get(NO_DLQ_TAG)
    if not reason:
        return None
    targets = [t for t in _of(resources, "aws:cloudwatch/eventTarget:EventTarget") if t.depends_on(queue, "arn")]
    consumers = [m for m in _of(resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
                 if m.depends_on(queue, "eventSourceArn")]
    return reason if targets and not consumers else None


def queues_encrypted_with_dlq(resources: list[Resource]) -> list[tuple[Resource, str]]:
    queues = _of(resources, "aws:sqs/queue:Queue")
    found = []
    for queue in queues:
        if queue.props.get("sqsManagedSseEnabled") is not True and not queue.props.get("kmsMasterKeyId"):
            found.append((queue, "queue is not encrypted (SSE-SQS or KMS)"))
        is_dead_letter_queue = any(q.depends_on(queue, "redrivePolicy") for q in queues)
        if not is_dead_letter_queue and not queue.props.get("redrivePolicy") and not _dlq_exception(queue, resources):
            found.append((queue, "queue has no dead-letter queue (redrivePolicy; or, for a queue only EventBridge "
                                 f"rules feed, a {NO_DLQ_TAG} tag saying why)"))
    return found


def queue_workers_in_vpc_with_tracing(resources: list[Resource]) -> list[tuple[Resource, str]]:
    mappings = _of(resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
    found = []
    for function in _of(resources, FUNCTION):
        if not any(m.depends_on(function, "functionName") for m in mappings):
            continue
        if not get(function.props, "vpcConfig", "subnetIds"):
            found.append((function, "queue worker is not in the VPC"))
        if get(function.props, "tracingConfig", "mode") != "Active":
            found.append((function, "queue worker does not trace with X-Ray (tracingConfig.mode Active)"))
    return found


def _namespace(r: Resource) -> str | None:
    return get(r.props, "metadata", "namespace")


def namespaces_default_deny(resources: list[Resource]) -> list[tuple[Resource, str]]:
    policies = _of(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    found = []
    for namespace in _of(resources, "kubernetes:core/v1:Namespace"):
        name = get(namespace.props, "metadata", "name")
        if not any(_namespace(p) == name and get(p.props, "spec", "podSelector") == {}
                   and set(get(p.props, "spec", "policyTypes") or []) >= {"Ingress", "Egress"} for p in policies):
            found.append((namespace, f"namespace {name} has no default-deny NetworkPolicy (ingress and egress)"))
    return found


def autoscaled_workloads_have_pdbs(resources: list[Resource]) -> list[tuple[Resource, str]]:
    deployments = {(_namespace(d), get(d.props, "metadata", "name")): d
                   for d in _of(resources, "kubernetes:apps/v1:Deployment")}
    pdbs = _of(resources, "kubernetes:policy/v1:PodDisruptionBudget")
    found = []
    for hpa in _of(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"):
        target = deployments.get((_namespace(hpa), get(hpa.props, "spec", "scaleTargetRef", "name")))
        if target is None:
            continue
        labels = get(target.props, "spec", "template", "metadata", "labels") or {}
        covered = any(_namespace(p) == _namespace(hpa) and
                      (get(p.props, "spec", "selector", "matchLabels") or {None: None}).items() <= labels.items()
                      for p in pdbs)
        if not covered:
            found.append((hpa, f"{get(target.props, 'metadata', 'name')} is autoscaled but has no PodDisruptionBudget"))
    return found


STACK_RULES: tuple[StackRule, ...] = (
    StackRule("s3-private-encrypted", "S3 buckets block all public access and are encrypted",
              buckets_private_and_encrypted),
    StackRule("s3-acls-disabled", "S3 buckets have ACLs disabled (bucket owner enforced)", buckets_without_acls),
    StackRule("lb-http-rules-redirect", "Rules on plain-HTTP listeners only redirect to HTTPS",
              plain_http_listener_rules),
    StackRule("waf-logging", "Every web ACL has a logging configuration", web_acls_log),
    StackRule("lambda-edge-us-east-1", "Lambda@Edge functions are published in us-east-1", edge_functions_in_us_east_1),
    StackRule("sqs-encrypted-with-dlq", "SQS queues are encrypted and have a dead-letter queue",
              queues_encrypted_with_dlq),
    StackRule("worker-vpc-tracing", "Queue workers run in the VPC with X-Ray tracing",
              queue_workers_in_vpc_with_tracing),
    StackRule("namespace-default-deny", "Every namespace has a default-deny NetworkPolicy", namespaces_default_deny),
    StackRule("hpa-has-pdb", "Every HPA target has a PodDisruptionBudget", autoscaled_workloads_have_pdbs),
)
