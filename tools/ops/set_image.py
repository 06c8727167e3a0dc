"""Promote a service image: set ``tiketi:workloads.imageTags.<service>`` in ``Pulumi.<stack>.yaml``.

    python -m tools.ops.set_image --stack prod --service ticket-service --tag 3f9c2ab-20261124120000
    (make set-image STACK=prod SERVICE=ticket-service TAG=3f9c2ab-20261124120000)

This is the Pulumi-side equivalent of the spec's pipelines rewriting Kustomize image tags with
``sed``: the value ``pulumi config set --path 'tiketi:workloads.imageTags.<service>' <tag>
--stack <stack>`` would set, without needing the Pulumi CLI or a backend login. The file is
edited as text, so a promotion is a one-line diff a reviewer reads at a glance: the service's
line changes (or one line is added to ``imageTags``, or ``imageTags`` with the one line when
the stack has no override yet); comments, indentation, quoting and line widths stay as they
were. The edited text is parsed back and compared with the intended change before it is
written. Commit the file; the deploy workflow's ``pulumi up`` rolls the service out.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from components.config.kubernetes import check_image_tag
from components.services import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
# `key: value  # comment` (a key may hold colons: `tiketi:workloads:`); not comments or list items.
_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>\"[^\"]+\"|'[^']+'|[^\s#'\"-][^#]*?):(?P<rest>\s.*|)$")


class PromotionError(Exception):
    pass


def available_stacks(root: Path) -> list[str]:
    return sorted(p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml"))


def _key(line: str) -> tuple[int, str, str] | None:
    """(indent, key, rest) of a ``key: value`` line; None for comments, blanks and list items."""
    match = _KEY_LINE.match(line)
    if not match:
        return None
    return len(match["indent"]), match["key"].strip("\"'"), match["rest"]


def _block(lines: list[str], start: int, indent: int) -> int:
    """The index after the block whose header (at ``indent``) is ``lines[start]``."""
    end = start + 1
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            continue  # blanks and comments belong to whatever follows them
        if len(lines[index]) - len(lines[index].lstrip(" ")) <= indent:
            break
        end = index + 1
    return end


def _child(lines: list[str], start: int, end: int, name: str) -> tuple[int, int] | None:
    """(line index, indent) of the direct child ``name`` in the block ``lines[start+1:end]``."""
    child_indent = None
    for index in range(start + 1, end):
        parsed = _key(lines[index])
        if parsed is None:
            continue
        indent, key, _ = parsed
        child_indent = indent if child_indent is None else child_indent
        if indent == child_indent and key == name:
            return index, indent
    return None


def _child_indent(lines: list[str], start: int, end: int, parent_indent: int) -> int:
    for index in range(start + 1, end):
        parsed = _key(lines[index])
        if parsed is not None:
            return parsed[0]
    return parent_indent + 2


def _scalar(tag: str, like: str = "") -> str:
    """The tag as YAML text: quoted as the old value was, or when YAML would not read it back as text."""
    quote = like[:1] if like[:1] in ("'", '"') else ""
    if not quote and yaml.safe_load(f"k: {tag}")["k"] != tag:
        quote = '"'
    return f"{quote}{tag}{quote}"


def _value_and_comment(rest: str) -> tuple[str, str]:
    """`` "1.0.0"   # why`` -> (``"1.0.0"``, ``   # why``)."""
    match = re.match(r"^(\s*)(\"[^\"]*\"|'[^']*'|[^#]*?)(\s+#.*)?$", rest)
    if match is None:
        return rest.strip(), ""
    return match[2], match[3] or ""


def edit(text: str, service: str, tag: str) -> tuple[str, str | None]:
    """The stack file's text with the promotion applied, and the previous override (None if none)."""
    lines = text.splitlines(keepends=True)
    newline = "\n" if not lines or lines[0].endswith("\n") else ""
    bare = [line.rstrip("\r\n") for line in lines]
    config = next((i for i, line in enumerate(bare) if _key(line) and _key(line)[:2] == (0, "config")), None)
    if config is None:
        raise PromotionError("has no config: section")
    found = _child(bare, config, _block(bare, config, 0), "tiketi:workloads")
    if found is None:
        raise PromotionError("has no tiketi:workloads section to promote into")
    workloads, workloads_indent = found
    workloads_end = _block(bare, workloads, workloads_indent)
    step = _child_indent(bare, workloads, workloads_end, workloads_indent) - workloads_indent
    found = _child(bare, workloads, workloads_end, "imageTags")
    if found is None:
        # No override yet: imageTags goes right after imageTag (or ends the section).
        anchor = _child(bare, workloads, workloads_end, "imageTag")
        at = anchor[0] + 1 if anchor else workloads_end
        indent = " " * (workloads_indent + step)
        new = [f"{indent}imageTags:{newline}", f"{indent}{' ' * step}{service}: {_scalar(tag)}{newline}"]
        return "".join(lines[:at] + new + lines[at:]), None
    tags, tags_indent = found
    if _value_and_comment(_key(bare[tags])[2])[0]:
        raise PromotionError("writes imageTags on one line (flow style); write it as a block to promote into it")
    tags_end = _block(bare, tags, tags_indent)
    entry = _child(bare, tags, tags_end, service)
    if entry is None:
        indent = " " * _child_indent(bare, tags, tags_end, tags_indent)
        lines.insert(tags_end, f"{indent}{service}: {_scalar(tag)}{newline}")
        return "".join(lines), None
    index, indent = entry
    key_text = bare[index][indent:].split(":", 1)[0]
    old, comment = _value_and_comment(_key(bare[index])[2])
    ending = lines[index][len(bare[index]):]
    lines[index] = f"{' ' * indent}{key_text}: {_scalar(tag, old)}{comment}{ending}"
    return "".join(lines), old.strip("\"'")


def set_image(stack_file: Path, service: str, tag: str) -> str | None:
    """Write the tag; return the previous one (None if the service had no override)."""
    if service not in SERVICE_NAMES:
        raise PromotionError(f"unknown service {service!r}; expected one of {', '.join(SERVICE_NAMES)}")
    try:
        check_image_tag(tag)
    except ValueError as error:
        raise PromotionError(f"tag {tag!r} {error}") from None
    if not stack_file.exists():
        stacks = ", ".join(available_stacks(stack_file.parent)) or "none"
        raise PromotionError(f"no stack file {stack_file.name}; the stacks are: {stacks}")
    before = stack_file.read_text()
    try:
        after, previous = edit(before, service, tag)
    except PromotionError as error:
        raise PromotionError(f"{stack_file.name} {error}") from None
    _verify(stack_file.name, before, after, service, tag)
    stack_file.write_text(after)
    return previous


def _verify(name: str, before: str, after: str, service: str, tag: str) -> None:
    """The edit must mean exactly the intended change, or nothing is written."""
    expected = yaml.safe_load(before)
    workloads = expected["config"]["tiketi:workloads"]
    workloads["imageTags"] = {**(workloads.get("imageTags") or {}), service: tag}
    if yaml.safe_load(after) != expected:
        raise PromotionError(f"{name}: the edit would change more than imageTags.{service}; file left as it was")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    stack_file = Path(options.root) / f"Pulumi.{options.stack}.yaml"
    try:
        previous = set_image(stack_file, options.service, options.tag)
    except PromotionError as error:
        print(f"set-image: {error}", file=sys.stderr)
        return 2
    print(f"{stack_file.name}: {options.service} {previous or '(stack default)'} -> {options.tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
