"""Config problems as lines a person can act on: the key, the value (unless it may be a secret), what is allowed.

    tiketi:network.natGateway: unknown key (did you mean natGateways?); allowed keys are vpcCidr, ...
    tiketi:database.instanceClass: "db.m6g.micro" is not an allowed RDS for PostgreSQL instance class; ...
    aws:secretKey: (value hidden: it may be a secret) ...

A value is never echoed when it could be a secret: under a key the stack marks secret
(``secure:`` at any depth marks its whole top-level key, as the Pulumi CLI does), under a key
whose name says secret (password, token, ...), or when it looks like a credential (an AWS
access key id, a private key, a JWT, a URL with a password, a long random-looking string). An
unknown key's value is never echoed at all: a misspelt ``secretKey`` is still a secret.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Collection, Iterable
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from components.config.base import KeyProblemError, did_you_mean
from components.config.schema import fields_by_key, model_at

HIDDEN = "(value hidden: it may be a secret)"

_SECRET_KEY_NAME = re.compile(r"pass(word|wd|phrase)|secret|token|credential|private|api_?key|access_?key", re.I)
_CREDENTIAL = [
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\."),  # a JWT
    re.compile(r"\b(ghp|gho|ghs|github_pat|glpat|xox[abprs]|sk_live|sk-)[-_]?[A-Za-z0-9_]{16,}"),  # service tokens
    re.compile(r"://[^/\s:@]+:[^/\s@]+@"),  # a URL carrying a password
]
# A long run of base64-like characters (an AWS secret access key is 40 of them).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{20,}")


class ConfigError(pulumi.RunError):
    """Stack config is invalid. ``RunError`` makes Pulumi print the message without a traceback."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n  " + "\n  ".join(problems))


def looks_like_credential(text: str) -> bool:
    """A known credential shape, or a long base64-like run that looks random (not an ARN)."""
    if any(pattern.search(text) for pattern in _CREDENTIAL):
        return True
    return not text.startswith("arn:") and any(_random_looking(run) for run in _BASE64_RUN.findall(text))


def _random_looking(run: str) -> bool:
    # Random text mixes cases and digits and switches between them often; names and
    # identifiers (ELBSecurityPolicyTLS13, MyDatabase2024) switch rarely.
    kinds = ["u" if c.isupper() else "l" if c.islower() else "d" if c.isdigit() else "o" for c in run]
    switches = sum(a != b for a, b in itertools.pairwise(kinds))
    return {"u", "l", "d"} <= set(kinds) and switches >= len(run) / 3


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def top_level_key(key: str) -> str:
    """``tiketi:database`` for ``tiketi:database.alarms.cpuPercent``, ``aws:region`` for itself."""
    return re.split(r"[.\[]", key, maxsplit=1)[0]


def may_be_secret(key: str, value: Any, secret_keys: Collection[str] = ()) -> bool:
    if top_level_key(key) in secret_keys:
        return True
    texts = list(_strings(value))
    name = re.split(r"[.:]", key)[-1]  # the last part of tiketi:cache.authToken or aws:secretKey
    # authTokenUpdateStrategy names how a token is applied (ROTATE/SET), not a token: its value is shown.
    if texts and _SECRET_KEY_NAME.search(name) and not name.endswith("UpdateStrategy"):
        return True
    return any(looks_like_credential(text) for text in texts)


def describe(value: Any, key: str = "", secret_keys: Collection[str] = ()) -> str:
    """A value as an error shows it: JSON, ``(not set)``, or hidden when it may be a secret."""
    if value is None:
        return "(not set)"
    if may_be_secret(key, value, secret_keys):
        return HIDDEN
    return json.dumps(value, default=str)


def unknown_key(key: str, known: list[str], prefix: str = "", list_known: bool = True) -> str:
    """``<key>: unknown key (did you mean X?); allowed keys are ...``: never the value."""
    word = key.removeprefix(prefix) if prefix else key.rsplit(".", 1)[-1]
    line = f"{key}: unknown key{did_you_mean(word, known, prefix)}"
    return f"{line}; allowed keys are {', '.join(prefix + k for k in known)}" if list_known else line


def explain(error: ValidationError, root: type[BaseModel], secret_keys: Collection[str] = ()) -> list[str]:
    """One line per pydantic error, at the config key, in the words of the validators."""
    problems = []
    for item in error.errors():
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, KeyProblemError):
            shown = HIDDEN if cause.hidden else describe(cause.value, cause.key, secret_keys)
            problems.append(f"{cause.key}: {shown} {cause.what}")
            continue
        loc = item["loc"]
        key = key_name(loc)
        kind, message = item["type"], item["msg"].removeprefix("Value error, ")
        shown = describe(item.get("input"), key, secret_keys)
        if kind == "missing":
            problems.append(f"{key}: is required")
        elif kind == "extra_forbidden":
            model = model_at(root, loc)
            known = list(fields_by_key(model)) if model is not None else []
            problems.append(unknown_key(key, known) if known else f"{key}: unknown key; check the spelling")
        elif kind == "literal_error":
            expected = item["ctx"]["expected"].replace("'", '"')
            choices = re.findall(r'"([^"]*)"', expected)
            hint = "" if shown == HIDDEN else did_you_mean(item.get("input"), choices)
            problems.append(f"{key}: {shown} is not allowed; expected {expected}{hint}")
        else:
            if shown == HIDDEN:  # a validator may quote what it refuses: not a hidden value
                for text in sorted(_strings(item.get("input")), key=len, reverse=True):
                    message = message.replace(text, "…") if len(text) >= 4 else message
            problems.append(f"{key}: {shown} {_lower_first(message)}")
    return problems


def key_name(loc: tuple[Any, ...]) -> str:
    section, *rest = loc
    if section == "aws":
        # AwsSettings is assembled from aws:region and aws:defaultTags.tags (parse_stack_config).
        if rest[:1] == ["defaultTags"]:
            return ".".join(["aws:defaultTags.tags", *map(str, rest[1:])])
        return "aws:region"
    name = f"tiketi:{section}"
    for part in rest:
        name += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name


def _lower_first(text: str) -> str:
    if text.startswith(("is ", "must ", "expected ", "has ", "needs ", "contains ", "names ")):
        return text
    return "is invalid: " + text[:1].lower() + text[1:]
