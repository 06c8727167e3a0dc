"""The Pulumi CLI's config edits, emulated for tests: ``-c``/``config set``/``config rm``, with and without paths.

How the CLI applies them (pulumi/pulumi sdk/go/common/resource/config/map.go): with
``--config-path`` (``pulumi up``) or ``--path`` (``pulumi config set``/``rm``) ``parseKeyPath`` reads the
part after ``namespace:`` as a property path whose first segment is the config key, and
``adjustObjectValue`` stores ``"false"``/``"true"`` as booleans and decimal strings as integers;
without the flag the whole ``namespace:name`` is one literal key holding the string.
"""

from __future__ import annotations

import itertools
import json


def cli_value(text: str) -> object:
    """adjustObjectValue: what a path-set value becomes in the config object."""
    if text in ("true", "false"):
        return text == "true"
    if len(text) > 1 and text.startswith("0"):
        return text
    try:
        return int(text)
    except ValueError:
        return text


def split_key(key: str) -> tuple[str, list[str]]:
    namespace, _, name = key.partition(":")
    assert "[" not in name, f"{key}: list indexes are not emulated here"
    return namespace, name.split(".")


def config_set(raw: dict[str, str], key: str, value: str, path: bool) -> dict[str, str]:
    raw = dict(raw)
    if not path:
        raw[key] = value
        return raw
    namespace, (first, *rest) = split_key(key)
    top = f"{namespace}:{first}"
    if not rest:
        raw[top] = value
        return raw
    document = json.loads(raw.get(top, "{}"))
    node = document
    for segment in rest[:-1]:
        node = node.setdefault(segment, {})
    node[rest[-1]] = cli_value(value)
    raw[top] = json.dumps(document)
    return raw


def config_rm(raw: dict[str, str], key: str, path: bool) -> dict[str, str]:
    raw = dict(raw)
    if not path:
        raw.pop(key, None)
        return raw
    namespace, (first, *rest) = split_key(key)
    top = f"{namespace}:{first}"
    document = json.loads(raw[top])
    node = document
    for segment in rest[:-1]:
        node = node[segment]
    node.pop(rest[-1], None)
    raw[top] = json.dumps(document)
    return raw


def apply_up(raw: dict[str, str], argv: list[str]) -> dict[str, str]:
    """The ``-c key=value`` settings of one ``pulumi up`` command line, saved as the CLI saves them."""
    path = "--config-path" in argv
    for flag, value in itertools.pairwise(argv):
        if flag in ("-c", "--config"):
            key, _, text = value.partition("=")
            raw = config_set(raw, key, text, path)
    return raw


def apply_rm(raw: dict[str, str], argv: list[str]) -> dict[str, str]:
    """``pulumi config rm [--stack <stack>] [--path] <key>``."""
    [key] = positional(argv)
    return config_rm(raw, key, "--path" in argv)


def apply_set(raw: dict[str, str], argv: list[str]) -> dict[str, str]:
    """``pulumi config set [--stack <stack>] [--path] <key> <value>``."""
    key, value = positional(argv)
    return config_set(raw, key, value, "--path" in argv)


def positional(argv: list[str]) -> list[str]:
    """The arguments after ``pulumi config <verb>`` that are neither flags nor a flag's value."""
    return [a for i, a in enumerate(argv[3:], 3) if not a.startswith("-") and argv[i - 1] != "--stack"]
