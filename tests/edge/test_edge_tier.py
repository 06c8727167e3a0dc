"""Edge tier on the prod and staging snapshots: S3 buckets, ALB, CloudFront, Lambda@Edge, WAF.

Certificates and DNS records: test_dns.py; which request goes where (behaviours, listener rules, the
edge check): test_routing.py; CloudFront and WAF logs: test_cdn_logs.py.
"""

from __future__ import annotations

import json

import pytest

from tests.support.aws_queries import INGRESS, group, random_value
from tests.support.edge import attached, bucket, https_listener, us_east_1_provider, validated_arn
from tools.harness.fake_cloud import ACCOUNT_ID
from tools.harness.snapshot import unwrap

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
EDGE_FUNCTION = "aws:lambda/function:Function"
MANAGED = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet")


ACCOUNT = ACCOUNT_ID  # the fake cloud's account


# --- S3 -----------------------------------------------------------------------------------------


def test_no_bucket_is_public_or_uses_acls(aws_stack):
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
        [ownership] = attached(aws_stack, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", target)
        assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}  # ACLs disabled
        # One lifecycle configuration per bucket (a second would fight it), aborting stale uploads.
        [lifecycle] = attached(aws_stack, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", target)
        [abort] = [r for r in lifecycle.inputs["rules"] if "abortIncompleteMultipartUpload" in r]
        assert (abort["status"], abort["filter"], abort["abortIncompleteMultipartUpload"]) == (
            "Enabled", {"prefix": ""}, {"daysAfterInitiation": 7})
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
    # Browsers cache the preflight answer for 50 minutes (S3 User Guide's CORS example: MaxAgeSeconds 3000).
    assert (rule["allowedHeaders"], rule["maxAgeSeconds"]) == (["*"], 3000)
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
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    assert list(rules) == ["tier-and-expire-logs", "abort-incomplete-multipart-uploads"]
    tiering = rules["tier-and-expire-logs"]
    assert tiering["transitions"] == [{"days": 30, "storageClass": "STANDARD_IA"},
                                      {"days": 90, "storageClass": "GLACIER"}]
    assert tiering["expiration"] == {"days": expiry}


def test_logs_bucket_policy_admits_each_writer_under_its_own_prefix_for_this_account_only(aws_stack):
    logs = bucket(aws_stack, "logs")
    [policy] = attached(aws_stack, "aws:s3/bucketPolicy:BucketPolicy", logs)
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert list(statements) == ["AlbLogDeliveryAccount", "AlbLogDeliveryService", "CloudFrontLogDelivery",
                                "DenyInsecureTransport"]
    arn = logs.outputs["arn"]
    # Both ALBs (public: alb/, internal: alb-internal/), this account's AWSLogs/ only.
    albs = [f"{arn}/alb/AWSLogs/{ACCOUNT}/*", f"{arn}/alb-internal/AWSLogs/{ACCOUNT}/*"]
    assert statements["AlbLogDeliveryAccount"]["Principal"] == {"AWS": "arn:aws:iam::600734575887:root"}
    assert statements["AlbLogDeliveryService"]["Principal"] == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    for sid in ("AlbLogDeliveryAccount", "AlbLogDeliveryService"):
        assert (statements[sid]["Effect"], statements[sid]["Action"], statements[sid]["Resource"]) == (
            "Allow", "s3:PutObject", albs)
    cloudfront = statements["CloudFrontLogDelivery"]
    assert cloudfront == {
        "Sid": "CloudFrontLogDelivery", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"{arn}/AWSLogs/{ACCOUNT}/*",
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": ACCOUNT},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-source:"
                                                   f"tiketi-{aws_stack.stack}-cloudfront"}}}
    # ...which is the delivery source the stack creates (test_cdn_logs.py checks it is the distribution's).
    source = aws_stack.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert source.outputs["arn"] == cloudfront["Condition"]["ArnLike"]["aws:SourceArn"]


# --- ALB ----------------------------------------------------------------------------------------


def test_alb_admits_only_cloudfront_on_443(aws_stack):
    [rule] = aws_stack.all(INGRESS, securityGroupId=group(aws_stack, "alb").id)
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
    assert rule.inputs["prefixListId"] == "pl-22a6434b"  # looked up by name, not hard-coded
    assert not any(r.inputs.get("cidrIpv4") == "0.0.0.0/0" for r in aws_stack.all(INGRESS))


def test_pods_admit_the_alb_on_the_frontend_and_gateway_ports_only(aws_stack):
    rules = aws_stack.all(INGRESS, securityGroupId=group(aws_stack, "eks-nodes").id,
                          referencedSecurityGroupId=group(aws_stack, "alb").id)
    assert sorted((r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules) == [
        ("tcp", 3000, 3000), ("tcp", 3001, 3001)]
    egress = aws_stack.all("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                           securityGroupId=group(aws_stack, "alb").id)
    assert sorted((r.inputs["fromPort"], r.inputs["toPort"], r.inputs["referencedSecurityGroupId"])
                  for r in egress) == [(3000, 3000, group(aws_stack, "eks-nodes").id),
                                       (3001, 3001, group(aws_stack, "eks-nodes").id)]


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
    assert alb.inputs["idleTimeout"] == 65  # over CloudFront's keep-alive, under the pods' (test_routing.py)


def test_target_groups(aws_stack):
    target_group = aws_stack.one("aws:lb/targetGroup:TargetGroup", port=3001)
    assert (target_group.inputs["protocol"], target_group.inputs["targetType"]) == ("HTTP", "ip")
    assert {k: target_group.inputs["healthCheck"][k] for k in ("path", "interval", "healthyThreshold",
                                                               "unhealthyThreshold", "matcher")} == {
        "path": "/actuator/health/readiness", "interval": 30, "healthyThreshold": 2, "unhealthyThreshold": 3,
        "matcher": "200"}
    assert target_group.inputs["stickiness"] == {"type": "lb_cookie", "cookieDuration": 86400, "enabled": True}
    frontend = aws_stack.one("aws:lb/targetGroup:TargetGroup", port=3000)
    assert {k: frontend.inputs[k] for k in ("protocol", "targetType", "vpcId", "deregistrationDelay")} == {
        "protocol": "HTTP", "targetType": "ip", "vpcId": aws_stack.outputs["vpcId"], "deregistrationDelay": 30}
    assert {k: frontend.inputs["healthCheck"][k] for k in ("path", "interval", "healthyThreshold",
                                                           "unhealthyThreshold", "matcher")} == {
        "path": "/", "interval": 30, "healthyThreshold": 2, "unhealthyThreshold": 3, "matcher": "200-399"}


def test_https_listener_tls_policy_and_the_issued_certificate(aws_stack):
    https = https_listener(aws_stack, internal=False)
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    # The regional certificate once ACM has issued it: its validation's ARN, never the certificate's.
    assert https.inputs["certificateArn"] == validated_arn(aws_stack, "regional")
    assert https.inputs["defaultActions"][0]["fixedResponse"]["statusCode"] == "403"


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


def test_api_behaviour_caches_nothing_and_forwards_every_viewer_header_but_host(aws_stack):
    [api] = [b for b in aws_stack.one(DISTRIBUTION).inputs["orderedCacheBehaviors"] if b["pathPattern"] == "/api/*"]
    assert (api["targetOriginId"], api["viewerProtocolPolicy"]) == ("alb", "https-only")
    # AWS's managed policies, looked up by name (the fake cloud knows only AWS's own names and ids):
    # CachingDisabled, and all viewer headers (Authorization among them) but Host.
    assert api["cachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert api["originRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert "forwardedValues" not in api and "minTtl" not in api
    assert sorted(api["allowedMethods"]) == sorted(["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"])


def test_pages_are_server_rendered_and_cached_only_when_nextjs_says_so(aws_stack):
    pages = aws_stack.one(DISTRIBUTION).inputs["defaultCacheBehavior"]
    assert (pages["targetOriginId"], pages["viewerProtocolPolicy"]) == ("alb", "redirect-to-https")
    assert "POST" in pages["allowedMethods"]  # server actions post to the page's path
    assert pages["originRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    policy = aws_stack.one("aws:cloudfront/cachePolicy:CachePolicy", comment=f"tiketi-{aws_stack.stack}: pages")
    assert pages["cachePolicyId"] == policy.id
    assert (policy.inputs["minTtl"], policy.inputs["defaultTtl"], policy.inputs["maxTtl"]) == (0, 0, 31536000)
    key = policy.inputs["parametersInCacheKeyAndForwardedToOrigin"]
    assert key["headersConfig"] == {"headerBehavior": "whitelist", "headers": {"items": [
        "RSC", "Next-Router-State-Tree", "Next-Router-Prefetch", "Next-Router-Segment-Prefetch", "Next-Url"]}}
    assert key["queryStringsConfig"] == {"queryStringBehavior": "all"}
    assert key["cookiesConfig"] == {"cookieBehavior": "none"}  # forwarded (origin request policy), not keyed


def test_static_behaviours_go_to_s3_with_their_ttls(aws_stack):
    distribution = aws_stack.one(DISTRIBUTION)
    policies = {p.id: p.inputs for p in aws_stack.all("aws:cloudfront/cachePolicy:CachePolicy")}
    behaviors = {b["pathPattern"]: b for b in distribution.inputs["orderedCacheBehaviors"]}
    assert list(behaviors) == ["/static/*", "/_next/static/*", "/api/*"]
    static = {p: b for p, b in behaviors.items() if p != "/api/*"}
    ttls = {p: (policies[b["cachePolicyId"]]["defaultTtl"], policies[b["cachePolicyId"]]["maxTtl"])
            for p, b in static.items()}
    assert ttls == {"/static/*": (3600, 86400), "/_next/static/*": (31536000, 31536000)}
    assert all(b["targetOriginId"] == "s3" and "lambdaFunctionAssociations" not in b for b in static.values())


def test_origins(aws_stack):
    origins = {o["originId"]: o for o in unwrap(aws_stack.one(DISTRIBUTION).inputs["origins"])}
    alb = origins["alb"]
    assert alb["domainName"] == aws_stack.config("tiketi:edge")["albOriginDomain"]
    # The origin name is taken from its record: CloudFront starts once the name resolves.
    record = aws_stack.one("aws:route53/record:Record", name=alb["domainName"])
    assert record.urn in aws_stack.one(DISTRIBUTION).dependencies["origins"]
    config = alb["customOriginConfig"]
    assert (config["originProtocolPolicy"], config["originSslProtocols"]) == ("https-only", ["TLSv1.2"])
    assert (config["originKeepaliveTimeout"], config["originReadTimeout"]) == (55, 60)
    assert unwrap(alb["customHeaders"]) == [{"name": "X-Origin-Verify",
                                             "value": random_value(aws_stack, "origin-verify")}]
    oac = aws_stack.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert (oac.inputs["signingBehavior"], oac.inputs["signingProtocol"]) == ("always", "sigv4")
    assert origins["s3"]["originAccessControlId"] == oac.id
    assert origins["s3"]["domainName"] == bucket(aws_stack, "frontend").outputs["bucketRegionalDomainName"]


def test_errors_reach_viewers_unchanged_and_security_headers(aws_stack):
    distribution = aws_stack.one(DISTRIBUTION)
    # No distribution-wide error page: it would turn the API's 403/404 into 200 text/html.
    assert "customErrorResponses" not in distribution.inputs
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
def test_viewer_certificate_and_aliases(stack, aliases, price, request):
    snap = request.getfixturevalue(stack)
    distribution = snap.one(DISTRIBUTION)
    assert distribution.inputs["viewerCertificate"] == {
        "acmCertificateArn": validated_arn(snap, "cloudfront"),
        "minimumProtocolVersion": "TLSv1.2_2021", "sslSupportMethod": "sni-only"}
    assert (distribution.inputs["aliases"], distribution.inputs["priceClass"]) == (aliases, price)
    # Legacy standard logging needed ACLs on the bucket; the v2 delivery replaces it (test_cdn_logs.py).
    assert "loggingConfig" not in distribution.inputs


def test_web_acl(aws_stack):
    prod = aws_stack  # staging composes the WAF as prod does
    waf = prod.one("aws:wafv2/webAcl:WebAcl")
    assert waf.inputs["scope"] == "CLOUDFRONT"
    assert waf.provider.startswith(us_east_1_provider(prod).urn)
    rules = {r["name"]: r for r in waf.inputs["rules"]}
    assert rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"] == {"limit": 2000, "aggregateKeyType": "IP"}
    assert rules["rate-limit-per-ip"]["action"] == {"block": {}}
    assert [(r["priority"], r["name"]) for r in waf.inputs["rules"]] == [
        (0, "rate-limit-per-ip"), (1, "AWSManagedRulesCommonRuleSet"), (2, "AWSManagedRulesKnownBadInputsRuleSet"),
        (3, "AWSManagedRulesSQLiRuleSet")]
    for group_name in ("AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"):
        assert rules[group_name]["statement"]["managedRuleGroupStatement"] == {"vendorName": "AWS",
                                                                               "name": group_name}
    # Bodies over 8 KB are counted, not blocked (review m2): larger POSTs and server actions pass.
    assert rules["AWSManagedRulesCommonRuleSet"]["statement"]["managedRuleGroupStatement"] == {
        "vendorName": "AWS", "name": "AWSManagedRulesCommonRuleSet",
        "ruleActionOverrides": [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]}
    for group_name in MANAGED:
        assert rules[group_name]["overrideAction"] == {"none": {}}  # the group's own block actions apply
    assert prod.one(DISTRIBUTION).inputs["webAclId"] == waf.outputs["arn"]


def test_without_waf_the_distribution_has_no_web_acl(staging_without_proxy_or_waf):
    assert staging_without_proxy_or_waf.all("aws:wafv2/webAcl:WebAcl") == []
    assert "webAclId" not in staging_without_proxy_or_waf.one(DISTRIBUTION).inputs


def test_edge_outputs(aws_stack):
    assert aws_stack.outputs["cloudfrontDomainName"] == aws_stack.one(DISTRIBUTION).outputs["domainName"]
    alb = aws_stack.one("aws:lb/loadBalancer:LoadBalancer", internal=False)
    assert aws_stack.outputs["albDnsName"] == alb.outputs["dnsName"]
    assert aws_stack.outputs["albZoneId"] == alb.outputs["zoneId"]  # for an alias in a DNS the program does not write
    assert aws_stack.outputs["albOriginDomain"] == aws_stack.config("tiketi:edge")["albOriginDomain"]
    assert aws_stack.outputs["frontendBucketName"] == bucket(aws_stack, "frontend").outputs["bucket"]
    assert aws_stack.outputs["logsBucketName"] == bucket(aws_stack, "logs").outputs["bucket"]
