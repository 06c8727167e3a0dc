"""Async tier on the prod and staging snapshots: FIFO queue, DLQ, worker Lambda, mapping, alarms."""

from __future__ import annotations

import json

import pulumi
import pytest

from tests.conftest import REDRIVE_ROLE
from tests.support.aws_queries import ALARM, EGRESS, INGRESS, group
from tools.harness.deploy_order import DependencyGraph
from tools.harness.snapshot import Snapshot, unwrap

FUNCTION = "aws:lambda/function:Function"



def queues(snap: Snapshot):
    main = snap.one("aws:sqs/queue:Queue", name=f"tiketi-{snap.stack}-ticket-events.fifo")
    dlq = snap.one("aws:sqs/queue:Queue", name=f"tiketi-{snap.stack}-ticket-events-dlq.fifo")
    return main, dlq


def worker_function(snap: Snapshot):
    return snap.one(FUNCTION, name=f"tiketi-{snap.stack}-ticket-worker")


# --- queue --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack,max_receive", [("prod", 5), ("staging", 3)])
def test_fifo_queue_settings_and_redrive(stack, max_receive, request):
    snap = request.getfixturevalue(stack)
    main, dlq = queues(snap)
    expect = {"fifoQueue": True, "contentBasedDeduplication": False, "deduplicationScope": "messageGroup",
              "fifoThroughputLimit": "perMessageGroupId", "sqsManagedSseEnabled": True,
              "receiveWaitTimeSeconds": 20, "messageRetentionSeconds": 4 * 24 * 3600}
    assert {k: main.inputs.get(k) for k in expect} == expect
    assert json.loads(main.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"],
                                                        "maxReceiveCount": max_receive}
    assert (dlq.inputs["fifoQueue"], dlq.inputs["sqsManagedSseEnabled"]) == (True, True)
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    allow = snap.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy", queueUrl=dlq.outputs["url"])
    assert json.loads(allow.inputs["redriveAllowPolicy"]) == {"redrivePermission": "byQueue",
                                                              "sourceQueueArns": [main.outputs["arn"]]}


def test_visibility_timeout_is_at_least_six_times_the_function_timeout(aws_stack):
    main, _ = queues(aws_stack)
    function = worker_function(aws_stack)
    assert function.inputs["timeout"] == 30
    assert main.inputs["visibilityTimeoutSeconds"] >= 6 * function.inputs["timeout"]


def test_queue_alarms(aws_stack):
    main, dlq = queues(aws_stack)
    alarms = {a.inputs["metricName"]: a.inputs for a in aws_stack.all(ALARM, namespace="AWS/SQS")}
    assert set(alarms) == {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
    depth = alarms["ApproximateNumberOfMessagesVisible"]
    assert depth["dimensions"] == {"QueueName": dlq.outputs["name"]}
    assert (depth["comparisonOperator"], depth["threshold"], depth["statistic"]) == ("GreaterThanThreshold", 0,
                                                                                   "Maximum")
    age = alarms["ApproximateAgeOfOldestMessage"]
    assert age["dimensions"] == {"QueueName": main.outputs["name"]}
    assert (age["comparisonOperator"], age["threshold"]) == ("GreaterThanThreshold", 600)


# --- worker function ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack,reserved,tracing", [("prod", 10, "Active"), ("staging", 2, "Active")])
def test_worker_function(stack, reserved, tracing, request):
    snap = request.getfixturevalue(stack)
    function = worker_function(snap)
    expect = {"runtime": "python3.13", "handler": "handler.handler", "timeout": 30, "memorySize": 256,
              "reservedConcurrentExecutions": reserved}
    assert {k: function.inputs.get(k) for k in expect} == expect
    assert function.inputs["tracingConfig"] == {"mode": tracing}
    assert sorted(function.inputs["vpcConfig"]["subnetIds"]) == sorted(snap.outputs["workerSubnetIds"])
    assert function.inputs["vpcConfig"]["securityGroupIds"] == [group(snap, "worker").id]


def test_worker_code_is_an_explicit_file_list(aws_stack):
    # Not the folder: a FileArchive would pack __pycache__ and whatever else lies there.
    code = worker_function(aws_stack).inputs["code"]
    assert isinstance(code, pulumi.AssetArchive)
    assert sorted(code.assets) == ["handler.py"]
    assert code.assets["handler.py"].path.endswith("lambdas/ticket_worker/handler.py")


def test_worker_calls_the_internal_api_over_https_by_the_name_on_its_certificate(aws_stack):
    variables = unwrap(worker_function(aws_stack).inputs["environment"])["variables"]
    name = aws_stack.config("tiketi:edge")["internalApiDomain"]
    assert variables["TICKET_SERVICE_URL"] == f"https://{name}"
    assert aws_stack.outputs["ticketInternalApiUrl"] == f"https://{name}"
    regional = aws_stack.one("aws:acm/certificate:Certificate", tags={"Name": f"tiketi-{aws_stack.stack}-regional"})
    assert name in regional.inputs["subjectAlternativeNames"]  # the name the client checks is on the certificate
    # The URL comes from the record that answers the name inside the VPC: the function waits for it.
    record = aws_stack.one("aws:route53/record:Record", name=name)
    assert record.urn in worker_function(aws_stack).dependencies["environment"]
    assert ".svc.cluster.local" not in variables["TICKET_SERVICE_URL"]
    token = aws_stack.one("aws:secretsmanager/secret:Secret", name=f"tiketi-{aws_stack.stack}/internal-api-token")
    assert variables["INTERNAL_API_TOKEN_SECRET_ARN"] == token.outputs["arn"]
    main, _ = queues(aws_stack)
    assert variables["MAX_RECEIVE_COUNT"] == str(json.loads(main.inputs["redrivePolicy"])["maxReceiveCount"])
    assert set(variables) == {"TICKET_SERVICE_URL", "INTERNAL_API_TOKEN_SECRET_ARN", "MAX_RECEIVE_COUNT"}


def test_the_worker_environment_holds_no_secret(aws_stack):
    # No value of any generated secret, wrapped or not: the ARN is a name, not the token.
    environment = json.dumps(unwrap(worker_function(aws_stack).inputs["environment"]))
    generated = [unwrap(r.outputs["result"]) for r in aws_stack.all("random:index/randomPassword:RandomPassword")]
    assert len(generated) == 11 and not [value for value in generated if value in environment]
    assert "4dabf18193072939515e22adb298388d" not in json.dumps(worker_function(aws_stack).inputs["environment"])


def test_worker_log_group_has_retention(prod):
    log_group = prod.one("aws:cloudwatch/logGroup:LogGroup", name="/aws/lambda/tiketi-prod-ticket-worker")
    assert log_group.inputs["retentionInDays"] == 90
    assert worker_function(prod).inputs["loggingConfig"]["logGroup"] == log_group.outputs["name"]


@pytest.mark.parametrize("stack,db_role", [("prod", "proxy"), ("staging", "proxy"),
                                           ("staging_without_proxy_or_waf", "db")])
def test_worker_egress_is_exactly_the_spec_table(stack, db_role, request):
    snap = request.getfixturevalue(stack)
    worker_sg = group(snap, "worker")
    rules = {
        (r.inputs["ipProtocol"], r.inputs.get("fromPort"), r.inputs.get("toPort"),
         r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4"))
        for r in snap.all(EGRESS, securityGroupId=worker_sg.id)
    }
    vpc_cidr = snap.outputs["vpcCidr"]
    assert rules == {
        ("tcp", 5432, 5432, group(snap, db_role).id),
        ("tcp", 6379, 6379, group(snap, "redis").id),
        ("tcp", 443, 443, vpc_cidr),
        ("-1", None, None, "0.0.0.0/0"),
    }
    assert snap.all(INGRESS, securityGroupId=worker_sg.id) == []


def test_worker_role_is_least_privilege(prod):
    function = worker_function(prod)
    role = next(r for r in prod.all("aws:iam/role:Role") if r.outputs["arn"] == function.inputs["role"])
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}
    attachments = prod.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment", role=role.outputs["name"])
    assert [a.inputs["policyArn"] for a in attachments] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]
    [inline] = prod.all("aws:iam/rolePolicy:RolePolicy", role=role.id)
    statements = {s["Sid"]: s for s in json.loads(inline.inputs["policy"])["Statement"]}
    main, _ = queues(prod)
    assert statements["ConsumeTicketEvents"]["Resource"] == main.outputs["arn"]
    assert sorted(statements["ConsumeTicketEvents"]["Action"]) == [
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
    assert statements["WriteTraces"]["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    token = prod.one("aws:secretsmanager/secret:Secret", name="tiketi-prod/internal-api-token")
    # Its one secret, by ARN, and only read: no other secret, no wildcard SQS.
    assert statements["ReadInternalApiToken"] == {"Sid": "ReadInternalApiToken", "Effect": "Allow",
                                                  "Action": ["secretsmanager:GetSecretValue"],
                                                  "Resource": token.outputs["arn"]}
    assert set(statements) == {"ConsumeTicketEvents", "ReadInternalApiToken", "WriteTraces"}


# --- event source mapping -----------------------------------------------------------------------


@pytest.mark.parametrize("stack,concurrency", [("prod", 10), ("staging", 2)])
def test_event_source_mapping(stack, concurrency, request):
    snap = request.getfixturevalue(stack)
    mapping = snap.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    main, _ = queues(snap)
    assert mapping.inputs["eventSourceArn"] == main.outputs["arn"]
    assert mapping.inputs["functionName"] == worker_function(snap).outputs["arn"]
    assert mapping.inputs["batchSize"] == 10
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": concurrency}
    # FIFO queues refuse a batching window: the spec's 5 s cannot apply.
    assert "maximumBatchingWindowInSeconds" not in mapping.inputs


# --- Lambda alarms ------------------------------------------------------------------------------


def test_worker_alarms_are_the_spec_three(aws_stack):
    alarms = {a.inputs["metricName"]: a.inputs for a in aws_stack.all(ALARM, namespace="AWS/Lambda")}
    timeout_ms = worker_function(aws_stack).inputs["timeout"] * 1000
    summary = {m: (a["statistic"], a["comparisonOperator"], a["threshold"], a["evaluationPeriods"], a["period"])
               for m, a in alarms.items()}
    assert summary == {
        "Errors": ("Sum", "GreaterThanThreshold", 5, 2, 300),
        "Duration": ("Average", "GreaterThanThreshold", 0.8 * timeout_ms, 2, 300),
        "Throttles": ("Sum", "GreaterThanThreshold", 0, 1, 300),
    }
    assert alarms["Throttles"]["treatMissingData"] == "notBreaching"
    topic = aws_stack.outputs["alertTopicArn"]
    function_name = worker_function(aws_stack).outputs["name"]
    for alarm in alarms.values():
        assert alarm["dimensions"] == {"FunctionName": function_name}
        assert alarm["alarmActions"] == [topic]


# --- ticket-service's internal API --------------------------------------------------------------


def test_internal_api_is_reachable_only_from_the_worker_on_443(aws_stack):
    balancer = aws_stack.one("aws:lb/loadBalancer:LoadBalancer", internal=True)
    alb_sg = group(aws_stack, "internal-alb")
    assert balancer.inputs["securityGroups"] == [alb_sg.id]
    assert sorted(balancer.inputs["subnets"]) == sorted(aws_stack.outputs["appSubnetIds"])
    [ingress] = aws_stack.all(INGRESS, securityGroupId=alb_sg.id)
    assert ingress.inputs["referencedSecurityGroupId"] == group(aws_stack, "worker").id
    assert (ingress.inputs["ipProtocol"], ingress.inputs["fromPort"], ingress.inputs["toPort"]) == ("tcp", 443, 443)
    nodes_rule = aws_stack.one(INGRESS, securityGroupId=group(aws_stack, "eks-nodes").id,
                               referencedSecurityGroupId=alb_sg.id)
    assert (nodes_rule.inputs["fromPort"], nodes_rule.inputs["toPort"]) == (3002, 3002)


def test_internal_api_forwards_only_internal_paths_to_ticket_service(aws_stack):
    target_group = aws_stack.one("aws:lb/targetGroup:TargetGroup", port=3002)
    assert (target_group.inputs["protocol"], target_group.inputs["targetType"]) == ("HTTP", "ip")
    listener = aws_stack.one("aws:lb/listener:Listener", port=443, protocol="HTTPS",
                             loadBalancerArn=aws_stack.one("aws:lb/loadBalancer:LoadBalancer",
                                                           internal=True).outputs["arn"])
    assert listener.inputs["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"
    rule = aws_stack.one("aws:lb/listenerRule:ListenerRule", listenerArn=listener.outputs["arn"])
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/internal/*"]}}]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": target_group.outputs["arn"]}]


@pytest.mark.parametrize("stack,protected", [("prod", True), ("staging", False)])
def test_internal_alb_logs_and_deletion_protection_like_the_public_one(stack, protected, request):
    snap = request.getfixturevalue(stack)
    internal = snap.one("aws:lb/loadBalancer:LoadBalancer", internal=True)
    logs = snap.one("aws:s3/bucket:Bucket", bucketPrefix=f"tiketi-{stack}-logs-")
    assert internal.inputs["accessLogs"] == {"bucket": logs.outputs["bucket"], "prefix": "alb-internal",
                                             "enabled": True}
    assert internal.inputs["enableDeletionProtection"] is protected
    assert (internal.inputs["dropInvalidHeaderFields"], internal.inputs["idleTimeout"]) == (True, 65)
    # ELB writes a test object when logging is switched on: the bucket policy must exist first.
    [policy] = snap.all("aws:s3/bucketPolicy:BucketPolicy", bucket=logs.id)
    assert DependencyGraph(snap).waits_for(internal, policy)


def test_async_outputs(aws_stack):
    main, dlq = queues(aws_stack)
    assert aws_stack.outputs["queueUrl"] == main.outputs["url"]
    assert aws_stack.outputs["queueArn"] == main.outputs["arn"]
    assert aws_stack.outputs["deadLetterQueueUrl"] == dlq.outputs["url"]
    assert aws_stack.outputs["workerFunctionName"] == f"tiketi-{aws_stack.stack}-ticket-worker"


# --- operators: dead-letter redrive ----------------------------------------------------------------



def decision(policy: dict, principal: str, action: str) -> str:
    """What the queue policy alone decides for ``principal`` (an explicit Deny wins over any Allow)."""
    def named(statement: dict) -> bool:
        listed = statement["Principal"]
        return listed == "*" or principal in listed["AWS"]

    def applies(statement: dict) -> bool:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action not in actions or not named(statement):
            return False
        exempt = statement.get("Condition", {}).get("ArnNotEquals", {}).get("aws:PrincipalArn")
        return exempt is None or principal not in exempt

    statements = policy["Statement"]
    if any(s["Effect"] == "Deny" and applies(s) for s in statements):
        return "denied"
    return "allowed" if any(s["Effect"] == "Allow" and applies(s) for s in statements) else "not granted"


def test_the_queue_policy_admits_the_redrive_role_and_no_one_else(staging_with_operator_settings, staging):
    snap = staging_with_operator_settings
    [queue_policy] = [p for p in snap.all("aws:sqs/queuePolicy:QueuePolicy") if p.name == "queue-access-policy"]
    policy = json.loads(queue_policy.inputs["policy"])
    ticket = next(r for r in snap.all("aws:iam/role:Role") if r.name == "workloads-ticket-service").outputs["arn"]
    # A move task sends the DLQ's messages back as its caller: the redrive role must get through the deny.
    assert decision(policy, REDRIVE_ROLE, "sqs:SendMessage") == "allowed"
    assert decision(policy, ticket, "sqs:SendMessage") == "allowed"
    assert decision(policy, "arn:aws:iam::123456789012:role/someone-else", "sqs:SendMessage") == "denied"
    # The redrive role does not become a consumer of the live queue.
    assert decision(policy, REDRIVE_ROLE, "sqs:ReceiveMessage") == "denied"
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["AllowRedrive"]["Principal"] == {"AWS": [REDRIVE_ROLE]}
    assert statements["AllowRedrive"]["Action"] == ["sqs:SendMessage", "sqs:GetQueueAttributes"]
    assert statements["AllowProducers"]["Principal"] == {"AWS": [ticket]}
    # Without redrive roles (the committed stacks) the policy is what it was: no AllowRedrive.
    [default_policy] = [p for p in staging.all("aws:sqs/queuePolicy:QueuePolicy") if p.name == "queue-access-policy"]
    default = json.loads(default_policy.inputs["policy"])
    assert "AllowRedrive" not in {s["Sid"] for s in default["Statement"]}
    assert decision(default, REDRIVE_ROLE, "sqs:SendMessage") == "denied"


def test_the_redrive_policy_moves_from_the_dlq_and_sends_only_to_the_queue(aws_stack):
    main, dlq = queues(aws_stack)
    policy = aws_stack.one("aws:iam/policy:Policy", name=f"tiketi-{aws_stack.stack}-ticket-events-redrive")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements == {
        "MoveFromTheDeadLetterQueue": {
            "Sid": "MoveFromTheDeadLetterQueue", "Effect": "Allow", "Resource": dlq.outputs["arn"],
            "Action": ["sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks", "sqs:CancelMessageMoveTask",
                       "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]},
        "SendBackToTheQueue": {"Sid": "SendBackToTheQueue", "Effect": "Allow", "Resource": main.outputs["arn"],
                               "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"]},
    }
    assert aws_stack.outputs["queueRedrivePolicyArn"] == policy.outputs["arn"]
