"""Typed, validated stack configuration: the one module that reads ``pulumi.Config``.

``load_stack_config()`` turns the stack's config (``Pulumi.<stack>.yaml``) into one frozen
``StackConfig``. Every other module receives typed values from it. Invalid config raises
``ConfigError`` before ``__main__.py`` registers any resource, with one line per problem
that names the key, the bad value and what is allowed, e.g.::

    tiketi:network.natGateways: "double" is not allowed; expected "perAz" or "single"

``parse_stack_config()`` is the pure core (a dict of raw config strings in, ``StackConfig``
out) so tests exercise validation without a Pulumi engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from components.config.async_ import QueueSettings, WorkerSettings
from components.config.base import KeyProblemError
from components.config.data import CacheSettings, DatabaseSettings
from components.config.edge import EdgeSettings
from components.config.kubernetes import ClusterSettings, KindSettings, WorkloadsSettings
from components.config.network import AwsSettings, NetworkSettings
from components.config.observability import AlertsSettings
from components.config.security import SecretsSettings

PROJECT = "tiketi"


class ConfigError(pulumi.RunError):
    """Stack config is invalid. ``RunError`` makes Pulumi print the message without a traceback."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n  " + "\n  ".join(problems))


class StackConfig(BaseModel):
    """Everything ``__main__.py`` needs to decide what to build, already validated."""

    model_config = ConfigDict(frozen=True)

    project: str
    stack: str
    platform: Literal["kind", "aws"]
    aws: AwsSettings | None = None
    network: NetworkSettings | None = None
    kubernetes: KindSettings | None = None
    secrets: SecretsSettings | None = None
    database: DatabaseSettings | None = None
    cache: CacheSettings | None = None
    alerts: AlertsSettings | None = None
    queue: QueueSettings | None = None
    worker: WorkerSettings | None = None
    edge: EdgeSettings | None = None
    cluster: ClusterSettings | None = None
    workloads: WorkloadsSettings | None = None

    @property
    def is_aws(self) -> bool:
        return self.platform == "aws"

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    @model_validator(mode="after")
    def _zones_in_region(self) -> StackConfig:
        if self.aws is not None and self.network is not None:
            _check_zones_in_region(self.network.availability_zones, self.aws.region)
        if self.aws is not None and self.edge is not None and self.edge.alb_certificate_arn:
            region = self.edge.alb_certificate_arn.split(":")[3]
            if region != self.aws.region:
                raise KeyProblemError("tiketi:edge.albCertificateArn", self.edge.alb_certificate_arn,
                                       f"must be in aws:region {self.aws.region}, where the ALB is")
        return self


# Every `tiketi:` section: the platform it belongs to, and whether the stack file must
# give it (sizes that differ per environment) or its defaults apply.
SECTIONS: dict[str, tuple[str, bool]] = {
    "network": ("aws", True),
    "secrets": ("aws", False),
    "database": ("aws", True),
    "cache": ("aws", True),
    "alerts": ("aws", False),
    "queue": ("aws", False),
    "worker": ("aws", True),
    "edge": ("aws", True),
    "cluster": ("aws", True),
    "workloads": ("any", True),
    "kubernetes": ("kind", False),
}
_TIKETI_KEYS = ("platform", *SECTIONS)


def _check_zones_in_region(zones: list[str], region: str) -> None:
    for index, zone in enumerate(zones):
        if not re.fullmatch(re.escape(region) + r"[a-z]", zone):
            raise KeyProblemError(
                f"tiketi:network.availabilityZones[{index}]",
                zone,
                f"is not an availability zone of aws:region {region} (expected {region}a, {region}b, ...)",
            )


def _default_tag_problems(tags: Mapping[str, str], stack: str) -> list[str]:
    expected = {"Project": "Tiketi", "Environment": stack, "ManagedBy": "Pulumi"}
    return [
        f'aws:defaultTags.tags.{name}: {_describe(tags.get(name))} must be "{value}" '
        "so every AWS resource carries the required tags"
        for name, value in expected.items()
        if tags.get(name) != value
    ]


def _decode(raw: Any) -> Any:
    """Pulumi hands config values over as strings; objects and lists arrive JSON-encoded."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _describe(value: Any) -> str:
    return json.dumps(value, default=str) if value is not None else "(not set)"


def parse_stack_config(project: str, stack: str, raw: Mapping[str, Any]) -> StackConfig:
    """Validate raw config (``{"tiketi:network": "{...}", "aws:region": "..."}``)."""
    problems: list[str] = []
    if project != PROJECT:
        problems.append(f'project: "{project}" is not this program; expected "{PROJECT}"')

    fields: dict[str, Any] = {"project": project, "stack": stack}
    for full_key, value in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            continue
        if key not in _TIKETI_KEYS:
            allowed = ", ".join(f"tiketi:{k}" for k in _TIKETI_KEYS)
            problems.append(f"{full_key}: unknown key; allowed keys are {allowed}")
            continue
        fields[key] = _decode(value)

    platform = fields.get("platform")
    if platform is None:
        problems.append('tiketi:platform: is required; expected "kind" (local) or "aws"')
    elif platform in ("kind", "aws"):
        for section, (owner, required) in SECTIONS.items():
            if owner not in (platform, "any"):
                if section in fields:
                    problems.append(f"tiketi:{section}: is only for tiketi:platform {owner}, not {platform}; remove it")
            elif required and section not in fields:
                problems.append(f"tiketi:{section}: is required when tiketi:platform is {platform}")
            else:
                fields.setdefault(section, {})  # every key of an optional section has a default
        if platform == "aws":
            problems += _aws_problems(stack, raw, fields)

    if problems:
        raise ConfigError(problems)
    try:
        return StackConfig.model_validate(fields)
    except ValidationError as error:
        raise ConfigError(_explain(error)) from None


def _aws_problems(stack: str, raw: Mapping[str, Any], fields: dict[str, Any]) -> list[str]:
    """Check the aws: namespace and copy it into ``fields`` for AwsSettings."""
    problems = []
    region = raw.get("aws:region")
    if region is None:
        problems.append("aws:region: is required when tiketi:platform is aws")
    default_tags = _decode(raw.get("aws:defaultTags"))
    tags = default_tags.get("tags") if isinstance(default_tags, dict) else None
    if not isinstance(tags, dict):
        problems.append(
            f"aws:defaultTags: {_describe(default_tags)} must be an object with a tags map "
            "(Project, Environment, ManagedBy) when tiketi:platform is aws"
        )
    else:
        problems += _default_tag_problems(tags, stack)
    if region is not None and isinstance(tags, dict):
        fields["aws"] = {"region": region, "defaultTags": tags}
    return problems


def _explain(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, KeyProblemError):
            problems.append(f"{cause.key}: {_describe(cause.value)} {cause.what}")
            continue
        key = _key_name(item["loc"])
        kind, message = item["type"], item["msg"].removeprefix("Value error, ")
        if kind == "missing":
            problems.append(f"{key}: is required")
        elif kind == "extra_forbidden":
            problems.append(f"{key}: unknown key ({_describe(item['input'])}); check the spelling")
        elif kind == "literal_error":
            expected = item["ctx"]["expected"].replace("'", '"')
            problems.append(f"{key}: {_describe(item['input'])} is not allowed; expected {expected}")
        else:
            problems.append(f"{key}: {_describe(item['input'])} {_lower_first(message)}")
    return problems


def _key_name(loc: tuple[Any, ...]) -> str:
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
    if text.startswith(("is ", "must ", "expected ", "has ", "needs ", "contains ")):
        return text
    return "is invalid: " + text[:1].lower() + text[1:]


def _all_config() -> dict[str, Any]:
    """Every config key the engine passed, so unknown (misspelt) `tiketi:` keys are caught.

    A real `pulumi up` passes config through the PULUMI_CONFIG environment variable; the
    mock engine (tests, offline render) sets it with ``set_all_config``. Read both.
    """
    merged = dict(pulumi.runtime.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    return merged


def load_stack_config() -> StackConfig:
    """Read and validate this stack's config; raise ConfigError before anything is registered."""
    return parse_stack_config(pulumi.get_project(), pulumi.get_stack(), _all_config())
