"""Refuse a real preview or update while the stack's config is invalid or still holds placeholders.

    python -m tools.ops.preflight --stack prod        (make preview and make up run it first)

Runs before the Pulumi CLI, with nothing but the stack file: the config must validate
(components/config/) and no value may be a documentation placeholder (policy/placeholders.py:
account 123456789012 ARNs, ``*.example.com`` names, the TEST-NET ranges such as 203.0.113.0/24).
Otherwise a real ``pulumi up`` builds the VPC, EKS and RDS (about half an hour) before AWS
refuses the first placeholder. Every offending key is named; exit status 1.
"""

from __future__ import annotations

import argparse
import sys

from components.config import ConfigError, parse_stack_config
from tools.harness.mock_engine import PROJECT, ProgramError, load_stack_config_file
from tools.harness.policy_check import config_placeholders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    stack = parser.parse_args(argv).stack
    try:
        config, secret_keys = load_stack_config_file(stack)
    except ProgramError as error:
        print(f"preflight: {error}", file=sys.stderr)
        return 2
    try:
        parsed = parse_stack_config(PROJECT, stack, config)
    except ConfigError as error:
        print(f"preflight {stack}: {error}", file=sys.stderr)
        return 1
    if parsed.cluster is not None:
        warning = parsed.cluster.support_notice()
        if warning:
            print(f"preflight {stack}: warning: {warning}", file=sys.stderr)
    found = config_placeholders(config, secret_keys)
    if found:
        print(f"preflight {stack}: refusing to deploy: {len(found)} value(s) in Pulumi.{stack}.yaml are "
              "placeholders; replace each with the team's own before make preview/up:", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        return 1
    print(f"preflight {stack}: config valid, no placeholder values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
