"""Edge tier on the prod and staging snapshots: S3 buckets, ALB, CloudFront, Lambda@Edge, WAF."""

from __future__ import annotations

import json

import pytest

from tests.support.aws_queries import INGRESS, group, random_value
from tools.harness.snapshot import Snapshot, unwrap

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
EDGE_FUNCTION = "aws:lambda/function:Function"


def bucket(snap: Snapshot, role: str):
    return snap.one("aws:s3/bucket:Bucket", bucketPrefix=f"tiketi-{snap.stack}-{role}-")


def attached(snap: Snapshot, type_: str, target) -> list:
    return snap.all(type_, bucket=target.id)



def us_east_1_provider(snap: Snapshot):
    [provider] = [p for p in snap.providers("aws") if snap.component_of(p).type == "tiketi:edge:Cdn"]
    assert provider.inputs["region"] == "us-east-1"
    return provider


# --- S3 -----------------------------------------------------------------------------------------


def test_no_bucket_is_public(aws_stack):
    buckets = aws_stack.all("aws:s3/bucket:Bucket")
    assert len(buckets) == 2
    for target in buckets:
        [block] = attached(aws_stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", target)
        assert {k: block.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                             "restrictPublicBuckets")} == dict.fromkeys(
            ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)
        [encryption] = attached(aws_stack, "aws:s3/bucketServerSideEncryptionConfiguration:"
                                           "BucketServerSideEncryptionConfiguration", target)
        assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
        [policy] = attached(aws_stack, "aws:s3/bucketPolicy:BucketPolicy", target)
        statements = json.loads(policy.inputs["policy"])["Statement"]
        assert not any(s["Effect"] == "Allow" and s["Principal"] == "*" for s in statements)
        deny = next(s for s in statements if s["Sid"] == "DenyInsecureTransport")
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Effect"] == "Deny"


@pytest.mark.parametrize("stack,origins", [("prod", ["https://tiketi.example.com", "https://www.tiketi.example.com"]),
                                           ("staging", ["https://staging.tiketi.example.com"])])
def test_frontend_bucket(stack, origins, request):
    snap = request.getfixturevalue(stack)
    frontend = bucket(snap, "frontend")
    [versioning] = attached(snap, "aws:s3/bucketVersioning:BucketVersioning", frontend)
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    [encryption] = attached(snap, "aws:s3/bucketServerSideEncryptionConfiguration:"
                                  "BucketServerSideEncryptionConfiguration", frontend)
    assert encryption.inputs["rules"][0]["bucketKeyEnabled"] is True
    [cors] = attached(snap, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", frontend)
    [rule] = cors.inputs["corsRules"]
    assert (rule["allowedMethods"], rule["exposeHeaders"], rule["allowedOrigins"]) == (["GET", "HEAD"], ["ETag"],
                                                                                       origins)
    [lifecycle] = attached(snap, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", frontend)
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    assert rules["delete-old-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_frontend_bucket_policy_admits_only_this_distribution(aws_stack):
    frontend = bucket(aws_stack, "frontend")
    [policy] = attached(aws_stack, "aws:s3/bucketPolicy:BucketPolicy", frontend)
    [allow] = [s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == frontend.outputs["arn"] + "/*"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": aws_stack.one(DISTRIBUTION).outputs["arn"]}}


@pytest.mark.parametrize("stack,expiry", [("prod", 365), ("staging", 120)])
def test_logs_bucket(stack, expiry, request):
    snap = request.getfixturevalue(stack)
    logs = bucket(snap, "logs")
    [lifecycle] = attached(snap, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", logs)
    [rule] = lifecycle.inputs["rules"]
    assert rule["transitions"] == [{"days": 30, "storageClass": "STANDARD_IA"}, {"days": 90, "storageClass": "GLACIER"}]
    assert rule["expiration"] == {"days": expiry}
    [policy] = attached(snap, "aws:s3/bucketPolicy:BucketPolicy", logs)
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    prefix = logs.outputs["arn"] + "/alb/AWSLogs/*"
    assert statements["AlbLogDeliveryAccount"]["Principal"] == {"AWS": "arn:aws:iam::600734575887:root"}
    assert statements["AlbLogDeliveryService"]["Principal"] == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    for sid in ("AlbLogDeliveryAccount", "AlbLogDeliveryService"):
        assert (statements[sid]["Action"], statements[sid]["Resource"]) == ("s3:PutObject", prefix)


# --- ALB ----------------------------------------------------------------------------------------


def test_alb_admits_only_cloudfront_on_443(aws_stack):
    [rule] = aws_stack.all(INGRESS, securityGroupId=group(aws_stack, "alb").id)
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
    assert rule.inputs["prefixListId"] == "pl-22a6434b"  # looked up by name, not hard-coded
    assert not any(r.inputs.get("cidrIpv4") == "0.0.0.0/0" for r in aws_stack.all(INGRESS))


def test_gateway_pods_admit_the_alb_on_3001_only(aws_stack):
    [rule] = aws_stack.all(INGRESS, securityGroupId=group(aws_stack, "eks-nodes").id,
                           referencedSecurityGroupId=group(aws_stack, "alb").id)
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (3001, 3001)


@pytest.mark.parametrize("stack,protected", [("prod", True), ("staging", False)])
def test_application_load_balancer(stack, protected, request):
    snap = request.getfixturevalue(stack)
    alb = snap.one("aws:lb/loadBalancer:LoadBalancer", internal=False)
    expect = {"loadBalancerType": "application", "enableHttp2": True, "enableCrossZoneLoadBalancing": True,
              "dropInvalidHeaderFields": True, "enableDeletionProtection": protected,
              "securityGroups": [group(snap, "alb").id]}
    assert {k: alb.inputs[k] for k in expect} == expect
    assert sorted(alb.inputs["subnets"]) == sorted(snap.outputs["publicSubnetIds"])
    assert alb.inputs["accessLogs"] == {"bucket": bucket(snap, "logs").outputs["bucket"], "prefix": "alb",
                                        "enabled": True}


def test_gateway_target_group(aws_stack):
    target_group = aws_stack.one("aws:lb/targetGroup:TargetGroup", port=3001)
    assert (target_group.inputs["protocol"], target_group.inputs["targetType"]) == ("HTTP", "ip")
    assert {k: target_group.inputs["healthCheck"][k] for k in ("path", "interval", "healthyThreshold",
                                                               "unhealthyThreshold", "matcher")} == {
        "path": "/health", "interval": 30, "healthyThreshold": 2, "unhealthyThreshold": 3, "matcher": "200"}
    assert target_group.inputs["stickiness"] == {"type": "lb_cookie", "cookieDuration": 86400, "enabled": True}


def test_https_listener_tls_policy_certificate_and_origin_verify(aws_stack):
    https = aws_stack.one("aws:lb/listener:Listener", port=443)
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["certificateArn"] == aws_stack.config("tiketi:edge")["albCertificateArn"]
    assert https.inputs["defaultActions"][0]["fixedResponse"]["statusCode"] == "403"
    rule = aws_stack.one("aws:lb/listenerRule:ListenerRule", listenerArn=https.outputs["arn"])
    [condition] = unwrap(rule.inputs["conditions"])
    assert condition["httpHeader"]["httpHeaderName"] == "X-Origin-Verify"
    assert unwrap(condition["httpHeader"]["values"]) == [random_value(aws_stack, "origin-verify")]
    target_group = aws_stack.one("aws:lb/targetGroup:TargetGroup", port=3001)
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": target_group.outputs["arn"]}]


def test_http_listener_redirects_to_https(aws_stack):
    http = aws_stack.one("aws:lb/listener:Listener", port=80,
                         loadBalancerArn=aws_stack.one("aws:lb/loadBalancer:LoadBalancer",
                                                       internal=False).outputs["arn"])
    assert http.inputs["defaultActions"] == [{"type": "redirect", "redirect": {
        "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]


# --- CloudFront and Lambda@Edge -----------------------------------------------------------------


def edge_function(snap):
    return snap.one(EDGE_FUNCTION, publish=True)  # the only published function: the worker runs $LATEST


def test_edge_function_and_role_live_in_us_east_1(aws_stack):
    provider = us_east_1_provider(aws_stack)
    provider_ref = f"{provider.urn}::{provider.id}"
    function = edge_function(aws_stack)
    assert function.provider == provider_ref
    role = next(r for r in aws_stack.all("aws:iam/role:Role") if r.outputs["arn"] == function.inputs["role"])
    assert role.provider == provider_ref
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]}
    expect = {"runtime": "python3.13", "memorySize": 128, "timeout": 5, "publish": True, "architectures": ["x86_64"],
              "handler": "handler.handler"}
    assert {k: function.inputs[k] for k in expect} == expect
    assert "environment" not in function.inputs  # Lambda@Edge has none
    assert function.retain_on_delete is True  # replicas outlive the distribution for hours
    # Auto-named: a replacement must not collide with the retained old function.
    assert "name" not in function.inputs and function.outputs["name"].startswith("cdn-edge-")
    assert aws_stack.outputs["edgeFunctionName"] == function.outputs["name"]


def test_explicit_provider_carries_the_stack_default_tags(aws_stack):
    provider = us_east_1_provider(aws_stack)
    assert json.loads(provider.inputs["defaultTags"]) == {
        "tags": {"Project": "Tiketi", "Environment": aws_stack.stack, "ManagedBy": "Pulumi"}}


def test_edge_archive_holds_the_handler_and_the_secret_as_config_json(aws_stack):
    function = edge_function(aws_stack)
    archive = unwrap(function.inputs["code"])
    assert sorted(archive.assets) == ["config.json", "handler.py"]
    assert archive.assets["handler.py"].path.endswith("lambdas/edge_queue_check/handler.py")
    assert json.loads(archive.assets["config.json"].text) == {"secret": random_value(aws_stack,
                                                                                     "queue-entry-token-secret")}
    assert function.inputs["code"]["4dabf18193072939515e22adb298388d"]  # the archive input is a secret


def test_distribution_uses_the_published_edge_version_on_viewer_request(aws_stack):
    function = edge_function(aws_stack)
    behavior = aws_stack.one(DISTRIBUTION).inputs["defaultCacheBehavior"]
    [association] = behavior["lambdaFunctionAssociations"]
    assert association["eventType"] == "viewer-request"
    assert association["lambdaArn"] == function.outputs["qualifiedArn"]
    assert not association["lambdaArn"].endswith("$LATEST")


def test_api_behaviour_caches_nothing_and_forwards_what_the_api_needs(aws_stack):
    behavior = aws_stack.one(DISTRIBUTION).inputs["defaultCacheBehavior"]
    assert (behavior["targetOriginId"], behavior["viewerProtocolPolicy"]) == ("alb", "https-only")
    assert (behavior["minTtl"], behavior["defaultTtl"], behavior["maxTtl"]) == (0, 0, 0)
    forwarded = behavior["forwardedValues"]
    assert forwarded["queryString"] is True and forwarded["cookies"] == {"forward": "all"}
    assert "Authorization" in forwarded["headers"]
    assert sorted(behavior["allowedMethods"]) == sorted(["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"])


def test_static_behaviours_go_to_s3_with_their_ttls(aws_stack):
    distribution = aws_stack.one(DISTRIBUTION)
    policies = {p.id: p.inputs for p in aws_stack.all("aws:cloudfront/cachePolicy:CachePolicy")}
    behaviors = {b["pathPattern"]: b for b in distribution.inputs["orderedCacheBehaviors"]}
    assert list(behaviors) == ["/static/*", "/_next/static/*"]
    ttls = {p: (policies[b["cachePolicyId"]]["defaultTtl"], policies[b["cachePolicyId"]]["maxTtl"])
            for p, b in behaviors.items()}
    assert ttls == {"/static/*": (3600, 86400), "/_next/static/*": (31536000, 31536000)}
    assert all(b["targetOriginId"] == "s3" for b in behaviors.values())


def test_origins(aws_stack):
    origins = {o["originId"]: o for o in unwrap(aws_stack.one(DISTRIBUTION).inputs["origins"])}
    alb = origins["alb"]
    assert alb["domainName"] == aws_stack.config("tiketi:edge")["albOriginDomain"]
    assert alb["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert alb["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]
    assert unwrap(alb["customHeaders"]) == [{"name": "X-Origin-Verify",
                                             "value": random_value(aws_stack, "origin-verify")}]
    oac = aws_stack.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert (oac.inputs["signingBehavior"], oac.inputs["signingProtocol"]) == ("always", "sigv4")
    assert origins["s3"]["originAccessControlId"] == oac.id
    assert origins["s3"]["domainName"] == bucket(aws_stack, "frontend").outputs["bucketRegionalDomainName"]


def test_spa_error_pages_and_security_headers(aws_stack):
    distribution = aws_stack.one(DISTRIBUTION)
    assert distribution.inputs["customErrorResponses"] == [
        {"errorCode": code, "responseCode": 200, "responsePagePath": "/index.html", "errorCachingMinTtl": 10}
        for code in (403, 404)]
    headers = aws_stack.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    config = headers.inputs["securityHeadersConfig"]
    assert {k: config["strictTransportSecurity"][k] for k in ("accessControlMaxAgeSec", "includeSubdomains",
                                                              "preload")} == {
        "accessControlMaxAgeSec": 31536000, "includeSubdomains": True, "preload": True}
    assert config["frameOptions"]["frameOption"] == "DENY"
    assert config["contentTypeOptions"]["override"] is True
    assert (config["xssProtection"]["protection"], config["xssProtection"]["modeBlock"]) == (True, True)
    assert config["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    behaviors = [distribution.inputs["defaultCacheBehavior"], *distribution.inputs["orderedCacheBehaviors"]]
    assert all(b["responseHeadersPolicyId"] == headers.id for b in behaviors)


@pytest.mark.parametrize("stack,aliases,price", [
    ("prod", ["tiketi.example.com", "www.tiketi.example.com"], "PriceClass_200"),
    ("staging", ["staging.tiketi.example.com"], "PriceClass_100")])
def test_viewer_certificate_aliases_and_logging(stack, aliases, price, request):
    snap = request.getfixturevalue(stack)
    distribution = snap.one(DISTRIBUTION)
    assert distribution.inputs["viewerCertificate"] == {
        "acmCertificateArn": snap.config("tiketi:edge")["cloudfrontCertificateArn"],
        "minimumProtocolVersion": "TLSv1.2_2021", "sslSupportMethod": "sni-only"}
    assert (distribution.inputs["aliases"], distribution.inputs["priceClass"]) == (aliases, price)
    assert distribution.inputs["loggingConfig"] == {"bucket": bucket(snap, "logs").outputs["bucketDomainName"],
                                                    "prefix": "cloudfront/", "includeCookies": False}


def test_web_acl(aws_stack):
    prod = aws_stack  # staging composes the WAF as prod does
    waf = prod.one("aws:wafv2/webAcl:WebAcl")
    assert waf.inputs["scope"] == "CLOUDFRONT"
    assert waf.provider.startswith(us_east_1_provider(prod).urn)
    rules = {r["name"]: r for r in waf.inputs["rules"]}
    assert rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"] == {"limit": 2000, "aggregateKeyType": "IP"}
    assert rules["rate-limit-per-ip"]["action"] == {"block": {}}
    for group_name in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        assert rules[group_name]["statement"]["managedRuleGroupStatement"] == {"vendorName": "AWS",
                                                                               "name": group_name}
    assert prod.one(DISTRIBUTION).inputs["webAclId"] == waf.outputs["arn"]


def test_without_waf_the_distribution_has_no_web_acl(staging_without_proxy_or_waf):
    assert staging_without_proxy_or_waf.all("aws:wafv2/webAcl:WebAcl") == []
    assert "webAclId" not in staging_without_proxy_or_waf.one(DISTRIBUTION).inputs


def test_edge_outputs(aws_stack):
    assert aws_stack.outputs["cloudfrontDomainName"] == aws_stack.one(DISTRIBUTION).outputs["domainName"]
    alb = aws_stack.one("aws:lb/loadBalancer:LoadBalancer", internal=False)
    assert aws_stack.outputs["albDnsName"] == alb.outputs["dnsName"]
    assert aws_stack.outputs["frontendBucketName"] == bucket(aws_stack, "frontend").outputs["bucket"]
    assert aws_stack.outputs["logsBucketName"] == bucket(aws_stack, "logs").outputs["bucket"]
