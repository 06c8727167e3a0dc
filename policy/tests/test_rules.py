"""Every rule: a compliant input passes, a violating input fails with the rule's message."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from policy_engine import check_resource, evaluate
from policy_model import Resource

N = 0


def res(type_: str, props: dict, **extra) -> Resource:
    global N
    N += 1
    name = extra.pop("name", f"r{N}")
    return Resource(type=type_, name=name, urn=f"urn:pulumi:prod::tiketi::{type_}::{name}", props=props, **extra)


def rules_hit(resource: Resource) -> list[str]:
    return [v.rule for v in check_resource(resource)]


LISTENER = "aws:lb/listener:Listener"
ALB = "aws:lb/loadBalancer:LoadBalancer"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DIST = "aws:cloudfront/distribution:Distribution"
GOOD_DIST = {
    "defaultCacheBehavior": {"viewerProtocolPolicy": "https-only", "responseHeadersPolicyId": "rhp"},
    "orderedCacheBehaviors": [{"pathPattern": "/static/*", "viewerProtocolPolicy": "redirect-to-https",
                               "responseHeadersPolicyId": "rhp"}],
    "viewerCertificate": {"acmCertificateArn": "arn", "minimumProtocolVersion": "TLSv1.2_2021"},
}


# --- resource rules -----------------------------------------------------------------------------


def test_alb_tls13_policy():
    assert rules_hit(res(LISTENER, {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})) == []
    [violation] = check_resource(res(LISTENER, {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"}))
    assert violation.rule == "alb-https-tls13"
    assert "ELBSecurityPolicy-2016-08" in violation.message
    # An HTTP listener has no TLS policy to check (it may only redirect: lb-listener-tls).
    assert rules_hit(res(LISTENER, {"protocol": "HTTP", "defaultActions": [REDIRECT]})) == []


REDIRECT = {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
FORWARD = {"type": "forward", "targetGroupArn": "tg"}


@pytest.mark.parametrize("props,hit", [
    ({"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "defaultActions": [FORWARD]}, False),
    ({"protocol": "HTTP", "defaultActions": [REDIRECT]}, False),
    ({"protocol": "HTTP", "port": 80, "defaultActions": [FORWARD]}, True),
    ({"port": 80, "defaultActions": [FORWARD]}, True),  # an ALB listener's protocol defaults to HTTP
    ({"protocol": "HTTP", "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTP", "port": "8080"}}]},
     True),
    ({"protocol": "HTTP", "defaultActions": [{"type": "fixed-response", "fixedResponse": {"statusCode": "404"}}]},
     True),
    ({"protocol": "TCP", "port": 5432, "defaultActions": [FORWARD]}, True),
])
def test_listeners_speak_tls_or_only_redirect_to_https(props, hit):
    assert rules_hit(res(LISTENER, props)) == (["lb-listener-tls"] if hit else [])


def test_the_tls_message_names_the_port_and_protocol():
    [violation] = check_resource(res(LISTENER, {"protocol": "HTTP", "port": 80, "defaultActions": [FORWARD]}))
    assert violation.message == ("listener on port 80 speaks HTTP without TLS; use HTTPS (or TLS), or only "
                                 "redirect HTTP to HTTPS")


def test_rules_on_a_plain_http_listener_may_only_redirect():
    http = res(LISTENER, {"protocol": "HTTP", "defaultActions": [REDIRECT]}, name="http")
    https = res(LISTENER, {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, name="https")
    rule_type = "aws:lb/listenerRule:ListenerRule"
    on_http = res(rule_type, {"actions": [FORWARD]}, name="sneaky", dependencies={"listenerArn": (http.urn,)})
    on_https = res(rule_type, {"actions": [FORWARD]}, name="fine", dependencies={"listenerArn": (https.urn,)})
    redirect = res(rule_type, {"actions": [REDIRECT]}, name="ok", dependencies={"listenerArn": (http.urn,)})
    assert [str(v) for v in evaluate([http, https, on_http, on_https, redirect])] == [
        "[lb-http-rules-redirect] sneaky: rule on a plain-HTTP listener does more than redirect to HTTPS"]


def test_alb_drops_invalid_headers():
    assert rules_hit(res(ALB, {"loadBalancerType": "application", "dropInvalidHeaderFields": True})) == []
    assert rules_hit(res(ALB, {"loadBalancerType": "application"})) == ["alb-drop-invalid-headers"]
    assert rules_hit(res(ALB, {"loadBalancerType": "network"})) == []


@pytest.mark.parametrize("props,hit", [
    ({"cidrIpv4": "10.0.0.0/16", "fromPort": 443}, False),
    ({"prefixListId": "pl-1", "fromPort": 443}, False),
    ({"cidrIpv4": "0.0.0.0/0", "fromPort": 443}, True),
    ({"cidrIpv6": "::/0", "fromPort": 443}, True),
    ({"cidrIpv4": "0.0.0.0/0", "fromPort": 443, "tags": {"Fallback": "true"}}, False),
])
def test_no_open_ingress_rules(props, hit):
    assert rules_hit(res(INGRESS, props)) == (["sg-no-open-ingress"] if hit else [])


def test_no_open_inline_or_legacy_rules():
    assert rules_hit(res("aws:ec2/securityGroup:SecurityGroup",
                         {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 22}]})) == ["sg-no-open-ingress"]
    assert rules_hit(res("aws:ec2/securityGroupRule:SecurityGroupRule",
                         {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"]})) == ["sg-no-open-ingress"]
    assert rules_hit(res("aws:ec2/securityGroupRule:SecurityGroupRule",
                         {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]})) == []


def test_cloudfront_viewers():
    assert rules_hit(res(DIST, GOOD_DIST)) == []
    http = copy.deepcopy(GOOD_DIST)
    http["orderedCacheBehaviors"][0]["viewerProtocolPolicy"] = "allow-all"
    [violation] = check_resource(res(DIST, http))
    assert violation.message == "behaviour /static/* lets viewers use HTTP ('allow-all')"
    old_tls = copy.deepcopy(GOOD_DIST)
    old_tls["viewerCertificate"] = {"cloudfrontDefaultCertificate": True}
    assert rules_hit(res(DIST, old_tls)) == ["cloudfront-https-viewers"]
    no_headers = copy.deepcopy(GOOD_DIST)
    del no_headers["defaultCacheBehavior"]["responseHeadersPolicyId"]
    assert "security-headers" in check_resource(res(DIST, no_headers))[0].message


@pytest.mark.parametrize("change,message", [
    ({"storageEncrypted": False}, "storage is not encrypted"),
    ({"publiclyAccessible": True}, "instance is publicly accessible"),
    ({"backupRetentionPeriod": 0}, "automated backups are off (backupRetentionPeriod < 1)"),
    ({"deletionProtection": False}, "prod database without deletion protection"),
])
def test_rds_posture(change, message):
    good = {"storageEncrypted": True, "publiclyAccessible": False, "backupRetentionPeriod": 7,
            "deletionProtection": True}
    assert rules_hit(res("aws:rds/instance:Instance", good, environment="prod")) == []
    [violation] = check_resource(res("aws:rds/instance:Instance", {**good, **change}, environment="prod"))
    assert (violation.rule, violation.message) == ("rds-encrypted-private-backed-up", message)


def test_rds_deletion_protection_only_required_in_prod():
    props = {"storageEncrypted": True, "backupRetentionPeriod": 1, "deletionProtection": False}
    assert rules_hit(res("aws:rds/instance:Instance", props, environment="staging")) == []


def test_rds_proxy_requires_tls():
    assert rules_hit(res("aws:rds/proxy:Proxy", {"requireTls": True})) == []
    assert rules_hit(res("aws:rds/proxy:Proxy", {"requireTls": False})) == ["rds-proxy-requires-tls"]


def test_elasticache_posture():
    good = {"atRestEncryptionEnabled": True, "transitEncryptionEnabled": True, "authToken": "t" * 32}
    rg = "aws:elasticache/replicationGroup:ReplicationGroup"
    assert rules_hit(res(rg, good)) == []
    assert [v.message for v in check_resource(res(rg, {**good, "authToken": None,
                                                        "transitEncryptionEnabled": False}))] == [
        "not encrypted in transit", "no AUTH token"]


def deployment(container: dict, pod_security: dict | None = None) -> Resource:
    return res("kubernetes:apps/v1:Deployment", {"metadata": {"name": "d", "namespace": "ns"}, "spec": {
        "template": {"spec": {"securityContext": pod_security or {}, "containers": [container]}}}})


GOOD_CONTAINER = {"name": "app", "image": "repo/app:1.2.3",
                  "securityContext": {"runAsNonRoot": True, "runAsUser": 1001, "allowPrivilegeEscalation": False,
                                      "capabilities": {"drop": ["ALL"]}},
                  "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}


@pytest.mark.parametrize("change,message", [
    ({"securityContext": {**GOOD_CONTAINER["securityContext"], "runAsNonRoot": False}}, "may run as root"),
    ({"securityContext": {**GOOD_CONTAINER["securityContext"], "runAsUser": 0}}, "may run as root"),
    ({"securityContext": {**GOOD_CONTAINER["securityContext"], "allowPrivilegeEscalation": True}},
     "allows privilege escalation"),
    ({"securityContext": {**GOOD_CONTAINER["securityContext"], "capabilities": {"drop": ["NET_RAW"]}}},
     "does not drop ALL capabilities"),
    ({"resources": {"limits": {"memory": "1Gi"}}}, "has no cpu and memory limits"),
    ({"image": "repo/app:latest"}, "is not pinned"),
    ({"image": "repo/app"}, "is not pinned"),
])
def test_kubernetes_container_hardening(change, message):
    assert rules_hit(deployment(GOOD_CONTAINER)) == []
    [violation] = check_resource(deployment({**GOOD_CONTAINER, **change}))
    assert violation.rule == "k8s-container-hardening" and message in violation.message


def test_pod_level_non_root_counts_and_digests_are_pinned():
    container = {**GOOD_CONTAINER, "image": "repo/app@sha256:" + "a" * 64,
                 "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
    assert rules_hit(deployment(container, {"runAsNonRoot": True, "runAsUser": 1001})) == []


# --- stack rules --------------------------------------------------------------------------------


def bucket_with(pab: dict | None, encrypted: bool, ownership: str | None = "BucketOwnerEnforced") -> list[Resource]:
    bucket = res("aws:s3/bucket:Bucket", {}, name="bucket")
    resources = [bucket]
    if ownership is not None:
        resources.append(res("aws:s3/bucketOwnershipControls:BucketOwnershipControls",
                             {"rule": {"objectOwnership": ownership}}, dependencies={"bucket": (bucket.urn,)}))
    if pab is not None:
        resources.append(res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", pab,
                             dependencies={"bucket": (bucket.urn,)}))
    if encrypted:
        resources.append(res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                             {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
                             dependencies={"bucket": (bucket.urn,)}))
    return resources


ALL_BLOCKED = dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"),
                            True)


def test_buckets_private_and_encrypted():
    assert evaluate(bucket_with(ALL_BLOCKED, True)) == []
    assert [str(v) for v in evaluate(bucket_with({**ALL_BLOCKED, "restrictPublicBuckets": False}, True))] == [
        "[s3-private-encrypted] bucket: bucket does not block all public access (all four flags)"]
    assert [v.message for v in evaluate(bucket_with(None, False))] == [
        "bucket does not block all public access (all four flags)", "bucket has no default encryption"]


@pytest.mark.parametrize("ownership", ["BucketOwnerPreferred", "ObjectWriter", None])
def test_buckets_with_acls_enabled_are_refused(ownership):
    assert [str(v) for v in evaluate(bucket_with(ALL_BLOCKED, True, ownership))] == [
        "[s3-acls-disabled] bucket: bucket has ACLs enabled: set its ownership controls to BucketOwnerEnforced"]


def test_acl_resources_and_bucket_acls_are_refused():
    resources = bucket_with(ALL_BLOCKED, True)
    acl = res("aws:s3/bucketAcl:BucketAcl", {"acl": "private"}, name="acl",
              dependencies={"bucket": (resources[0].urn,)})
    assert [v.rule for v in evaluate([*resources, acl])] == ["s3-acls-disabled"]
    legacy = [dataclasses.replace(resources[0], props={"acl": "log-delivery-write"}), *resources[1:]]
    assert [v.message for v in evaluate(legacy)] == ["bucket sets an ACL (acl/grants); ACLs must stay disabled"]


def test_every_web_acl_logs():
    acl = res("aws:wafv2/webAcl:WebAcl", {"scope": "CLOUDFRONT"}, name="waf")
    logging = res("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
                  {"logDestinationConfigs": ["arn:aws:logs:us-east-1:1:log-group:aws-waf-logs-x"]},
                  dependencies={"resourceArn": (acl.urn,)})
    assert evaluate([acl, logging]) == []
    assert [str(v) for v in evaluate([acl])] == ["[waf-logging] waf: web ACL has no logging configuration"]


def edge(region: str, publish: bool) -> list[Resource]:
    function = res("aws:lambda/function:Function", {"publish": publish}, name="edge", region=region)
    distribution = res(DIST, GOOD_DIST, dependencies={"defaultCacheBehavior": (function.urn,)})
    return [function, distribution]


def test_edge_functions_published_in_us_east_1():
    assert evaluate(edge("us-east-1", True)) == []
    assert [v.message for v in evaluate(edge("ap-northeast-2", True))] == [
        "Lambda@Edge function is in ap-northeast-2, not us-east-1"]
    assert [v.rule for v in evaluate(edge("us-east-1", False))] == ["lambda-edge-us-east-1"]
    lone = res("aws:lambda/function:Function", {"publish": False}, region="ap-northeast-2")
    assert evaluate([lone]) == []  # not an edge function


def test_queues_encrypted_with_dlq():
    dlq = res("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True}, name="dlq")
    main = res("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True, "redrivePolicy": "{...}"}, name="main",
               dependencies={"redrivePolicy": (dlq.urn,)})
    assert evaluate([dlq, main]) == []
    bare = res("aws:sqs/queue:Queue", {}, name="bare")
    assert [v.message for v in evaluate([bare])] == [
        "queue is not encrypted (SSE-SQS or KMS)",
        "queue has no dead-letter queue (redrivePolicy; or, for a queue only EventBridge rules feed, a "
        "NoDeadLetterQueue tag saying why)"]


def interruption_queue(tags: dict, fed_by_eventbridge: bool = True, consumed_by_lambda: bool = False) -> list:
    queue = res("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": True, "tags": tags}, name="interruptions")
    found = [queue]
    if fed_by_eventbridge:
        found.append(res("aws:cloudwatch/eventTarget:EventTarget", {}, dependencies={"arn": (queue.urn,)}))
    if consumed_by_lambda:
        found.append(res("aws:lambda/eventSourceMapping:EventSourceMapping", {},
                         dependencies={"eventSourceArn": (queue.urn,)}))
    return found


def test_an_eventbridge_queue_may_go_without_a_dlq_only_when_it_says_why():
    reason = {"NoDeadLetterQueue": "EventBridge notifications that expire in 300 s"}
    assert evaluate(interruption_queue(reason)) == []
    # The exception is explicit, and only for queues nothing but EventBridge rules feed.
    for resources in (interruption_queue({}), interruption_queue({"NoDeadLetterQueue": ""}),
                      interruption_queue(reason, fed_by_eventbridge=False),
                      interruption_queue(reason, consumed_by_lambda=True)):
        assert [v.rule for v in evaluate(resources)] == ["sqs-encrypted-with-dlq"]


def worker(props: dict) -> list[Resource]:
    function = res("aws:lambda/function:Function", props, name="worker")
    mapping = res("aws:lambda/eventSourceMapping:EventSourceMapping", {},
                  dependencies={"functionName": (function.urn,)})
    return [function, mapping]


def test_queue_workers_in_vpc_with_tracing():
    good = {"vpcConfig": {"subnetIds": ["s1"]}, "tracingConfig": {"mode": "Active"}}
    assert evaluate(worker(good)) == []
    assert [v.message for v in evaluate(worker({**good, "tracingConfig": {"mode": "PassThrough"}}))] == [
        "queue worker does not trace with X-Ray (tracingConfig.mode Active)"]
    assert [v.message for v in evaluate(worker({**good, "vpcConfig": None}))] == ["queue worker is not in the VPC"]


def namespace_with(policy_spec: dict | None) -> list[Resource]:
    resources = [res("kubernetes:core/v1:Namespace", {"metadata": {"name": "shop"}})]
    if policy_spec is not None:
        resources.append(res("kubernetes:networking.k8s.io/v1:NetworkPolicy",
                             {"metadata": {"name": "deny", "namespace": "shop"}, "spec": policy_spec}))
    return resources


def test_namespace_default_deny():
    assert evaluate(namespace_with({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})) == []
    assert [v.rule for v in evaluate(namespace_with({"podSelector": {}, "policyTypes": ["Ingress"]}))] == [
        "namespace-default-deny"]
    assert [v.rule for v in evaluate(namespace_with(None))] == ["namespace-default-deny"]


def hpa_stack(pdb_labels: dict | None) -> list[Resource]:
    deployment_resource = res("kubernetes:apps/v1:Deployment", {
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "api", "tier": "backend"}},
                              "spec": {"containers": [GOOD_CONTAINER]}}}})
    hpa = res("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", {
        "metadata": {"name": "api", "namespace": "shop"}, "spec": {"scaleTargetRef": {"name": "api"}}})
    resources = [deployment_resource, hpa]
    if pdb_labels is not None:
        resources.append(res("kubernetes:policy/v1:PodDisruptionBudget", {
            "metadata": {"name": "api-pdb", "namespace": "shop"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": pdb_labels}}}))
    return resources


def test_every_hpa_target_has_a_pdb():
    assert evaluate(hpa_stack({"app": "api"})) == []
    assert [v.message for v in evaluate(hpa_stack(None))] == ["api is autoscaled but has no PodDisruptionBudget"]
    assert [v.rule for v in evaluate(hpa_stack({"app": "other"}))] == ["hpa-has-pdb"]


# --- placeholders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value,why", [
    ("arn:aws:acm:us-east-1:123456789012:certificate/4d7a9e1b", "names the documentation account 123456789012"),
    ("arn:aws:iam::111122223333:role/ci", "names the documentation account 111122223333"),
    ("www.tiketi.example.com", "names the documentation domain www.tiketi.example.com (RFC 2606)"),
    ("https://Example.ORG/path", "names the documentation domain Example.ORG (RFC 2606)"),
    ("oncall@tiketi.example.net", "names the documentation domain tiketi.example.net (RFC 2606)"),
    ("203.0.113.0/24", "is in the documentation range 203.0.113.0/24 (RFC 5737)"),
    ("198.51.100.7", "is in the documentation range 198.51.100.0/24 (RFC 5737)"),
])
def test_placeholders_are_recognised(value, why):
    import placeholders

    assert placeholders.reason(value) == why


@pytest.mark.parametrize("value", [
    "0.0.0.0/0", "10.0.0.0/16", "203.0.112.0/24", "arn:aws:iam::210987654321:role/ci", "tiketi.io",
    "myexample.com", "example.community", "https://api.tiketi.io/example.com-like", "123456789012",
])
def test_real_values_are_not_placeholders(value):
    import placeholders

    assert placeholders.reason(value) is None


def test_the_placeholder_rule_names_each_property_path():
    r = res("aws:cloudfront/distribution:Distribution",
            {"aliases": ["tiketi.io", "www.tiketi.example.com"], "viewerCertificate": {
                "acmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}}, name="cdn")
    assert [str(v) for v in check_resource(r) if v.rule == "no-placeholder-values"] == [
        "[no-placeholder-values] cdn: aliases[1]: 'www.tiketi.example.com' names the documentation domain "
        "www.tiketi.example.com (RFC 2606); put the team's own value in Pulumi.<stack>.yaml before deploying",
        "[no-placeholder-values] cdn: viewerCertificate.acmCertificateArn: "
        "'arn:aws:acm:us-east-1:123456789012:certificate/x' names the documentation account 123456789012; put the "
        "team's own value in Pulumi.<stack>.yaml before deploying",
    ]
