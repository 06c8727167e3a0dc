"""Workloads: the eight Tiketi services in one namespace, on every stack (spec 1.1-1.3, 2, 3.1, 7).

Owns the namespace, the ConfigMap the Spring services read, each service's own Secret
(components/kubernetes/service_secrets.py: synced from Secrets Manager on AWS, written by Pulumi
on kind; only the keys that service uses), one ServiceAccount, Deployment and Service per
service, the HPAs, PDBs and PriorityClasses their config asks for (their specs:
components/kubernetes/scaling.py), the TargetGroupBindings that put frontend and
gateway (public ALB) and ticket-service (internal ALB) pods into Pulumi's target groups (one
target group each: a target group belongs to one load balancer), and ticket-service's IRSA role
that may send to the worker queue. NetworkPolicies are their own component
(components/kubernetes/network_policies.py).

Rollouts and scale-downs drop no request: with target group bindings the namespace is labelled
for the Load Balancer Controller's pod readiness gates (a new pod counts as Ready only once its
target is healthy in the ALB, so a rollout never outruns the load balancer), and a bound
Deployment waits for its binding, because the controller injects the gate only into pods
created while the binding exists; every pod sleeps in ``preStop`` past the target group's
deregistration delay and has the grace period to finish what it serves.

Every container runs as UID 1001 (spec 3.1) with no privilege escalation, all capabilities
dropped, a read-only root filesystem (``/tmp`` is an emptyDir), seccomp ``RuntimeDefault``,
requests and limits from the spec's table, and readiness, liveness and startup probes.
On AWS the services' databases and logins are created by the database bootstrap Job
(components/kubernetes/database_bootstrap.py); no service holds the master credentials.

First deploy: each Deployment waits for the ConfigMap and its own Secret (on AWS: the Secret
synced, and for a service with a database the bootstrap Job done) and for
``services_depend_on`` (on AWS the Database, Cache and Kafka components, so no pod starts before
RDS, its proxy, ElastiCache and MSK, with its SCRAM users associated, can take a connection, and
NodeAutoscaling, so the pods that do not fit the fixed nodes find Karpenter running), and
``deployServices: false`` builds everything but the Deployments (and their HPAs and PDBs), for an
AWS stack whose ECR repositories are still empty and for the kind stack's platform-only mode. On
AWS each Deployment names its Secret for Reloader, which restarts it when a rotation changes the
Secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.base import Component
from components.config.kubernetes import ROLLOUT_SURGE, WorkloadsSettings
from components.kubernetes import scaling
from components.kubernetes.reloader import RELOAD_ANNOTATION
from components.kubernetes.runtime import container_security, java_tool_options, pod_security
from components.kubernetes.service_secrets import (
    LiteralServiceSecrets,
    ServiceSecret,
    SyncedServiceSecrets,
    build_service_secrets,
)
from components.security import iam
from components.security.irsa import OidcIssuer, irsa_annotations, service_account_role
from components.services import SERVICES, Service
from components.timeouts import NEXTJS_KEEPALIVE_ENV, SPRING_KEEPALIVE_ENV


@dataclass(frozen=True)
class Connections:
    """Where the services find their data services (values, not secrets)."""

    database_host: pulumi.Input[str]
    database_port: int
    database_tls: bool
    redis_host: pulumi.Input[str]
    redis_port: int
    redis_tls: bool
    kafka_bootstrap_servers: pulumi.Input[str] | None
    zipkin_endpoint: str | None
    extra: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    kafka_security: KafkaSecurity | None = None  # None: plaintext (the kind stack's in-cluster broker)


@dataclass(frozen=True)
class KafkaSecurity:
    """How the services authenticate to Kafka; the login itself is in each service's Secret (service_secrets.py)."""

    protocol: str  # security.protocol, e.g. SASL_SSL
    sasl_mechanism: str  # sasl.mechanism, e.g. SCRAM-SHA-512


@dataclass(frozen=True)
class SqsProducer:
    """ticket-service sends to the worker queue through IRSA."""

    issuer: OidcIssuer
    queue_arn: pulumi.Input[str]


@dataclass(frozen=True)
class WorkloadsArgs:
    settings: WorkloadsSettings
    profile: str
    images: Mapping[str, pulumi.Input[str]]  # service -> repository, without the tag
    config_map_name: str
    connections: Connections
    secrets: SyncedServiceSecrets | LiteralServiceSecrets
    pod_security: str = "restricted"  # enforced on AWS; warn-only where platform pods need more
    enforce_pod_security: bool = True
    node_ports: Mapping[str, int] = field(default_factory=dict)
    sqs_producer: SqsProducer | None = None
    target_group_bindings: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    bindings_depend_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    # What the services connect to and must find answering when their pods start (on AWS the
    # Database, Cache and Kafka components: the ConfigMap names the proxy, which exists well before
    # the instance behind it can take a connection, and MSK's brokers, which refuse the services'
    # login until the SCRAM association exists).
    services_depend_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


class Workloads(Component):
    TYPE = "tiketi:kubernetes:Workloads"
    namespace: pulumi.Output[str]
    ticket_service_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, args, opts)
        settings = args.settings
        mode = "enforce" if args.enforce_pod_security else "warn"
        labels = {f"pod-security.kubernetes.io/{mode}": args.pod_security,
                  "pod-security.kubernetes.io/audit": args.pod_security, "app.kubernetes.io/part-of": "tiketi"}
        if args.target_group_bindings:
            labels["elbv2.k8s.aws/pod-readiness-gate-inject"] = "enabled"
        namespace = k8s.core.v1.Namespace(f"{name}-namespace", metadata={"name": settings.namespace, "labels": labels},
                                          opts=self._child())
        self._ns = namespace.metadata.name
        self._build_config()
        self._secrets: dict[str, ServiceSecret] = build_service_secrets(self, self._ns, settings.namespace,
                                                                        args.secrets)
        self.ticket_service_role_arn = self._build_producer_role()
        self._priority_classes = self._build_priority_classes()

        bindings = {service_name: self._bind(service_name, target_group_arn)
                    for service_name, target_group_arn in args.target_group_bindings.items()}
        for service in SERVICES:
            self._build_service(service, bindings.get(service.name))

        self.namespace = self._ns
        self.register_outputs({"namespace": self.namespace})


    def _meta(self, name: str, labels: dict | None = None, annotations: dict | None = None) -> dict:
        meta = {"name": name, "namespace": self._ns, "labels": {"app.kubernetes.io/part-of": "tiketi",
                                                                 **(labels or {})}}
        if annotations:
            meta["annotations"] = annotations
        return meta

    def _build_config(self) -> None:
        args, c = self._args, self._args.connections
        tls = "?sslmode=require" if c.database_tls else ""
        data: dict[str, pulumi.Input[str]] = {
            "SPRING_PROFILES_ACTIVE": args.profile,
            "DB_HOST": c.database_host,
            "DB_PORT": str(c.database_port),
            "SPRING_DATA_REDIS_HOST": c.redis_host,
            "SPRING_DATA_REDIS_PORT": str(c.redis_port),
            "SPRING_DATA_REDIS_SSL_ENABLED": str(c.redis_tls).lower(),
            "MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE": "health,info,prometheus",
            "MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED": "true",
            # Idle keep-alive connections outlive the load balancers' (components/timeouts.py).
            **SPRING_KEEPALIVE_ENV,
            # Finish in-flight requests on SIGTERM (after the preStop sleep) instead of dropping them.
            "SERVER_SHUTDOWN": "graceful",
            # Each pod's database connections, fixed so the capacity check can budget RDS Proxy's.
            "SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE": str(args.settings.database_pool_size),
        }
        for service in SERVICES:
            if service.database:
                data[f"{service.database.upper()}_URL"] = pulumi.Output.concat(
                    "jdbc:postgresql://", c.database_host, f":{c.database_port}/{service.database}{tls}")
            if service.is_backend:
                key = service.name.removesuffix("-service").upper().replace("-", "_")
                data[f"{key}_SERVICE_URL"] = f"http://{service.name}:{service.port}"
        if c.kafka_bootstrap_servers:
            data["SPRING_KAFKA_BOOTSTRAP_SERVERS"] = c.kafka_bootstrap_servers
        if c.kafka_security:
            # Spring Boot binds SPRING_KAFKA_PROPERTIES_<NAME> into spring.kafka.properties (the map its
            # producers, consumers and admin share), lower-case with dots: sasl.mechanism here,
            # sasl.jaas.config in the Secret ("Binding Maps From Environment Variables", Spring Boot
            # reference; "Additional Kafka Properties"; kafka-ui, a Spring Boot app, documents its SASL clients
            # the same way: KAFKA_CLUSTERS_0_PROPERTIES_SASL_JAAS_CONFIG). The JDK's trust store already trusts MSK's
            # Amazon Trust Services certificates, so no trust store is configured.
            data["SPRING_KAFKA_SECURITY_PROTOCOL"] = c.kafka_security.protocol
            data["SPRING_KAFKA_PROPERTIES_SASL_MECHANISM"] = c.kafka_security.sasl_mechanism
        if c.zipkin_endpoint:
            data["MANAGEMENT_ZIPKIN_TRACING_ENDPOINT"] = c.zipkin_endpoint
        else:
            data["MANAGEMENT_TRACING_ENABLED"] = "false"
        data.update(c.extra)
        self._config_map = k8s.core.v1.ConfigMap(f"{self._name}-config", metadata=self._meta(args.config_map_name),
                                                 data=data, opts=self._child())


    def _build_producer_role(self) -> pulumi.Output[str] | None:
        producer = self._args.sqs_producer
        if producer is None:
            return None
        role = service_account_role(
            f"{self._name}-ticket-service", parent=self, issuer=producer.issuer,
            namespace=self._args.settings.namespace, service_account="ticket-service",
            description="ticket-service: send ticket events to the worker queue")
        aws.iam.RolePolicy(
            f"{self._name}-ticket-service-queue", role=role.id,
            policy=iam.document(iam.allow(["sqs:SendMessage", "sqs:GetQueueAttributes"],
                                                    producer.queue_arn, sid="SendTicketEvents")),
            opts=self._child())
        return role.arn

    def _build_priority_classes(self) -> list[k8s.scheduling.v1.PriorityClass]:
        if not self._args.settings.priority_classes:
            return []
        labels = {"app.kubernetes.io/part-of": "tiketi"}
        return [k8s.scheduling.v1.PriorityClass(
            f"{self._name}-{class_name}", metadata={"name": class_name, "labels": labels},
            value=value, global_default=False, preemption_policy="PreemptLowerPriority", description=description,
            opts=self._child()) for class_name, (value, description) in scaling.PRIORITY_CLASSES.items()]

    def _build_service(self, service: Service, binding: pulumi.Resource | None) -> None:
        args, settings, name = self._args, self._args.settings, f"{self._name}-{service.name}"
        labels = {"app": service.name, "tier": service.tier}
        annotations = None
        if service.name == "ticket-service" and self.ticket_service_role_arn is not None:
            annotations = irsa_annotations(self.ticket_service_role_arn)
        account = k8s.core.v1.ServiceAccount(name, metadata=self._meta(service.name, labels, annotations),
                                             automount_service_account_token=False, opts=self._child())
        autoscaled = settings.autoscaling.get(service.name)
        self._build_service_object(service, labels)
        if not settings.deploy_services:
            return
        secret = self._secrets.get(service.name)
        reload = {RELOAD_ANNOTATION: secret.name} if secret and secret.reload else None
        k8s.apps.v1.Deployment(
            name,
            metadata=self._meta(service.name, labels, reload),
            spec={
                "replicas": settings.replicas_for(service.name),
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": {"app": service.name}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxUnavailable": 0, "maxSurge": ROLLOUT_SURGE}},
                "template": {"metadata": {"labels": labels, "annotations": _scrape_annotations(service)},
                             "spec": self._pod_spec(service)},
            },
            # With an HPA, the HPA owns the replica count after the first deploy. The pods read the
            # ConfigMap and their Secret at start (envFrom): those exist first (and on AWS the login). The
            # IRSA webhook reads the service account's role annotation when a pod is admitted. Pods are
            # rejected without their PriorityClass, and get a readiness gate only if their binding exists.
            opts=self._child(ignore_changes=["spec.replicas"] if autoscaled else None,
                             depends_on=[self._config_map, *(secret.waits_for if secret else []), account,
                                         *args.services_depend_on, *self._priority_classes,
                                         *([binding] if binding else [])]),
        )
        if autoscaled:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                name, metadata=self._meta(service.name, labels), spec=scaling.hpa_spec(service, autoscaled, settings),
                opts=self._child())
        if service.name in settings.budgeted_services:
            # maxUnavailable 1 (scaling.pdb_spec), not minAvailable: "minAvailable: 1" on one replica allows
            # no eviction at all, and a managed node-group update then ends in PodEvictionFailure.
            k8s.policy.v1.PodDisruptionBudget(
                name, metadata=self._meta(f"{service.name}-pdb", labels), spec=scaling.pdb_spec(service, settings),
                opts=self._child())

    def _build_service_object(self, service: Service, labels: dict) -> None:
        node_port = self._args.node_ports.get(service.name)
        port = {"name": "http", "port": service.port, "targetPort": "http", "protocol": "TCP"}
        if node_port:
            port["nodePort"] = node_port
        k8s.core.v1.Service(f"{self._name}-{service.name}", metadata=self._meta(service.name, labels),
                            spec={"type": "NodePort" if node_port else "ClusterIP",
                                  "selector": {"app": service.name}, "ports": [port]},
                            opts=self._child())

    def _pod_spec(self, service: Service) -> dict:
        args = self._args
        spec: dict = {
            "serviceAccountName": service.name,
            "terminationGracePeriodSeconds": args.settings.termination_grace_seconds,
            "automountServiceAccountToken": False,
            "securityContext": pod_security(),
            "containers": [self._container(service)],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}]
                       + ([{"name": "next-cache", "emptyDir": {"sizeLimit": "512Mi"}}] if not service.is_backend
                          else []),
        }
        if args.settings.topology_spread:
            spec["topologySpreadConstraints"] = scaling.topology_spread(service)
        if args.settings.priority_classes:
            spec["priorityClassName"] = scaling.priority_class_of(service)
        return spec

    def _container(self, service: Service) -> dict:
        args = self._args
        env = [{"name": "SERVER_PORT", "value": str(service.port)},
               {"name": "SPRING_APPLICATION_NAME", "value": service.name},
               {"name": "JAVA_TOOL_OPTIONS", "value": java_tool_options(service.memory_limit)}]
        if service.database:
            env.append({"name": "SPRING_DATASOURCE_URL", "valueFrom": {"configMapKeyRef": {
                "name": args.config_map_name, "key": f"{service.database.upper()}_URL"}}})
        mounts = [{"name": "tmp", "mountPath": "/tmp"}]
        ready, live = service.readiness_path, service.liveness_path  # the target groups ask the same path
        if not service.is_backend:
            env = [{"name": "PORT", "value": str(service.port)}, {"name": "HOSTNAME", "value": "0.0.0.0"},
                   *({"name": key, "value": value} for key, value in NEXTJS_KEEPALIVE_ENV.items())]
            mounts.append({"name": "next-cache", "mountPath": "/app/.next/cache"})
        container = {
            "name": service.name,
            "image": pulumi.Output.concat(args.images[service.name], ":", args.settings.image_tag_for(service.name)),
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": service.port, "protocol": "TCP"}],
            "envFrom": self._env_from(service),
            "env": env,
            "resources": {"requests": {"cpu": service.cpu_request, "memory": service.memory_request},
                          "limits": {"cpu": service.cpu_limit, "memory": service.memory_limit}},
            "securityContext": container_security(),
            "startupProbe": {"httpGet": {"path": live, "port": "http"}, "periodSeconds": 5, "failureThreshold": 36},
            "readinessProbe": {"httpGet": {"path": ready, "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 3,
                               "failureThreshold": 3},
            "livenessProbe": {"httpGet": {"path": live, "port": "http"}, "periodSeconds": 20, "timeoutSeconds": 3,
                              "failureThreshold": 3},
            "volumeMounts": mounts,
        }
        lifecycle = scaling.pre_stop(args.settings)
        if lifecycle:
            container["lifecycle"] = lifecycle
        return container

    def _env_from(self, service: Service) -> list[dict]:
        if not service.is_backend:
            return []
        secret = self._secrets.get(service.name)
        return [{"configMapRef": {"name": self._args.config_map_name}},
                *([{"secretRef": {"name": secret.name}}] if secret else [])]

    def _bind(self, service_name: str, target_group_arn: pulumi.Input[str]) -> k8s.apiextensions.CustomResource:
        [service] = [s for s in SERVICES if s.name == service_name]
        return k8s.apiextensions.CustomResource(
            f"{self._name}-{service_name}-binding",
            api_version="elbv2.k8s.aws/v1beta1",
            kind="TargetGroupBinding",
            metadata=self._meta(service_name, {"app": service_name}),
            spec={"serviceRef": {"name": service_name, "port": service.port}, "targetGroupARN": target_group_arn,
                  "targetType": "ip"},
            # The controller's webhook refuses a changed spec.targetGroupARN ("update may not change these
            # fields"), and target groups are auto-named so a replacement gets a new ARN: replace the
            # binding then, deleting the old one first (same object name).
            opts=self._child(depends_on=list(self._args.bindings_depend_on),
                             replace_on_changes=["spec.targetGroupARN"], delete_before_replace=True),
        )


def _scrape_annotations(service: Service) -> dict:
    """Spec 7.4: every Spring service exposes /actuator/prometheus for a Prometheus scrape."""
    if not service.is_backend:
        return {}
    return {"prometheus.io/scrape": "true", "prometheus.io/path": "/actuator/prometheus",
            "prometheus.io/port": str(service.port)}
