"""Promote a service image: set ``tiketi:workloads.imageTags.<service>`` in ``Pulumi.<stack>.yaml``.

    python -m tools.ops.set_image --stack prod --service ticket-service --tag 3f9c2ab-20261124120000
    (make set-image STACK=prod SERVICE=ticket-service TAG=3f9c2ab-20261124120000)

This is the Pulumi-side equivalent of the spec's pipelines rewriting Kustomize image tags with
``sed``: the same change ``pulumi config set --path 'tiketi:workloads.imageTags.<service>' <tag>
--stack <stack>`` makes, without needing the Pulumi CLI or a backend login, and keeping the
file's comments and order (ruamel.yaml round-trip). Commit the file; the deploy workflow's
``pulumi up`` rolls the service out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruamel.yaml import YAML

from components.config.kubernetes import check_image_tag
from components.services import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]


class PromotionError(Exception):
    pass


def set_image(stack_file: Path, service: str, tag: str) -> str | None:
    """Write the tag; return the previous one (None if the service had no override)."""
    if service not in SERVICE_NAMES:
        raise PromotionError(f"unknown service {service!r}; expected one of {', '.join(SERVICE_NAMES)}")
    try:
        check_image_tag(tag)
    except ValueError as error:
        raise PromotionError(f"tag {tag!r} {error}") from None
    if not stack_file.exists():
        raise PromotionError(f"no stack file {stack_file.name}")
    yaml = YAML()  # round-trip: comments, order and quoting survive
    yaml.preserve_quotes = True
    document = yaml.load(stack_file.read_text())
    workloads = (document.get("config") or {}).get("tiketi:workloads")
    if workloads is None:
        raise PromotionError(f"{stack_file.name} has no tiketi:workloads section to promote into")
    tags = workloads.setdefault("imageTags", {})
    previous = tags.get(service)
    tags[service] = tag
    with stack_file.open("w") as handle:
        yaml.dump(document, handle)
    return previous


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
