"""Event factories in the shapes AWS documents, and a token signer for the edge tests.

CloudFront viewer-request: "Lambda@Edge event structure" (request event example).
SQS: "Using Lambda with Amazon SQS" (example Amazon SQS message event, FIFO queue).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

SECRET = "test-queue-entry-token-secret-0123456789"
EVENT_ID = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c"
OTHER_EVENT_ID = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign(claims: dict, secret: str = SECRET, header: dict | None = None) -> str:
    head = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"


def viewer_request(uri: str, headers: dict[str, str | list[str]] | None = None, querystring: str = "",
                   method: str = "GET") -> dict:
    """A CloudFront viewer-request event; headers are given as name -> value(s)."""
    cf_headers = {
        "host": [{"key": "Host", "value": "d111111abcdef8.cloudfront.net"}],
        "user-agent": [{"key": "User-Agent", "value": "Mozilla/5.0"}],
        "accept": [{"key": "accept", "value": "application/json"}],
    }
    for name, values in (headers or {}).items():
        values = [values] if isinstance(values, str) else values
        cf_headers[name.lower()] = [{"key": name, "value": v} for v in values]
    return {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": "d111111abcdef8.cloudfront.net",
                        "distributionId": "EDFDVBD6EXAMPLE",
                        "eventType": "viewer-request",
                        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
                    },
                    "request": {
                        "clientIp": "203.0.113.178",
                        "headers": cf_headers,
                        "method": method,
                        "querystring": querystring,
                        "uri": uri,
                    },
                }
            }
        ]
    }


def sqs_record(body: str | dict, group: str | None = "group-1", message_id: str | None = None,
               receive_count: int = 1) -> dict:
    message_id = message_id or str(uuid.uuid4())
    body = body if isinstance(body, str) else json.dumps(body)
    attributes = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": "1545082649183",
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": "1545082649185",
        "SequenceNumber": "18849496460467696128",
        "MessageDeduplicationId": message_id,
    }
    if group is not None:
        attributes["MessageGroupId"] = group
    return {
        "messageId": message_id,
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-northeast-2:123456789012:tiketi-ticket-events.fifo",
        "awsRegion": "ap-northeast-2",
    }


def sqs_event(*records: dict) -> dict:
    return {"Records": list(records)}


def seat_reserve(user: str = "user-1", seats: list | None = None, event_id: str = EVENT_ID) -> dict:
    return {"action": "seat_reserve", "eventId": event_id, "userId": user,
            "seatIds": seats if seats is not None else ["A-1", "A-2"], "entryToken": "entry-token-value"}


def reservation_create(user: str = "user-1", items: list | None = None) -> dict:
    return {"action": "reservation_create", "eventId": EVENT_ID, "userId": user,
            "items": items if items is not None else [{"seatId": "A-1", "price": 55000}],
            "entryToken": "entry-token-value"}
