"""Which request goes where, walked through the real CloudFront behaviours, the real ALB rules and the real edge check.

A path is matched as CloudFront does (ordered behaviours first, in order, then the default;
``*`` any run of characters, ``?`` one, case-sensitive) and as the ALB does (rules by
ascending priority, every condition of a rule must hold, the default action last). The edge
function is the deployed one: ``lambdas/edge_queue_check/handler.py`` with the ``config.json``
of the stack's archive, run on CloudFront's viewer-request event shape.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.lambdas.conftest import load_handler
from tests.lambdas.events import EVENT_ID, sign, viewer_request
from tests.support.aws_queries import random_value
from tests.support.edge import balancer, https_listener, validated_arn
from tests.support.manifests import manifest
from tools.harness.mock_engine import Registration
from tools.harness.snapshot import Snapshot, unwrap

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
RULE = "aws:lb/listenerRule:ListenerRule"
# The spec's protected prefixes (8.1) with the shapes the services use (event UUIDs in the path).
PROTECTED = ["/api/reservations", f"/api/tickets/{EVENT_ID}", f"/api/seats/{EVENT_ID}/reserve",
             "/api/admin/events", f"/api/v1/seats/{EVENT_ID}", "/api/v1/reservations/mine"]
GATEWAY_OPEN = ["/api/queue/status", "/api/auth/login", "/api/events", "/api/v1/stats", "/health",
                "/actuator/health"]
PAGES = ["/", "/events/42", f"/queue/{EVENT_ID}", "/_next/data/build/events.json", "/_next/image",
         "/apiary", "/actuator/prometheus"]  # not the gateway's: metrics stay in the cluster
STATIC = ["/_next/static/chunks/main-abc.js", "/static/logo.svg"]


def wildcard(pattern: str) -> re.Pattern:
    """CloudFront path patterns and ALB path conditions: * any characters, ? one, case-sensitive."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")


def cloudfront_behaviour(distribution: Registration, path: str) -> dict:
    for behaviour in distribution.inputs["orderedCacheBehaviors"]:
        if wildcard("/" + behaviour["pathPattern"].lstrip("/")).match(path):
            return behaviour
    return distribution.inputs["defaultCacheBehavior"]


def alb_target(snap: Snapshot, internal: bool, path: str, headers: dict[str, str]) -> str:
    """The target group ARN (or fixed-response status) the listener's rules pick for a request."""
    listener = https_listener(snap, internal)
    rules = sorted(snap.all(RULE, listenerArn=listener.outputs["arn"]), key=lambda r: r.inputs["priority"])
    lowered = {k.lower(): v for k, v in headers.items()}
    for rule in rules:
        if all(_holds(condition, path, lowered) for condition in unwrap(rule.inputs["conditions"])):
            [action] = rule.inputs["actions"]
            return action["targetGroupArn"]
    return listener.inputs["defaultActions"][0]["fixedResponse"]["statusCode"]


def _holds(condition: dict, path: str, headers: dict[str, str]) -> bool:
    if "pathPattern" in condition:
        return any(wildcard(v).match(path) for v in condition["pathPattern"]["values"])
    header = condition["httpHeader"]
    value = headers.get(header["httpHeaderName"].lower())
    return value is not None and any(wildcard(v).match(value) for v in header["values"])


def target_group(snap: Snapshot, port: int) -> str:
    return snap.one("aws:lb/targetGroup:TargetGroup", port=port).outputs["arn"]


@pytest.fixture(scope="module")
def deployed_edge_check(prod, tmp_path_factory):
    """The edge function as prod deploys it: its handler.py and the config.json written into its archive."""
    function = prod.one("aws:lambda/function:Function", publish=True)  # the edge function (auto-named)
    archive = unwrap(function.inputs["code"])
    directory = tmp_path_factory.mktemp("deployed-edge")
    (directory / "handler.py").write_text(Path(archive.assets["handler.py"].path).read_text())
    (directory / "config.json").write_text(archive.assets["config.json"].text)
    return load_handler(directory, "edge_queue_check_as_deployed"), json.loads(archive.assets["config.json"].text)


def test_every_alb_bound_behaviour_runs_the_edge_check_and_no_other_does(aws_stack):
    distribution = aws_stack.one(DISTRIBUTION)
    function = aws_stack.one("aws:lambda/function:Function", publish=True)  # the edge function (auto-named)
    behaviours = [distribution.inputs["defaultCacheBehavior"], *distribution.inputs["orderedCacheBehaviors"]]
    for behaviour in behaviours:
        associations = behaviour.get("lambdaFunctionAssociations", [])
        if behaviour["targetOriginId"] == "alb":
            assert associations == [{"eventType": "viewer-request", "lambdaArn": function.outputs["qualifiedArn"],
                                     "includeBody": False}]
        else:
            assert associations == []


@pytest.mark.parametrize("path", PROTECTED)
def test_protected_paths_are_checked_at_the_edge_and_reach_the_gateway(prod, deployed_edge_check, path):
    edge, config = deployed_edge_check
    behaviour = cloudfront_behaviour(prod.one(DISTRIBUTION), path)
    assert (behaviour["pathPattern"], behaviour["targetOriginId"]) == ("/api/*", "alb")
    # Without a token the real handler sends the viewer to the waiting room...
    response = edge.handler(viewer_request(path), None)
    assert response["status"] == "302" and response["headers"]["location"][0]["value"] in ("/", f"/queue/{EVENT_ID}")
    # ...with one signed by the stack's secret the request goes on, to the gateway.
    token = sign({"sub": EVENT_ID, "iat": int(time.time()) - 5, "exp": int(time.time()) + 600}, config["secret"])
    request = edge.handler(viewer_request(path, {"x-queue-entry-token": token}), None)
    assert request["uri"] == path and "status" not in request
    verified = {"X-Origin-Verify": random_value(prod, "origin-verify")}
    assert alb_target(prod, False, path, verified) == target_group(prod, 3001)


@pytest.mark.parametrize("path", GATEWAY_OPEN)
def test_open_api_paths_go_to_the_gateway_unchecked(prod, deployed_edge_check, path):
    edge, _ = deployed_edge_check
    assert cloudfront_behaviour(prod.one(DISTRIBUTION), path)["targetOriginId"] == "alb"
    assert edge.handler(viewer_request(path), None)["uri"] == path
    assert alb_target(prod, False, path, {"x-origin-verify": random_value(prod, "origin-verify")}) == target_group(
        prod, 3001)


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_rendered_by_the_frontend(prod, deployed_edge_check, path):
    edge, _ = deployed_edge_check
    behaviour = cloudfront_behaviour(prod.one(DISTRIBUTION), path)
    assert "pathPattern" not in behaviour and behaviour["targetOriginId"] == "alb"  # the default: pages
    assert edge.handler(viewer_request(path), None)["uri"] == path
    assert alb_target(prod, False, path, {"X-Origin-Verify": random_value(prod, "origin-verify")}) == target_group(
        prod, 3000)


@pytest.mark.parametrize("path", STATIC)
def test_static_files_come_from_s3(prod, path):
    assert cloudfront_behaviour(prod.one(DISTRIBUTION), path)["targetOriginId"] == "s3"


@pytest.mark.parametrize("path", ["/", "/api/events", f"/api/seats/{EVENT_ID}"])
def test_without_cloudfronts_secret_the_alb_answers_403(prod, path):
    assert alb_target(prod, False, path, {}) == "403"
    assert alb_target(prod, False, path, {"X-Origin-Verify": "guess"}) == "403"


def test_listener_rules_and_their_limits(aws_stack):
    rules = {r.inputs["priority"]: r for r in aws_stack.all(RULE, listenerArn=https_listener(aws_stack, False).outputs[
        "arn"])}
    assert sorted(rules) == [10, 20]
    verify = {"httpHeader": {"httpHeaderName": "X-Origin-Verify",
                             "values": [random_value(aws_stack, "origin-verify")]}}
    assert unwrap(rules[10].inputs["conditions"]) == [
        verify, {"pathPattern": {"values": ["/api/*", "/health", "/actuator/health"]}}]
    assert unwrap(rules[20].inputs["conditions"]) == [verify]
    assert rules[10].inputs["actions"] == [{"type": "forward", "targetGroupArn": target_group(aws_stack, 3001)}]
    assert rules[20].inputs["actions"] == [{"type": "forward", "targetGroupArn": target_group(aws_stack, 3000)}]
    # ALB quotas: at most 3 values in one condition, 5 in one rule (ALB User Guide, "Listener rules").
    for rule in rules.values():
        values = [len(next(iter(c.values()))["values"]) for c in unwrap(rule.inputs["conditions"])]
        assert max(values) <= 3 and sum(values) <= 5


def test_internal_alb_serves_only_internal_paths_over_https(aws_stack):
    listener = https_listener(aws_stack, internal=True)
    assert (listener.inputs["port"], listener.inputs["sslPolicy"]) == (443, "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert listener.inputs["certificateArn"] == validated_arn(aws_stack, "regional")
    ticket = target_group(aws_stack, 3002)
    assert alb_target(aws_stack, True, "/internal/seats/reserve", {}) == ticket
    assert alb_target(aws_stack, True, "/actuator/env", {}) == "404"
    assert aws_stack.all("aws:lb/listener:Listener", loadBalancerArn=balancer(aws_stack, True).outputs["arn"],
                         protocol="HTTP") == []


# --- timeouts along the path (components/timeouts.py) --------------------------------------------


def test_each_hop_gives_up_an_idle_connection_before_the_next_one_does(aws_stack):
    [alb_origin] = [o for o in unwrap(aws_stack.one(DISTRIBUTION).inputs["origins"]) if o["originId"] == "alb"]
    keepalive = alb_origin["customOriginConfig"]["originKeepaliveTimeout"]
    read = alb_origin["customOriginConfig"]["originReadTimeout"]
    idle = {balancer(aws_stack, internal).inputs["idleTimeout"] for internal in (False, True)}
    assert idle == {65}
    spring = manifest(aws_stack, "ConfigMap", "spring-config")["data"]
    assert (spring["SERVER_TOMCAT_KEEPALIVETIMEOUT"], spring["SERVER_NETTY_IDLETIMEOUT"]) == ("75s", "75s")
    frontend_env = {e["name"]: e["value"] for e in manifest(aws_stack, "Deployment", "frontend")["spec"]["template"][
        "spec"]["containers"][0]["env"]}
    assert frontend_env["KEEP_ALIVE_TIMEOUT"] == "75000"  # milliseconds (Next.js standalone server.js)
    backend_keepalive = int(spring["SERVER_TOMCAT_KEEPALIVETIMEOUT"].removesuffix("s"))
    assert keepalive < 65 < backend_keepalive == int(frontend_env["KEEP_ALIVE_TIMEOUT"]) // 1000
    assert read <= 60 and read <= 65  # CloudFront's maximum without a quota increase; gives up before the ALB
