"""IAM policy documents as plain data: one place for the JSON shape, no data-source invokes.

Built with ``pulumi.Output.json_dumps`` so ARNs that other resources produce can sit in
the statements directly (they resolve before the document is sent).
"""

from __future__ import annotations

from typing import Any

import pulumi


def document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str], resources: Any, condition: dict | None = None, sid: str | None = None) -> dict:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    if sid:
        statement["Sid"] = sid
    return statement


def key_policy(account_id: pulumi.Input[str], *statements: dict[str, Any]) -> pulumi.Output[str]:
    """A KMS key policy: the account administers the key (so IAM policies decide who uses it), plus ``statements``.

    In a key policy ``"Resource": "*"`` means this key.
    """
    return document({
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
        "Action": "kms:*",
        "Resource": "*",
    }, *statements)


def trust(*services: str, condition: dict | None = None) -> pulumi.Output[str]:
    """An assume-role policy for AWS service principals."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": list(services) if len(services) > 1 else services[0]},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return document(statement)
