"""lambdas/alert_forwarder: SNS alarm notifications become Discord messages; nothing it receives crashes it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lambdas.conftest import LAMBDAS, closed_port, load_handler

WEBHOOK = "https://discord.com/api/webhooks/1/token"
RELAXED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def forwarder():
    return load_handler(LAMBDAS / "alert_forwarder", "alert_forwarder_under_test")


@pytest.fixture
def sent(forwarder, monkeypatch):
    """GIVEN a configured webhook, THEN every payload the handler posts lands here."""
    posted: list[tuple[str, dict]] = []
    monkeypatch.setenv("DISCORD_WEBHOOK_URL", WEBHOOK)
    monkeypatch.setattr(forwarder, "post", lambda url, payload: posted.append((url, payload)))
    return posted


def alarm_message(state: str = "ALARM", **overrides) -> str:
    """A CloudWatch alarm notification as SNS delivers it (the documented JSON message)."""
    return json.dumps({
        "AlarmName": "user-alarms-alb-5xx-rate-1a2b3c4", "AlarmArn": "arn:aws:cloudwatch:ap-northeast-2:1:alarm:x",
        "AlarmDescription": "public ALB: over 5% of requests answered 5xx. First check: the dashboard's ALB row",
        "NewStateValue": state, "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "NewStateReason": "Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (5.0).",
        "StateChangeTime": "2026-11-28T10:00:00.000+0000", "Region": "Asia Pacific (Seoul)", **overrides})


def sns_event(*messages: str, subject: str | None = "ALARM: x") -> dict:
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": {
        "Type": "Notification", "MessageId": f"id-{i}", "TopicArn": "arn:aws:sns:ap-northeast-2:1:tiketi-prod-alerts",
        "Subject": subject, "Message": message, "Timestamp": "2026-11-28T10:00:00.000Z"}}
        for i, message in enumerate(messages)]}


def test_an_alarm_becomes_a_red_embed_with_the_first_check(forwarder, sent):
    assert forwarder.handler(sns_event(alarm_message()), None) == {"forwarded": 1}
    [(url, payload)] = sent
    assert url == WEBHOOK
    [embed] = payload["embeds"]
    assert embed["title"] == "🔴 ALARM: user-alarms-alb-5xx-rate-1a2b3c4"
    assert embed["description"] == "public ALB: over 5% of requests answered 5xx."
    assert embed["color"] == 0xE74C3C
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["first check"] == "the dashboard's ALB row"
    assert fields["state"] == "OK → ALARM" and fields["region"] == "Asia Pacific (Seoul)"


def test_a_recovery_is_green(forwarder, sent):
    forwarder.handler(sns_event(alarm_message("OK")), None)
    [(_, payload)] = sent
    assert payload["embeds"][0]["title"].startswith("✅ OK:") and payload["embeds"][0]["color"] == 0x2ECC71


def test_a_message_that_is_not_an_alarm_is_forwarded_as_text(forwarder, sent):
    forwarder.handler(sns_event("hello from the console", subject=None), None)
    [(_, payload)] = sent
    assert payload["embeds"][0]["title"] == "Notification"
    assert payload["embeds"][0]["description"] == "hello from the console"


def test_long_texts_are_clipped_to_discords_limits(forwarder, sent):
    forwarder.handler(sns_event(alarm_message(NewStateReason="x" * 5000, AlarmName="a" * 400)), None)
    [embed] = sent[0][1]["embeds"]
    assert len(embed["title"]) == 256 and all(len(f["value"]) <= 1024 for f in embed["fields"])


def test_every_record_is_forwarded_and_odd_ones_are_skipped(forwarder, sent):
    event = sns_event(alarm_message(), alarm_message("OK"))
    event["Records"].insert(1, {"not": "sns"})
    assert forwarder.handler(event, None) == {"forwarded": 2}


def test_without_a_webhook_nothing_is_sent(forwarder, monkeypatch):
    monkeypatch.delenv("DISCORD_WEBHOOK_URL", raising=False)
    monkeypatch.setattr(forwarder, "post", lambda *a: pytest.fail("posted without a webhook"))
    assert forwarder.handler(sns_event(alarm_message()), None) == {"forwarded": 0}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
alarm_like = st.fixed_dictionaries({"AlarmName": json_values | st.text(max_size=10),
                                    "NewStateValue": json_values}, optional={
    "AlarmDescription": json_values, "OldStateValue": json_values, "NewStateReason": json_values,
    "Region": json_values, "StateChangeTime": json_values}).map(json.dumps)


@RELAXED
@given(event=json_values)
def test_a_malformed_event_never_crashes(forwarder, sent, event):
    assert forwarder.handler(event, None)["forwarded"] >= 0


@RELAXED
@given(message=json_values | alarm_like | st.text(max_size=50), subject=json_values)
def test_a_malformed_message_never_crashes(forwarder, sent, message, subject):
    event = {"Records": [{"Sns": {"Message": message, "Subject": subject}}]}
    assert forwarder.handler(event, None) == {"forwarded": 1}
    json.dumps(sent[-1][1])  # always a JSON payload Discord can take


# --- the HTTP call, against a loopback server ------------------------------------------------------


class Webhook(BaseHTTPRequestHandler):
    status = 204
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Webhook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(Webhook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Webhook.received, Webhook.status = [], 204
    yield f"http://127.0.0.1:{server.server_port}/api/webhooks/1/token"
    server.shutdown()
    server.server_close()


def test_post_sends_the_payload_as_json(forwarder, webhook):
    forwarder.post(webhook, {"content": "hi"})
    assert Webhook.received == [{"content": "hi"}]


@pytest.mark.parametrize("status", [429, 500])
def test_a_refused_post_raises_so_lambda_retries(forwarder, webhook, status):
    Webhook.status = status
    with pytest.raises(forwarder.WebhookError, match=f"Discord answered {status}"):
        forwarder.post(webhook, {"content": "hi"})


def test_an_unreachable_webhook_raises_without_showing_the_url(forwarder):
    url = f"http://127.0.0.1:{closed_port()}/api/webhooks/1/secret-token"
    with pytest.raises(forwarder.WebhookError) as caught:
        forwarder.post(url, {"content": "hi"})
    assert "secret-token" not in str(caught.value)
