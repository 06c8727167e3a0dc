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

import functools
import importlib.util
import ipaddress
import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from components.config.async_ import QueueSettings, WorkerSettings
from components.config.autoscaling import AutoscalingSettings, seconds
from components.config.base import KeyProblemError, did_you_mean
from components.config.data import CacheSettings, DatabaseSettings, KafkaSettings
from components.config.edge import EdgeSettings
from components.config.errors import ConfigError, describe, explain, unknown_key
from components.config.kubernetes import ClusterSettings, KindSettings, WorkloadsSettings
from components.config.network import AwsSettings, NetworkSettings
from components.config.observability import AlertsSettings, ObservabilitySettings
from components.config.security import ProtectionSettings, SecretsSettings

PROJECT = "tiketi"


class StackConfig(BaseModel):
    """Everything ``__main__.py`` needs to decide what to build, already validated."""

    model_config = ConfigDict(frozen=True)

    project: str
    stack: str
    platform: Literal["kind", "aws"] = Field(
        description="what the stack composes: a local kind cluster (`kind`) or AWS + EKS (`aws`)")
    # Top-level keys the stack marks secret (a `secure:` value at any depth marks its whole key).
    secret_keys: frozenset[str] = frozenset()
    aws: AwsSettings | None = None
    network: NetworkSettings | None = None
    kubernetes: KindSettings | None = None
    secrets: SecretsSettings | None = None
    protection: ProtectionSettings | None = None
    database: DatabaseSettings | None = None
    cache: CacheSettings | None = None
    kafka: KafkaSettings | None = None
    alerts: AlertsSettings | None = None
    queue: QueueSettings | None = None
    worker: WorkerSettings | None = None
    edge: EdgeSettings | None = None
    cluster: ClusterSettings | None = None
    workloads: WorkloadsSettings | None = None
    observability: ObservabilitySettings | None = None
    autoscaling: AutoscalingSettings | None = None

    @property
    def is_aws(self) -> bool:
        return self.platform == "aws"

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    @model_validator(mode="after")
    def _service_cidr(self) -> StackConfig:
        # EKS API KubernetesNetworkConfigRequest.serviceIpv4Cidr: within 10.0.0.0/8, 172.16.0.0/12 or
        # 192.168.0.0/16, between /24 and /12 (terraform-provider-aws eks/cluster.go validates the same), and
        # "doesn't overlap with any CIDR block assigned to the VPC". EKS fixes it at creation ("You can only
        # specify a custom CIDR block when you create a cluster"). 172.17.0.0/16 is Docker's bridge range on
        # EKS nodes (EKS user guide, network requirements).
        cidr = self.cluster.service_ipv4_cidr if self.cluster is not None else None
        if cidr is None:
            return self
        key = "tiketi:cluster.serviceIpv4Cidr"
        if not any(cidr.subnet_of(block) for block in _RFC1918) or not 12 <= cidr.prefixlen <= 24:
            raise KeyProblemError(key, str(cidr), "is not allowed; expected a /12 to /24 inside 10.0.0.0/8, "
                                                  "172.16.0.0/12 or 192.168.0.0/16 (EKS API), e.g. 172.20.0.0/16")
        if cidr.overlaps(_DOCKER_BRIDGE):
            raise KeyProblemError(key, str(cidr), f"must not overlap {_DOCKER_BRIDGE}, the Docker bridge range on "
                                                  "EKS nodes")
        if self.network is not None and cidr.overlaps(self.network.vpc_cidr):
            raise KeyProblemError(key, str(cidr), f"overlaps the VPC ({self.network.vpc_cidr}); EKS needs a Service "
                                                  "range outside it")
        return self

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

    @model_validator(mode="after")
    def _kafka_fits_the_zones(self) -> StackConfig:
        if self.kafka is not None and self.network is not None and self.workloads is not None:
            _check_kafka(self.kafka, len(self.network.availability_zones), self.workloads)
        return self

    @model_validator(mode="after")
    def _capacity(self) -> StackConfig:
        """The stack holds its own maximums (components/capacity/), and nodes outlast their pods' shutdown."""
        if self.autoscaling is None or self.workloads is None:
            return self
        pool, workloads = self.autoscaling.node_pool, self.workloads
        if seconds(pool.termination_grace_period) <= workloads.termination_grace_seconds:
            raise KeyProblemError("tiketi:autoscaling.nodePool.terminationGracePeriod", pool.termination_grace_period,
                                   f"must be longer than tiketi:workloads.terminationGraceSeconds "
                                   f"({workloads.termination_grace_seconds}): a node must outlast its pods' shutdown")
        from components.capacity import check, plan_from_config

        for finding in check(plan_from_config(self)).problems:
            raise KeyProblemError(finding.key, finding.value, finding.problem)
        return self


    @model_validator(mode="after")
    def _bootstrap_namespace_fits(self) -> StackConfig:
        # On AWS the database bootstrap runs in "<namespace>-db-bootstrap" (components/kubernetes/
        # database_bootstrap.py), which must be a DNS label too: at most 63 characters.
        if self.is_aws and self.workloads is not None and len(self.workloads.namespace) > 63 - len(BOOTSTRAP_SUFFIX):
            raise KeyProblemError(
                "tiketi:workloads.namespace", self.workloads.namespace,
                f"is too long on AWS: the database bootstrap's namespace <namespace>{BOOTSTRAP_SUFFIX} must fit in "
                f"63 characters, so at most {63 - len(BOOTSTRAP_SUFFIX)}")
        return self


BOOTSTRAP_SUFFIX = "-db-bootstrap"
_RFC1918 = tuple(ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_DOCKER_BRIDGE = ipaddress.IPv4Network("172.17.0.0/16")

# Every `tiketi:` section: the platform it belongs to, and whether the stack file must
# give it (sizes that differ per environment) or its defaults apply.
SECTIONS: dict[str, tuple[str, bool]] = {
    "network": ("aws", True),
    "secrets": ("aws", False),
    "protection": ("aws", False),
    "database": ("aws", True),
    "cache": ("aws", True),
    "kafka": ("aws", False),
    "alerts": ("aws", False),
    "queue": ("aws", False),
    "worker": ("aws", True),
    "edge": ("aws", True),
    "cluster": ("aws", True),
    "workloads": ("any", True),
    "observability": ("aws", False),
    "autoscaling": ("aws", False),
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


def _check_kafka(kafka: KafkaSettings, zones: int, workloads: WorkloadsSettings) -> None:
    """MSK spreads brokers evenly over one subnet per zone; replication needs that many brokers."""
    if workloads.kafka_bootstrap_servers is not None and kafka.model_fields_set:
        raise KeyProblemError("tiketi:kafka", sorted(kafka.model_fields_set),
                              "is set, but tiketi:workloads.kafkaBootstrapServers points the services at an external "
                              "cluster and no MSK cluster is built; remove one of them")
    sizing = kafka.sizing(zones)
    if sizing.brokers % zones:
        # https://docs.aws.amazon.com/msk/latest/developerguide/msk-update-broker-count.html: "It must also be
        # a multiple of the number of Availability Zones" (pulumi-aws msk/cluster.py: "a multiple of the
        # number of specified client subnets").
        raise KeyProblemError("tiketi:kafka.brokers", sizing.brokers,
                              f"is not a multiple of the {zones} availability zones in "
                              "tiketi:network.availabilityZones; MSK places the same number of brokers in each zone")
    if sizing.replication_factor > sizing.brokers:
        raise KeyProblemError("tiketi:kafka.replicationFactor", sizing.replication_factor,
                              f"is above the broker count ({sizing.brokers}): each replica needs its own broker")
    if sizing.min_insync_replicas >= sizing.replication_factor:
        # MSK best practices: min.insync.replicas at most RF - 1, or producers with acks=all stop while
        # MSK restarts a broker for patching.
        raise KeyProblemError("tiketi:kafka.minInsyncReplicas", sizing.min_insync_replicas,
                              f"must be below replicationFactor ({sizing.replication_factor}) so producers keep "
                              "writing while MSK restarts one broker")


def _default_tag_problems(tags: Mapping[str, str], stack: str, secret_keys: frozenset[str]) -> list[str]:
    expected = {"Project": "Tiketi", "Environment": stack, "ManagedBy": "Pulumi"}
    return [
        f'aws:defaultTags.tags.{name}: {describe(tags.get(name), "aws:defaultTags", secret_keys)} must be "{value}" '
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


@functools.cache
def aws_provider_keys() -> tuple[str, ...]:
    """Every ``aws:`` key the installed AWS provider reads (its generated ``config/vars.py``).

    Read as text, not imported: the list follows the pinned pulumi-aws without loading it.
    """
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        return ()
    text = (Path(spec.submodule_search_locations[0]) / "config" / "vars.py").read_text()
    return tuple(sorted(set(re.findall(r"__config__\.get\w*\('(\w+)'\)", text))))


def _namespace_problems(full_key: str) -> list[str]:
    """A key outside ``tiketi:`` and ``aws:``: a misspelt namespace is a problem, any other is not ours."""
    namespace, _, key = full_key.partition(":")
    if namespace == "aws":
        known = aws_provider_keys()
        if known and key not in known:
            return [unknown_key(full_key, list(known), "aws:", list_known=False)
                    + "; see the AWS provider's configuration keys"]
        return []
    hint = did_you_mean(full_key, [f"{PROJECT}:{k}" for k in _TIKETI_KEYS] + [f"aws:{k}" for k in aws_provider_keys()])
    return [f"{full_key}: unknown namespace {namespace!r}{hint}"] if hint else []


def parse_stack_config(project: str, stack: str, raw: Mapping[str, Any],
                       secret_keys: Collection[str] = ()) -> StackConfig:
    """Validate raw config (``{"tiketi:network": "{...}", "aws:region": "..."}``).

    ``secret_keys`` are the keys the stack marks secret: no message shows their values.
    """
    secret_keys = frozenset(secret_keys)
    problems: list[str] = []
    if project != PROJECT:
        problems.append(f'project: "{project}" is not this program; expected "{PROJECT}"')

    fields: dict[str, Any] = {"project": project, "stack": stack, "secret_keys": secret_keys}
    for full_key, value in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            problems += _namespace_problems(full_key)
        elif key not in _TIKETI_KEYS:
            problems.append(unknown_key(full_key, list(_TIKETI_KEYS), f"{PROJECT}:"))
        else:
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
            problems += _aws_problems(stack, raw, fields, secret_keys)

    if problems:
        raise ConfigError(problems)
    try:
        return StackConfig.model_validate(fields)
    except ValidationError as error:
        raise ConfigError(explain(error, StackConfig, secret_keys)) from None


def _aws_problems(stack: str, raw: Mapping[str, Any], fields: dict[str, Any],
                  secret_keys: frozenset[str]) -> list[str]:
    """Check the aws: namespace and copy it into ``fields`` for AwsSettings."""
    problems = []
    region = raw.get("aws:region")
    if region is None:
        problems.append("aws:region: is required when tiketi:platform is aws")
    default_tags = _decode(raw.get("aws:defaultTags"))
    tags = default_tags.get("tags") if isinstance(default_tags, dict) else None
    if not isinstance(tags, dict):
        problems.append(
            f"aws:defaultTags: {describe(default_tags, 'aws:defaultTags', secret_keys)} must be an object with a "
            "tags map (Project, Environment, ManagedBy) when tiketi:platform is aws"
        )
    else:
        problems += _default_tag_problems(tags, stack, secret_keys)
    if region is not None and isinstance(tags, dict):
        fields["aws"] = {"region": region, "defaultTags": tags}
    return problems


def _all_config() -> tuple[dict[str, Any], frozenset[str]]:
    """Every config key the engine passed (so unknown, misspelt keys are caught), and the secret ones.

    A real `pulumi up` passes config through the PULUMI_CONFIG environment variable and the
    secret keys through PULUMI_CONFIG_SECRET_KEYS; the mock engine (tests, offline render) sets
    both with ``set_all_config``. Read both.
    """
    merged = dict(pulumi.runtime.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    secret = set(pulumi.runtime.get_config_secret_keys_env())
    secret.update(key for key in merged if pulumi.runtime.is_config_secret(key))
    return merged, frozenset(secret)


def load_stack_config() -> StackConfig:
    """Read and validate this stack's config; raise ConfigError before anything is registered."""
    raw, secret_keys = _all_config()
    return parse_stack_config(pulumi.get_project(), pulumi.get_stack(), raw, secret_keys)
