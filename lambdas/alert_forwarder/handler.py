"""SNS -> Discord: posts every CloudWatch alarm notification from the alert topics to a channel.

SNS invokes the function with one record per notification (``event["Records"][i]["Sns"]``).
A CloudWatch alarm's ``Message`` is JSON (``AlarmName``, ``AlarmDescription``,
``NewStateValue``, ``OldStateValue``, ``NewStateReason``, ``StateChangeTime``, ``Region``,
``AlarmArn``); anything else (a test publish, an unexpected shape) is forwarded as text.

Never crashes on what it receives: a record it cannot read is logged and skipped, so one odd
message never blocks the others. A webhook that fails (network, 5xx, 429) raises, so Lambda's
asynchronous retries (two) try the notification again. Standard library only.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any

logger = logging.getLogger()
logger.setLevel(logging.INFO)

REQUEST_TIMEOUT_SECONDS = 5.0
# Discord embed limits: title 256, description 4096, field value 1024 characters.
TITLE_LIMIT, DESCRIPTION_LIMIT, FIELD_LIMIT = 256, 4096, 1024
COLORS = {"ALARM": 0xE74C3C, "OK": 0x2ECC71, "INSUFFICIENT_DATA": 0x95A5A6}
EMOJI = {"ALARM": "🔴", "OK": "✅", "INSUFFICIENT_DATA": "⚪"}


class WebhookError(RuntimeError):
    """Discord did not accept the message: raised so Lambda retries the invocation."""


def _clip(text: Any, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alarm_of(message: Any) -> dict | None:
    """The CloudWatch alarm notification in an SNS message, or None when it is not one."""
    if not isinstance(message, str):
        return None
    try:
        body = json.loads(message)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("AlarmName"), str) and "NewStateValue" in body:
        return body
    return None


def build_message(sns: dict) -> dict:
    """The Discord webhook payload for one SNS notification."""
    alarm = alarm_of(sns.get("Message"))
    if alarm is None:
        subject = sns.get("Subject") or "Notification"
        return {"embeds": [{"title": _clip(subject, TITLE_LIMIT),
                            "description": _clip(sns.get("Message", ""), DESCRIPTION_LIMIT),
                            "color": COLORS["INSUFFICIENT_DATA"]}]}
    state = str(alarm.get("NewStateValue"))
    description = str(alarm.get("AlarmDescription") or "")
    meaning, _, first_check = description.partition(" First check: ")
    fields = [{"name": "state", "value": f"{alarm.get('OldStateValue', '?')} → {state}", "inline": True},
              {"name": "region", "value": _clip(alarm.get("Region", "?"), FIELD_LIMIT), "inline": True}]
    if first_check:
        fields.append({"name": "first check", "value": _clip(first_check, FIELD_LIMIT), "inline": False})
    fields.append({"name": "reason", "value": _clip(alarm.get("NewStateReason", ""), FIELD_LIMIT) or "-",
                   "inline": False})
    return {"embeds": [{
        "title": _clip(f"{EMOJI.get(state, '❔')} {state}: {alarm['AlarmName']}", TITLE_LIMIT),
        "description": _clip(meaning, DESCRIPTION_LIMIT),
        "color": COLORS.get(state, COLORS["INSUFFICIENT_DATA"]),
        "timestamp": alarm.get("StateChangeTime"),
        "fields": fields,
    }]}


def post(url: str, payload: dict) -> None:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json", "User-Agent": "tiketi-alerts"})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310 - https checked by handler
            response.read()
    except urllib.error.HTTPError as error:
        raise WebhookError(f"Discord answered {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise WebhookError(f"Discord unreachable: {type(error).__name__}") from None


def records_of(event: Any) -> list[dict]:
    """The SNS parts of the event's records; whatever else the event holds is skipped."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        logger.warning("event without a Records list; nothing to forward")
        return []
    found = []
    for index, record in enumerate(records):
        sns = record.get("Sns") if isinstance(record, dict) else None
        if isinstance(sns, dict):
            found.append(sns)
        else:
            logger.warning("record %d is not an SNS record; skipped", index)
    return found


def handler(event: Any, context: Any = None) -> dict:
    url = os.environ.get("DISCORD_WEBHOOK_URL", "")
    if not url.startswith("https://"):
        logger.error("DISCORD_WEBHOOK_URL is not set to an https URL; nothing forwarded")
        return {"forwarded": 0}
    forwarded = 0
    for sns in records_of(event):
        try:
            payload = build_message(sns)
        except Exception:  # a shape nobody foresaw: log it and keep going
            logger.exception("could not read notification %s; skipped", sns.get("MessageId"))
            continue
        post(url, payload)  # the URL holds the webhook token: never logged
        forwarded += 1
    return {"forwarded": forwarded}
