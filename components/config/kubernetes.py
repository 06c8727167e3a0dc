"""``tiketi:cluster``, ``tiketi:workloads`` and ``tiketi:kubernetes``: EKS, the eight services, the kind context."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config import eks_versions
from components.config.base import KeyProblemError, RetentionDays, Section, VersionString, allowed, did_you_mean
from components.config.catalog import EKS_NODE_INSTANCE_TYPES, check_instance_class


class KindSettings(Section):
    """``tiketi:kubernetes`` on the local stack: which kubeconfig context is the kind cluster."""

    context: str = Field(default="kind-tiketi", description="kubeconfig context of the kind cluster")


# EKS access policies an access entry may get, at cluster scope. Pulumi's deploy identity needs
# cluster-admin; a preview works with view: the Kubernetes provider's server-side-apply dry run is
# authorised like the write, and on Forbidden it falls back to a client-side preview
# (pulumi-kubernetes provider.go Create/Update, pulumi/pulumi-kubernetes#2419).
ACCESS_POLICIES = {
    "cluster-admin": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    "view": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
}
# Access entries take the principal's IAM ARN with its path (an SSO role's
# role/aws-reserved/sso.amazonaws.com/...), not the sts assumed-role ARN of a session.
_PRINCIPAL_ARN = re.compile(r"^arn:aws:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_ENTRY_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


class AccessEntrySettings(Section):
    """``tiketi:cluster.accessEntries.<name>``: an IAM principal and what it may do in the cluster."""

    principal_arn: str = Field(
        description="the IAM role or user",
        json_schema_extra=allowed("IAM role or user ARN with its path (not an sts assumed-role ARN)"))
    access: Literal["cluster-admin", "view"] = Field(
        default="cluster-admin",
        description="AmazonEKSClusterAdminPolicy (whoever runs `pulumi up`) or AmazonEKSViewPolicy (pull-request "
                    "previews: enough, they fall back to a client-side diff), at cluster scope")

    @field_validator("principal_arn")
    @classmethod
    def _iam_arn(cls, arn: str) -> str:
        if not _PRINCIPAL_ARN.match(arn):
            raise ValueError("is not an IAM role or user ARN; expected arn:aws:iam::<account>:role/<path/><name> "
                             "(for an SSO session use its role's IAM ARN, not the sts assumed-role ARN)")
        return arn

    @property
    def policy_arn(self) -> str:
        return ACCESS_POLICIES[self.access]


class ClusterSettings(Section):
    """``tiketi:cluster``: the EKS cluster and its managed node group (staging, prod)."""

    # 1.35: in standard support until 2027-03-27; the pins that run it: eks_versions.py's docstring.
    version: VersionString = Field(default="1.35", description="EKS Kubernetes version",
                                   json_schema_extra=allowed("quoted `1.32` to `1.35` (the ones whose extended support "
                                                             "has not ended: eks_versions.py); past standard "
                                                             "support only with supportType EXTENDED"))
    # The API default is EXTENDED (CloudFormation AWS::EKS::Cluster UpgradePolicy): silently $0.60/h.
    support_type: Literal["STANDARD", "EXTENDED"] = Field(
        default="STANDARD", description="EKS upgrade policy: STANDARD upgrades the control plane automatically when "
                                        "its version leaves standard support; EXTENDED keeps it up to 12 more months "
                                        "at the extended-support price ($0.60 instead of $0.10 per cluster hour)")
    public_access_cidrs: list[ipaddress.IPv4Network] = Field(
        default=[], description="who may reach the API server from outside the VPC (CI, VPN); empty: private only",
        json_schema_extra=allowed("list of IPv4 CIDRs, not 0.0.0.0/0"))
    # Checked in components/config/stack.py (StackConfig._service_cidr), where the VPC's range is known.
    # NetworkPolicies read the range back from the cluster, so leaving it unset is always safe.
    service_ipv4_cidr: ipaddress.IPv4Network | None = Field(
        default=None, description="the cluster's Service (ClusterIP) range; unset: EKS chooses 10.100.0.0/16 or "
                                  "172.20.0.0/16 itself. Fixed at creation: setting or changing it on an existing "
                                  "cluster replaces the cluster unless it names the range the cluster already has",
        json_schema_extra=allowed("private (RFC 1918) block of /12 to /24, outside the VPC and 172.17.0.0/16"))
    instance_types: list[str] = Field(
        default=["m7g.large"], min_length=1, description="the node group's instance types",
        json_schema_extra=allowed("EC2 `<family>.<size>` names (components/config/catalog.py) of amiType's "
                                  "architecture"))
    ami_type: Literal["AL2023_ARM_64_STANDARD", "AL2023_x86_64_STANDARD"] = Field(
        default="AL2023_ARM_64_STANDARD", description="node AMI: Graviton (Arm) or x86")
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(default="ON_DEMAND", description="node purchase option")
    min_size: int = Field(default=3, ge=1, description="fewest nodes")
    desired_size: int = Field(default=3, ge=1, description="nodes; Pulumi owns it (Karpenter adds the services' "
                                                           "nodes and leaves this group alone), so raise it with "
                                                           "minSize; between minSize and maxSize")
    max_size: int = Field(default=6, ge=1, description="most nodes")
    log_retention_days: RetentionDays = Field(default=90, description="control-plane log group")
    access_entries: dict[str, AccessEntrySettings] = Field(
        default={}, description="EKS access entries by a stable name (the cluster has no creator entry: list whoever "
                                "runs Pulumi, CI deploy and preview roles included)",
        json_schema_extra={**allowed("map of name (lower-case, hyphens) to {principalArn, access}; one entry per "
                                     "principal; at least one cluster-admin"), "map_key": "name"})
    load_balancer_controller_chart: VersionString = Field(
        default="1.13.0", description="AWS Load Balancer Controller Helm chart version")
    # https://charts.external-secrets.io, chart external-secrets 2.9.0 (app v2.9.0, 2026-08-08): serves
    # external-secrets.io/v1 only. ESO supports only its latest minor; 2.9 is tested on Kubernetes 1.36
    # and installs on >= 1.19 (Chart.yaml kubeVersion).
    external_secrets_chart: VersionString = Field(
        default="2.9.0", description="External Secrets Operator Helm chart version (syncs the services' Secrets)")
    # https://stakater.github.io/stakater-charts, chart reloader 2.2.16 (app v1.4.21): its scoped mode
    # (watchGlobally false + namespaces) creates only a Role per watched namespace.
    reloader_chart: VersionString = Field(
        default="2.2.16", description="Stakater Reloader Helm chart version (restarts a service when its Secret "
                                      "changes)")

    @field_validator("version")
    @classmethod
    def _eks_version(cls, version: str) -> str:
        on = eks_versions.today()
        choices = ", ".join(eks_versions.creatable(on))
        if version not in eks_versions.LIFECYCLE:
            raise ValueError(f"is not an EKS version with known support dates; expected one of {choices} "
                             "(dates in components/config/eks_versions.py)")
        if eks_versions.phase(version, on) == "ended":
            ended = eks_versions.LIFECYCLE[version].extended_ends
            raise ValueError(f"has reached the end of EKS extended support on {ended}: EKS creates no cluster at it "
                             f"and upgrades existing ones; expected one of {choices}")
        return version

    @field_validator("public_access_cidrs")
    @classmethod
    def _no_open_endpoint(cls, cidrs: list[ipaddress.IPv4Network]) -> list[ipaddress.IPv4Network]:
        if any(c.prefixlen == 0 for c in cidrs):
            raise ValueError("must not include 0.0.0.0/0: list the ranges that may reach the API server")
        return cidrs

    @field_validator("instance_types")
    @classmethod
    def _real_instance_types(cls, types: list[str]) -> list[str]:
        for instance_type in types:
            check_instance_class(instance_type, EKS_NODE_INSTANCE_TYPES)
        return types

    @field_validator("access_entries")
    @classmethod
    def _entry_names(cls, entries: dict[str, AccessEntrySettings]) -> dict[str, AccessEntrySettings]:
        for name in entries:
            if not _ENTRY_NAME.match(name):
                raise ValueError(f"names an entry {name!r}; expected a lower-case name of letters, digits and "
                                 "hyphens (it becomes part of the resource names)")
        return entries

    @model_validator(mode="after")
    def _access(self) -> ClusterSettings:
        seen: dict[str, str] = {}
        for name, entry in self.access_entries.items():
            if entry.principal_arn in seen:
                raise KeyProblemError(
                    f"tiketi:cluster.accessEntries.{name}.principalArn", entry.principal_arn,
                    f"is also entry {seen[entry.principal_arn]}; EKS allows one access entry per principal "
                    "(the second fails with 409 ResourceInUseException)")
            seen[entry.principal_arn] = name
        if not any(entry.access == "cluster-admin" for entry in self.access_entries.values()):
            raise KeyProblemError(
                "tiketi:cluster.accessEntries", {name: e.access for name, e in self.access_entries.items()},
                "must give at least one principal cluster-admin access: the cluster has no creator entry, so "
                "the identity running Pulumi needs one to apply the Kubernetes objects")
        return self

    def support_notice(self) -> str | None:
        """The warning preflight and the program give before this version leaves standard support."""
        return eks_versions.notice(self.version, self.support_type, eks_versions.today())

    @model_validator(mode="after")
    def _support(self) -> ClusterSettings:
        on = eks_versions.today()
        if self.support_type == "STANDARD" and eks_versions.phase(self.version, on) == "extended":
            # EKS User Guide, "Disable extended support": "You can only disable extended support for
            # clusters on standard support."
            ended = eks_versions.LIFECYCLE[self.version].standard_ends
            raise KeyProblemError(
                "tiketi:cluster.version", self.version,
                f"left EKS standard support on {ended} and tiketi:cluster.supportType is STANDARD, which EKS "
                f"allows only for versions in standard support; expected one of "
                f"{', '.join(eks_versions.in_standard_support(on))}, or set supportType to EXTENDED to pay "
                "$0.60 instead of $0.10 per cluster hour")
        return self

    @model_validator(mode="after")
    def _sizes(self) -> ClusterSettings:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise KeyProblemError("tiketi:cluster.desiredSize", self.desired_size,
                                   f"must lie between minSize ({self.min_size}) and maxSize ({self.max_size})")
        arm = self.ami_type.startswith("AL2023_ARM")
        for index, instance_type in enumerate(self.instance_types):
            graviton = EKS_NODE_INSTANCE_TYPES.family_of(instance_type) in EKS_NODE_INSTANCE_TYPES.graviton
            if arm != graviton:
                raise KeyProblemError(f"tiketi:cluster.instanceTypes[{index}]", instance_type,
                                       f"does not run amiType {self.ami_type}")
        return self


class AutoscalingRange(Section):
    """``tiketi:workloads.autoscaling.<service>``: an HPA's replica range."""

    min: int = Field(ge=1, description="fewest replicas")
    max: int = Field(ge=1, description="most replicas; at least min")

    @model_validator(mode="after")
    def _ordered(self) -> AutoscalingRange:
        if self.min > self.max:
            raise ValueError(f"has min {self.min} above max {self.max}")
        return self


class HpaBehaviour(Section):
    """``tiketi:workloads.hpaBehaviour``: how fast every HPA scales (an on-sale: up in seconds, down slowly).

    The HPA's own defaults, written out so they can be read and tested: scale up by the larger of
    100 % or 4 pods every 15 s with no stabilisation; scale down only after the recommendation has
    stayed lower for the stabilisation window, then one pod a minute (Kubernetes docs,
    "Horizontal Pod Autoscaling", "Default behavior" and "Limit scale down rate")."""

    scale_up_percent: int = Field(default=100, ge=1, le=1000, description="scale up by at most this percent of the "
                                                                         "current replicas per period")
    scale_up_pods: int = Field(default=4, ge=1, description="...or by this many pods, whichever is more")
    scale_up_period_seconds: int = Field(default=15, ge=1, le=1800, description="the scale-up policies' period")
    scale_down_stabilization_seconds: int = Field(
        default=300, ge=0, le=3600, description="scale down only to the highest recommendation of this window "
                                                "(keeps an on-sale's second wave from meeting fewer pods)")
    scale_down_pods: int = Field(default=1, ge=1, description="remove at most this many pods per period")
    scale_down_period_seconds: int = Field(default=60, ge=1, le=1800, description="the scale-down policy's period")


# Deployments roll out with maxSurge 1, maxUnavailable 0: one extra pod per service during a rollout.
ROLLOUT_SURGE = 1
# Spring Boot's graceful shutdown waits up to 30 s for in-flight requests
# (spring.lifecycle.timeout-per-shutdown-phase): the grace period must cover it after the preStop.
SHUTDOWN_PHASE_SECONDS = 30


class WorkloadsSettings(Section):
    """``tiketi:workloads``: the eight services in every stack (spec 1.1-1.3, 2)."""

    namespace: str = Field(description="the services' namespace",
                           json_schema_extra=allowed("Kubernetes namespace name (lower-case DNS label)"))
    image_tag: VersionString = Field(default="local", description="tag of every service image",
                                     json_schema_extra=allowed("a pinned tag, not `latest`"))
    image_tags: dict[str, VersionString] = Field(
        default={}, description="per-service tag overrides (`make set-image`)",
        json_schema_extra=allowed("map of service name to a pinned tag"))
    replicas: dict[str, int] = Field(
        default={}, description="replicas per service (default 1, or the HPA's minimum)",
        json_schema_extra=allowed("map of service name to 1 or more"))
    autoscaling: dict[str, AutoscalingRange] = Field(
        default={}, description="HPAs (CPU) per service",
        json_schema_extra={**allowed("map of service name to {min, max}"), "map_key": "service"})
    cpu_target_percent: int = Field(default=70, ge=10, le=100, description="HPA CPU utilisation target")
    hpa_behaviour: HpaBehaviour = Field(default=HpaBehaviour(), description="HPA scale-up and scale-down speed")
    disruption_budgets: bool = Field(default=False, description="PodDisruptionBudgets for the backend services and "
                                                                "every autoscaled one (maxUnavailable 1)")
    pdb_min_available: int | None = Field(
        default=None, ge=1, description="PDB minAvailable instead of maxUnavailable 1 (spec 2.2 wrote 1); must stay "
                                        "below every budgeted service's fewest replicas, or no eviction is ever "
                                        "allowed")
    topology_spread: bool = Field(default=False, description="spread each service's pods across zones and nodes")
    priority_classes: bool = Field(default=False, description="PriorityClasses: gateway and ticket-service are "
                                                              "preempted last")
    pre_stop_seconds: int = Field(default=40, ge=0, le=600,
                                  description="preStop sleep: longer than the target groups' deregistration delay "
                                              "(30 s), so no request reaches a pod that is shutting down; 0: none")
    termination_grace_seconds: int = Field(default=75, ge=1, le=3600,
                                           description="terminationGracePeriodSeconds: the preStop plus Spring's "
                                                       f"{SHUTDOWN_PHASE_SECONDS} s graceful shutdown")
    database_pool_size: int = Field(default=10, ge=1, le=200,
                                    description="HikariCP maximumPoolSize per pod (its default is 10); the capacity "
                                                "check budgets RDS Proxy connections with it")
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="an external Kafka cluster for the services instead of the stack's MSK cluster "
                                  "(AWS stacks then build none); never echoed in errors",
        json_schema_extra=allowed("`host:port` list, comma-separated, without users, passwords or URL schemes"))
    zipkin_endpoint: str | None = Field(default=None, description="trace collector (unset: tracing off)")
    # The first deploy of an AWS stack runs with it off (its ECR repositories are still empty); on
    # kind it is the platform-only mode for developers who run the services from their IDE.
    deploy_services: bool = Field(
        default=True, description="deploy the services' Deployments, HPAs and PDBs (false: everything else only: "
                                  "the first AWS update, kind's platform-only mode)")

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, name: str) -> str:
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name):
            raise ValueError("is not a Kubernetes namespace name (lower-case DNS label)")
        return name

    @field_validator("image_tag")
    @classmethod
    def _tag(cls, tag: str) -> str:
        return check_image_tag(tag)

    @field_validator("image_tags", "replicas", "autoscaling")
    @classmethod
    def _known_services(cls, mapping: dict) -> dict:
        from components.services import SERVICE_NAMES

        for service in mapping:
            if service not in SERVICE_NAMES:
                raise ValueError(f"names {service!r}, which is not a service; expected one of "
                                 f"{', '.join(SERVICE_NAMES)}{did_you_mean(service, SERVICE_NAMES)}")
        return mapping

    @field_validator("image_tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for tag in tags.values():
            check_image_tag(tag)
        return tags

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, replicas: dict[str, int]) -> dict[str, int]:
        if any(count < 1 for count in replicas.values()):
            raise ValueError("must give every service at least 1 replica")
        return replicas

    @model_validator(mode="after")
    def _bootstrap_servers(self) -> WorkloadsSettings:
        if self.kafka_bootstrap_servers is not None:
            check_bootstrap_servers(self.kafka_bootstrap_servers)
        return self

    @property
    def kafka_ports(self) -> tuple[int, ...]:
        """The distinct ports of the external Kafka cluster (empty without one)."""
        servers = self.kafka_bootstrap_servers or ""
        return tuple(sorted({int(entry.rsplit(":", 1)[1]) for entry in servers.split(",") if entry.strip()}))

    @model_validator(mode="after")
    def _consistent(self) -> WorkloadsSettings:
        key = "tiketi:workloads"
        for service, scaling in self.autoscaling.items():
            floor = self.replicas.get(service)
            if floor is not None and scaling.min < floor:
                raise KeyProblemError(f"{key}.autoscaling.{service}.min", scaling.min,
                                       f"is below {key}.replicas.{service} ({floor}): the HPA would scale the "
                                       "service under the replicas the stack asks for")
        if self.disruption_budgets and self.pdb_min_available is not None:
            for service in self.budgeted_services:
                if self.pdb_min_available >= self.min_replicas(service):
                    raise KeyProblemError(
                        f"{key}.pdbMinAvailable", self.pdb_min_available,
                        f"forbids every eviction of {service}, which may run {self.min_replicas(service)} "
                        "replica(s): node drains, Karpenter consolidation and node-group updates would wait forever; "
                        "leave it unset (maxUnavailable 1) or below every budgeted service's fewest replicas")
        if self.termination_grace_seconds < self.pre_stop_seconds + SHUTDOWN_PHASE_SECONDS:
            raise KeyProblemError(f"{key}.terminationGraceSeconds", self.termination_grace_seconds,
                                   f"does not cover preStopSeconds ({self.pre_stop_seconds}) plus Spring's "
                                   f"{SHUTDOWN_PHASE_SECONDS} s graceful shutdown: the kubelet would kill pods "
                                   "with requests in flight")
        return self

    @property
    def budgeted_services(self) -> tuple[str, ...]:
        """The services that get a PodDisruptionBudget: the backend ones (spec 2.2) and every autoscaled one."""
        from components.services import SERVICES

        if not self.disruption_budgets:
            return ()
        return tuple(s.name for s in SERVICES if s.is_backend or s.name in self.autoscaling)

    def min_replicas(self, service: str) -> int:
        scaling = self.autoscaling.get(service)
        return scaling.min if scaling else self.replicas_for(service)

    def max_replicas(self, service: str) -> int:
        scaling = self.autoscaling.get(service)
        return scaling.max if scaling else self.replicas_for(service)

    def image_tag_for(self, service: str) -> str:
        return self.image_tags.get(service, self.image_tag)

    def replicas_for(self, service: str) -> int:
        """Replicas from the table; an autoscaled service without an entry starts at its minimum."""
        scaling = self.autoscaling.get(service)
        return self.replicas.get(service, scaling.min if scaling else 1)


def check_image_tag(tag: str) -> str:
    if tag == "latest" or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag):
        raise ValueError("is not allowed; expected a pinned image tag (not 'latest'), e.g. 3f9c2ab-20261124")
    return tag


# host:port, the host a DNS name or an IPv4 address (what Kafka's bootstrap.servers takes).
_BOOTSTRAP_ENTRY = re.compile(r"(?=.{1,253}:)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                              r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*:(?P<port>\d{1,5})")


def check_bootstrap_servers(servers: str) -> None:
    """A comma-separated host:port list; never echoed, since a mistaken value may carry a password."""
    key = "tiketi:workloads.kafkaBootstrapServers"
    entries = [entry.strip() for entry in servers.split(",")]
    for index, entry in enumerate(entries, start=1):
        if "@" in entry or "://" in entry or "=" in entry:
            raise KeyProblemError(key, None, f"entry {index} holds a user, password or URL; expected only host:port "
                                             "pairs (the services' Kafka credentials belong in their Secret)",
                                  hidden=True)
        match = _BOOTSTRAP_ENTRY.fullmatch(entry)
        if not match or not 1 <= int(match["port"]) <= 65535:
            raise KeyProblemError(key, None, f"entry {index} is not host:port; expected a comma-separated list such "
                                             "as b-1.kafka.example.com:9096,b-2.kafka.example.com:9096",
                                  hidden=True)
