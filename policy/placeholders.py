"""Values that only stand in for the team's own: documentation accounts, domains and address ranges.

The committed stack files carry such values where the repository cannot know the real ones
(ACM certificate ARNs in account 123456789012, ``*.example.com`` names, 203.0.113.0/24 for
the office range). They pass every shape check, so a real ``pulumi up`` would build the VPC,
EKS and RDS before AWS refused the first of them. ``find`` says where they are; the policy
rule ``no-placeholder-values`` and ``make preview``/``make up`` (tools/ops/preflight.py) refuse
them, and the offline render lists them in its summary.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from policy_model import Resource, Rule

# The account ids AWS documentation uses in its examples.
DOCUMENTATION_ACCOUNTS = frozenset({"123456789012", "111122223333", "444455556666"})
# RFC 2606 second-level domains reserved for documentation.
_DOMAIN = re.compile(r"(?<![A-Za-z0-9-])((?:[A-Za-z0-9-]+\.)*example\.(?:com|net|org))(?![A-Za-z0-9-])", re.I)
_ARN_ACCOUNT = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?)(?![\d.])")
# RFC 5737 TEST-NET ranges.
DOCUMENTATION_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


def reason(text: str) -> str | None:
    """Why ``text`` is a placeholder, or None when it is not one."""
    for match in _ARN_ACCOUNT.finditer(text):
        if match[1] in DOCUMENTATION_ACCOUNTS:
            return f"names the documentation account {match[1]}"
    match = _DOMAIN.search(text)
    if match:
        return f"names the documentation domain {match[1]} (RFC 2606)"
    for candidate in _IPV4.findall(text):
        try:
            network = ipaddress.ip_network(candidate, strict=False)
        except ValueError:
            continue
        for documentation in DOCUMENTATION_NETWORKS:
            # Inside a documentation range (0.0.0.0/0 contains them all and is no placeholder).
            if network.version == documentation.version and network.subnet_of(documentation):
                return f"is in the documentation range {documentation} (RFC 5737)"
    return None


def find(value: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """(path, value, reason) of every placeholder string inside ``value``; paths read like config keys."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from find(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from find(item, f"{path}[{index}]")
    elif isinstance(value, str):
        why = reason(value)
        if why:
            yield path, value, why


RULE_NAME = "no-placeholder-values"


def no_placeholder_values(r: Resource) -> list[str]:
    return [f"{path}: {value!r} {why}; put the team's own value in Pulumi.<stack>.yaml before deploying"
            for path, value, why in find(dict(r.props))]


PLACEHOLDER_RULES: tuple[Rule, ...] = (
    Rule(RULE_NAME, "No documentation account, example.com name or TEST-NET range reaches AWS", (),
         no_placeholder_values),
)
