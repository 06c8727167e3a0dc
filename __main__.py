"""Tiketi infrastructure: composition only (stack config -> components -> stack outputs).

What each stack builds is decided by its typed config (components/config/), never by the
stack's name. Config is validated before the first resource is registered. Each tier is one
function below, in the order traffic meets it; the stack outputs are gathered in one place
at the end (``aws_outputs``, ``local_outputs``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.async_ import (
    InternalApi,
    InternalApiArgs,
    Queue,
    QueueAccess,
    QueueAccessArgs,
    QueueArgs,
    Worker,
    WorkerArgs,
)
from components.config import StackConfig, load_stack_config
from components.config.stack import BOOTSTRAP_SUFFIX
from components.data import (
    Cache,
    CacheArgs,
    Database,
    DatabaseArgs,
    DatabaseUsers,
    DatabaseUsersArgs,
    Kafka,
    KafkaArgs,
)
from components.edge import (
    ALB_LOG_PREFIX,
    INTERNAL_ALB_LOG_PREFIX,
    Cdn,
    CdnArgs,
    Certificates,
    CertificatesArgs,
    LoadBalancer,
    LoadBalancerArgs,
    Storage,
    StorageArgs,
)
from components.kubernetes import (
    AwsEgress,
    Cluster,
    ClusterAddons,
    ClusterAddonsArgs,
    ClusterArgs,
    Connections,
    ContainerRegistry,
    ContainerRegistryArgs,
    DatabaseBootstrap,
    DatabaseBootstrapArgs,
    ExternalSecretsOperator,
    ExternalSecretsOperatorArgs,
    KafkaEgress,
    KafkaSecurity,
    LiteralServiceSecrets,
    NetworkPolicies,
    NetworkPoliciesArgs,
    NodeAutoscaling,
    NodeAutoscalingArgs,
    Reloader,
    ReloaderArgs,
    SqsProducer,
    SyncedServiceSecrets,
    Workloads,
    WorkloadsArgs,
    local_platform_policies,
)
from components.kubernetes.node_autoscaling import DISCOVERY_TAG
from components.local import (
    HOSTS,
    LocalObservability,
    LocalObservabilityArgs,
    LocalPlatform,
    LocalPlatformArgs,
    LocalSecrets,
)
from components.network import AppSecurityGroups, AppSecurityGroupsArgs, Network, NetworkArgs
from components.observability import (
    Alerts,
    AlertsArgs,
    ClusterTelemetry,
    ClusterTelemetryArgs,
    Collector,
    CollectorArgs,
    Dashboard,
    DashboardArgs,
    Edge,
    EdgeLogs,
    EdgeLogsArgs,
    TargetGroup,
    UserAlarms,
    UserAlarmsArgs,
    Watched,
)
from components.observability.collector import ZIPKIN_ENDPOINT
from components.security import Secrets, SecretsArgs, SyncContext
from components.services import INTERNAL_API_TOKEN, JWT_SECRET, QUEUE_ENTRY_TOKEN_SECRET, SERVICE_NAMES, SERVICES

# --- AWS stacks (staging, prod) --------------------------------------------------------------


@dataclass(frozen=True)
class Foundation:
    """What every AWS tier builds on: the VPC, the application groups, the alert topic, the secrets."""

    network: Network
    app_groups: AppSecurityGroups
    alerts: Alerts
    secrets: Secrets


def build_foundation(config: StackConfig) -> Foundation:
    prefix = config.name_prefix
    # Karpenter launches nodes in the subnets and with the group tagged with the cluster's name.
    discovery = {DISCOVERY_TAG: prefix}
    network = Network("network", NetworkArgs(
        name_prefix=prefix, region=config.aws.region, vpc_cidr=str(config.network.vpc_cidr),
        availability_zones=config.network.availability_zones, nat_gateways=config.network.nat_gateways,
        flow_logs_retention_days=config.network.flow_logs_retention_days, app_subnet_tags=discovery,
    ))
    protect = config.protection.stateful
    alerts = Alerts("alerts", AlertsArgs(
        name_prefix=prefix, emails=config.alerts.emails, edge_topic=config.edge.cloudfront,
        default_tags=config.aws.default_tags, discord_webhook_url=config.alerts.discord_webhook_url,
        log_retention_days=config.observability.container_log_retention_days, protect=protect,
    ))
    app_groups = AppSecurityGroups("app-groups", AppSecurityGroupsArgs(name_prefix=prefix, vpc_id=network.vpc_id,
                                                                       eks_nodes_tags=discovery))
    secrets = Secrets("secrets", SecretsArgs(
        name_prefix=prefix, recovery_window_days=config.secrets.recovery_window_days, protect=protect))
    return Foundation(network, app_groups, alerts, secrets)


@dataclass(frozen=True)
class DataTier:
    database: Database
    users: DatabaseUsers
    cache: Cache
    kafka: Kafka | None  # None: the services use the external cluster in tiketi:workloads.kafkaBootstrapServers
    kafka_bootstrap_servers: pulumi.Input[str]  # the MSK cluster's SASL/SCRAM brokers, or the external list


def build_data(config: StackConfig, base: Foundation) -> DataTier:
    """Spec 4.3, 4.4, 1.5: RDS PostgreSQL behind RDS Proxy (a login per service), ElastiCache, Amazon MSK."""
    network, secrets = base.network, base.secrets
    users = DatabaseUsers("database-users", DatabaseUsersArgs(
        name_prefix=config.name_prefix, recovery_window_days=config.secrets.recovery_window_days,
        protect=config.protection.stateful))
    database = Database("database", DatabaseArgs(
        name_prefix=config.name_prefix, settings=config.database, vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr, data_subnet_ids=network.subnet_ids["data"],
        app_subnet_ids=network.subnet_ids["app"], client_security_groups=base.app_groups.clients,
        user_secret_arns={service: user.secret_arn for service, user in users.users.items()},
        user_secret_values=[user.secret_value for user in users.users.values()],
        alarm_topic_arn=base.alerts.topic_arn, protect=config.protection.stateful,
    ))
    cache = Cache("cache", CacheArgs(
        name_prefix=config.name_prefix, settings=config.cache, vpc_id=network.vpc_id,
        data_subnet_ids=network.subnet_ids["data"], client_security_groups=base.app_groups.clients,
        auth_token=secrets.redis_auth_token, alarm_topic_arn=base.alerts.topic_arn,
        protect=config.protection.stateful,
    ))
    kafka = None
    if config.workloads.kafka_bootstrap_servers is None:
        kafka = Kafka("kafka", KafkaArgs(
            name_prefix=config.name_prefix, settings=config.kafka, region=config.aws.region, vpc_id=network.vpc_id,
            data_subnet_ids=network.subnet_ids["data"],
            # Only the services use Kafka: the worker's job is SQS -> ticket-service's internal API.
            client_security_groups={"eks-nodes": base.app_groups.eks_nodes_id},
            alarm_topic_arn=base.alerts.topic_arn, recovery_window_days=config.secrets.recovery_window_days,
        ))
    servers = kafka.bootstrap_servers if kafka else config.workloads.kafka_bootstrap_servers
    return DataTier(database, users, cache, kafka, servers)


def kafka_egress(config: StackConfig, base: Foundation, data: DataTier) -> KafkaEgress:
    """Where the services may reach Kafka: MSK's listener in the data subnets, or the external cluster's ports."""
    if data.kafka is None:
        # An external cluster must be reachable inside the VPC (e.g. MSK multi-VPC private connectivity).
        return KafkaEgress(cidrs=[base.network.vpc_cidr], ports=config.workloads.kafka_ports)
    return KafkaEgress(cidrs=base.network.subnet_cidrs["data"], ports=[data.kafka.port])


@dataclass(frozen=True)
class EdgeTier:
    certificates: Certificates | None  # dns: route53 (with dns: external the ARNs come from config)
    regional_certificate_arn: pulumi.Input[str]  # both ALBs' HTTPS listeners
    storage: Storage
    load_balancer: LoadBalancer
    cdn: Cdn | None


def build_edge(config: StackConfig, base: Foundation) -> EdgeTier:
    """Spec 4.1, 4.2, 4.5: certificates and names, CloudFront -> ALB -> frontend and gateway, CloudFront -> S3."""
    prefix, edge, secrets = config.name_prefix, config.edge, base.secrets
    certificates = zone_id = None
    regional_arn, cloudfront_arn = edge.alb_certificate_arn, edge.cloudfront_certificate_arn
    if edge.dns == "route53":
        certificates = Certificates("certificates", CertificatesArgs(
            name_prefix=prefix, regional_names=[edge.alb_origin_domain, edge.internal_api_domain],
            cloudfront_names=edge.aliases if edge.cloudfront else [], hosted_zone=edge.hosted_zone,
            hosted_zone_id=edge.hosted_zone_id,
        ))
        zone_id, regional_arn = certificates.zone_id, certificates.regional_certificate_arn
        cloudfront_arn = certificates.cloudfront_certificate_arn
    storage = Storage("storage", StorageArgs(name_prefix=prefix, frontend_versioning=edge.frontend_versioning,
                                             cors_origins=edge.cors_origins,
                                             logs_expiration_days=edge.logs_expiration_days,
                                             cloudfront_logs=edge.cloudfront, protect=config.protection.stateful))
    load_balancer = LoadBalancer("load-balancer", LoadBalancerArgs(
        name_prefix=prefix, settings=edge, vpc_id=base.network.vpc_id,
        public_subnet_ids=base.network.subnet_ids["public"], eks_nodes_security_group_id=base.app_groups.eks_nodes_id,
        logs_bucket_name=storage.logs_bucket_name, log_prefix=ALB_LOG_PREFIX,
        logs_bucket_policy=storage.logs_bucket_policy, origin_verify_secret=secrets.origin_verify_secret,
        certificate_arn=regional_arn, hosted_zone_id=zone_id, internet_gateway=base.network.internet_gateway,
    ))
    cdn = None
    if edge.cloudfront:
        cdn = Cdn("cdn", CdnArgs(
            name_prefix=prefix, settings=edge, default_tags=config.aws.default_tags,
            origin_domain=load_balancer.origin_domain, origin_verify_secret=secrets.origin_verify_secret,
            queue_entry_token_secret=secrets.queue_entry_token_secret, frontend_bucket_id=storage.frontend_bucket_id,
            frontend_bucket_arn=storage.frontend_bucket_arn, frontend_bucket_domain=storage.frontend_bucket_domain,
            frontend_bucket_ready=storage.frontend_bucket_ready, logs_bucket_arn=storage.logs_bucket_arn,
            logs_bucket_policy=storage.logs_bucket_policy,
            certificate_arn=cloudfront_arn, hosted_zone_id=zone_id,
        ))
    return EdgeTier(certificates, regional_arn, storage, load_balancer, cdn)


@dataclass(frozen=True)
class AsyncTier:
    queue: Queue
    internal_api: InternalApi
    worker: Worker


def build_async(config: StackConfig, base: Foundation, data: DataTier, edge: EdgeTier) -> AsyncTier:
    """Spec 4.6, 8.2: SQS FIFO -> worker Lambda -> ticket-service's internal API (HTTPS)."""
    prefix, network, groups = config.name_prefix, base.network, base.app_groups
    queue = Queue("queue", QueueArgs(name_prefix=prefix, settings=config.queue,
                                     consumer_timeout_seconds=config.worker.timeout_seconds,
                                     alarm_topic_arn=base.alerts.topic_arn, protect=config.protection.stateful))
    internal_api = InternalApi("internal-api", InternalApiArgs(
        name_prefix=prefix, vpc_id=network.vpc_id, app_subnet_ids=network.subnet_ids["app"],
        worker_security_group_id=groups.worker_id, eks_nodes_security_group_id=groups.eks_nodes_id,
        domain_name=config.edge.internal_api_domain, certificate_arn=edge.regional_certificate_arn,
        ssl_policy=config.edge.alb_ssl_policy, deletion_protection=config.edge.alb_deletion_protection,
        logs_bucket_name=edge.storage.logs_bucket_name, log_prefix=INTERNAL_ALB_LOG_PREFIX,
        logs_bucket_policy=edge.storage.logs_bucket_policy,
    ))
    worker = Worker("worker", WorkerArgs(
        name_prefix=prefix, settings=config.worker, subnet_ids=network.subnet_ids["worker"],
        security_group_id=groups.worker_id, vpc_cidr=str(config.network.vpc_cidr),
        database_security_group_id=data.database.client_target_security_group_id,
        cache_security_group_id=data.cache.security_group_id, queue_arn=queue.arn,
        max_receive_count=queue.max_receive_count, ticket_service_url=internal_api.url,
        internal_api_token_secret_arn=base.secrets.arn_of[INTERNAL_API_TOKEN], alarm_topic_arn=base.alerts.topic_arn,
    ))
    return AsyncTier(queue, internal_api, worker)


@dataclass(frozen=True)
class KubernetesTier:
    registry: ContainerRegistry
    cluster: Cluster
    workloads: Workloads
    node_autoscaling: NodeAutoscaling
    queue_access: QueueAccess


def build_kubernetes(config: StackConfig, base: Foundation, data: DataTier, asynchronous: AsyncTier,
                     edge: EdgeTier) -> KubernetesTier:
    """Spec 1.1-1.3, 2: ECR, EKS, metrics and node autoscaling, the eight services and their network policies."""
    prefix, network = config.name_prefix, base.network
    protect = config.protection.stateful
    registry = ContainerRegistry("registry", ContainerRegistryArgs(name_prefix=prefix, services=SERVICE_NAMES,
                                                                   protect=protect))
    cluster = Cluster("cluster", ClusterArgs(
        name_prefix=prefix, settings=config.cluster, region=config.aws.region, vpc_id=network.vpc_id,
        app_subnet_ids=network.subnet_ids["app"], eks_nodes_security_group_id=base.app_groups.eks_nodes_id,
        target_group_arns=[edge.load_balancer.target_group_arn, edge.load_balancer.frontend_target_group_arn,
                           asynchronous.internal_api.target_group_arn],
        service_ipv4_cidr=str(config.cluster.service_ipv4_cidr) if config.cluster.service_ipv4_cidr else None,
        protect=protect,
    ))
    in_cluster = pulumi.ResourceOptions(providers={"kubernetes": cluster.provider})
    # What makes the HPAs work: metrics for them, nodes for the pods they add.
    ClusterAddons("cluster-addons", ClusterAddonsArgs(
        metrics_server_chart=config.autoscaling.metrics_server_chart, controller_nodes=cluster.node_group,
    ), opts=in_cluster)
    node_autoscaling = NodeAutoscaling("node-autoscaling", NodeAutoscalingArgs(
        settings=config.autoscaling, region=config.aws.region, cluster_name=prefix, cluster_arn=cluster.arn,
        cluster_security_group_id=cluster.security_group_id, oidc=cluster.oidc, controller_nodes=cluster.node_group,
        default_tags=config.aws.default_tags,
    ), opts=in_cluster)
    secrets, database, cache, kafka = base.secrets, data.database, data.cache, data.kafka
    # Secrets reach the pods at run time: the operator syncs each workload's Secret from Secrets Manager.
    operator = ExternalSecretsOperator("external-secrets", ExternalSecretsOperatorArgs(
        chart_version=config.cluster.external_secrets_chart, depends_on=[cluster]), opts=in_cluster)
    sync = SyncContext(issuer=cluster.oidc, region=config.aws.region, operator=operator.release,
                       refresh_minutes=config.secrets.sync_interval_minutes)
    bootstrap = DatabaseBootstrap("database-bootstrap", DatabaseBootstrapArgs(
        namespace=f"{config.workloads.namespace}{BOOTSTRAP_SUFFIX}", sync=sync,
        master_secret_arn=database.master_secret_arn, users=data.users.users,
        database_host=database.instance_address, database_port=database.port,
        data_subnet_cidrs=network.subnet_cidrs["data"], depends_on=[database],
    ), opts=in_cluster)
    workloads = Workloads("workloads", WorkloadsArgs(
        settings=config.workloads, profile=config.stack, images=registry.repository_urls,
        config_map_name="spring-config",
        connections=Connections(
            database_host=database.endpoint, database_port=database.port, database_tls=True,
            redis_host=cache.primary_endpoint, redis_port=cache.port, redis_tls=config.cache.transit_encryption,
            kafka_bootstrap_servers=data.kafka_bootstrap_servers,
            kafka_security=KafkaSecurity(kafka.security_protocol, kafka.sasl_mechanism) if kafka else None,
            # The ADOT collector (build_observability) unless the stack names another trace collector.
            zipkin_endpoint=config.workloads.zipkin_endpoint or ZIPKIN_ENDPOINT,
            extra={"AWS_REGION": config.aws.region, "TICKET_QUEUE_URL": asynchronous.queue.url,
                   "MANAGEMENT_TRACING_SAMPLING_PROBABILITY": str(config.observability.trace_sampling_probability)},
        ),
        secrets=SyncedServiceSecrets(
            context=sync, secret_arns=secrets.arn_of, users=data.users.users, redis_auth=config.cache.auth_token,
            database_ready=[bootstrap.job],
            kafka_secret_arn=kafka.secret_arns[config.kafka.client_user] if kafka else None),
        sqs_producer=SqsProducer(issuer=cluster.oidc, queue_arn=asynchronous.queue.arn),
        target_group_bindings={"gateway-service": edge.load_balancer.target_group_arn,
                               "frontend": edge.load_balancer.frontend_target_group_arn,
                               "ticket-service": asynchronous.internal_api.target_group_arn},
        bindings_depend_on=[cluster.load_balancer_controller],
        # The pods need what they connect to, and nodes: at its minimums prod already needs a Karpenter node.
        services_depend_on=[database, cache, *([kafka] if kafka else []), node_autoscaling],
    ), opts=in_cluster)
    NetworkPolicies("network-policies", NetworkPoliciesArgs(
        namespace=workloads.namespace,
        aws=AwsEgress(vpc_cidr=network.vpc_cidr, app_subnet_cidrs=network.subnet_cidrs["app"],
                      data_subnet_cidrs=network.subnet_cidrs["data"], kafka=kafka_egress(config, base, data)),
        load_balancer_cidrs=network.subnet_cidrs["public"],  # the public ALB's nodes
    ), opts=in_cluster)
    Reloader("reloader", ReloaderArgs(chart_version=config.cluster.reloader_chart,
                                      watched_namespace=workloads.namespace, controller_nodes=cluster.node_group),
             opts=in_cluster)
    # The queue policy names the producer (ticket-service's IRSA role), the consumer (the worker) and the
    # operators' redrive roles.
    queue_access = QueueAccess("queue-access", QueueAccessArgs(
        name_prefix=prefix, queue_url=asynchronous.queue.url, queue_arn=asynchronous.queue.arn,
        dlq_arn=asynchronous.queue.dlq_arn, producer_role_arns=[workloads.ticket_service_role_arn],
        consumer_role_arn=asynchronous.worker.role_arn, redrive_role_arns=config.queue.redrive_role_arns,
    ))
    return KubernetesTier(registry, cluster, workloads, node_autoscaling, queue_access)


@dataclass(frozen=True)
class ObservabilityTier:
    dashboard: Dashboard
    collector: Collector


def build_observability(config: StackConfig, base: Foundation, data: DataTier, asynchronous: AsyncTier,
                        edge: EdgeTier, kubernetes: KubernetesTier) -> ObservabilityTier:
    """Logs, traces, metrics, the user-facing alarms and the dashboard, from what the other tiers created."""
    settings, cluster, cdn = config.observability, kubernetes.cluster, edge.cdn
    telemetry = ClusterTelemetry("cluster-telemetry", ClusterTelemetryArgs(
        cluster_name=cluster.name, cluster_name_literal=config.name_prefix, issuer=cluster.oidc,
        node_group=cluster.node_group, addon_version=settings.cloudwatch_addon_version,
        log_retention_days=settings.container_log_retention_days,
    ))
    collector = Collector("collector", CollectorArgs(
        region=config.aws.region, image_tag=settings.adot_collector_version, issuer=cluster.oidc,
        workloads_namespace=kubernetes.workloads.namespace, vpc_cidr=base.network.vpc_cidr,
        api_server_cidr=cluster.api_server_cidr,
        metrics_log_group_name=telemetry.log_group_names["prometheus"],
        metrics_log_group_arn=telemetry.log_group_arns["prometheus"], nodes=cluster.node_group,
    ), opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}))
    if cdn is not None:
        EdgeLogs("edge-logs", EdgeLogsArgs(function_name=cdn.edge_function_name, regions=settings.edge_log_regions,
                                           retention_days=settings.edge_log_retention_days,
                                           default_tags=config.aws.default_tags))
    balancer, internal = edge.load_balancer, asynchronous.internal_api
    watched = Watched(
        region=config.aws.region, cluster_name=cluster.name, workloads_namespace=kubernetes.workloads.namespace,
        services=[s.name for s in SERVICES if s.is_backend], public_alb_arn_suffix=balancer.arn_suffix,
        # The gateway first: its response time is the p95 latency alarm's (user_alarms.py).
        target_groups=[TargetGroup("gateway-service", balancer.arn_suffix, balancer.target_group_arn_suffix),
                       TargetGroup("frontend", balancer.arn_suffix, balancer.frontend_target_group_arn_suffix),
                       TargetGroup("ticket-service", internal.arn_suffix, internal.target_group_arn_suffix)],
        database_instance_id=data.database.instance_identifier, proxy_name=data.database.proxy_name,
        cache_node_ids=data.cache.node_ids, queue_name=asynchronous.queue.name,
        dead_letter_queue_name=asynchronous.queue.dlq_name, worker_function_name=asynchronous.worker.function_name,
        edge=Edge(cdn.distribution_id, cdn.web_acl_metric_name) if cdn is not None else None,
        kafka_cluster_name=data.kafka.cluster_name if data.kafka else None,
        kafka_broker_ids=data.kafka.broker_ids if data.kafka else (),
    )
    alarms = UserAlarms("user-alarms", UserAlarmsArgs(
        watched=watched, thresholds=settings.alarms, topic_arn=base.alerts.topic_arn,
        edge_topic_arn=base.alerts.edge_topic_arn, edge_provider=base.alerts.edge_provider,
        cloudfront_additional_metrics=settings.cloudfront_additional_metrics,
    ))
    dashboard = Dashboard("dashboard", DashboardArgs(
        name_prefix=config.name_prefix, watched=dataclasses.replace(watched, alarm_arns=alarms.alarm_arns)))
    return ObservabilityTier(dashboard, collector)


def build_aws(config: StackConfig) -> dict[str, Any]:
    base = build_foundation(config)
    data = build_data(config, base)
    edge = build_edge(config, base)
    asynchronous = build_async(config, base, data, edge)
    kubernetes = build_kubernetes(config, base, data, asynchronous, edge)
    observability = build_observability(config, base, data, asynchronous, edge, kubernetes)
    return aws_outputs(base, data, asynchronous, edge, kubernetes, observability)


def aws_outputs(base: Foundation, data: DataTier, asynchronous: AsyncTier, edge: EdgeTier,
                kubernetes: KubernetesTier, observability: ObservabilityTier) -> dict[str, Any]:
    network = base.network
    outputs: dict[str, Any] = {
        "vpcId": network.vpc_id,
        "vpcCidr": network.vpc_cidr,
        **{f"{tier}SubnetIds": ids for tier, ids in network.subnet_ids.items()},
        "alertTopicArn": base.alerts.topic_arn,
        "secretArns": {**base.secrets.arns, "databaseMaster": data.database.master_secret_arn},
        "databaseUserSecretArns": {service: user.secret_arn for service, user in data.users.users.items()},
        "databaseEndpoint": data.database.endpoint,  # the proxy's, or the instance's without a proxy
        "databasePort": data.database.port,
        "cachePrimaryEndpoint": data.cache.primary_endpoint,
        "cachePort": data.cache.port,
        "kafkaBootstrapServers": data.kafka_bootstrap_servers,
        "queueUrl": asynchronous.queue.url,
        "queueArn": asynchronous.queue.arn,
        "deadLetterQueueUrl": asynchronous.queue.dlq_url,
        "queueRedrivePolicyArn": kubernetes.queue_access.redrive_policy_arn,
        "workerFunctionName": asynchronous.worker.function_name,
        "ticketInternalApiUrl": asynchronous.internal_api.url,
        "albDnsName": edge.load_balancer.dns_name,
        "albZoneId": edge.load_balancer.zone_id,  # with dns: external, the alias target of albOriginDomain
        "albOriginDomain": edge.load_balancer.origin_domain,
        "frontendBucketName": edge.storage.frontend_bucket_name,
        "logsBucketName": edge.storage.logs_bucket_name,
        "clusterName": kubernetes.cluster.name,
        "karpenterNodeRoleName": kubernetes.node_autoscaling.node_role_name,
        "karpenterInterruptionQueueName": kubernetes.node_autoscaling.queue_name,
        "namespace": kubernetes.workloads.namespace,
        "imageRepositories": kubernetes.registry.repository_urls,
        "dashboardName": observability.dashboard.name,
        "traceCollectorEndpoint": observability.collector.zipkin_endpoint,
        "alertSubscriptionsPending": base.alerts.subscriptions,
    }
    if data.kafka is not None:
        outputs["kafkaClusterArn"] = data.kafka.arn
    if edge.cdn is not None:
        outputs["cloudfrontDomainName"] = edge.cdn.domain_name
        outputs["edgeFunctionVersionArn"] = edge.cdn.edge_function_qualified_arn
        outputs["edgeAlertTopicArn"] = base.alerts.edge_topic_arn
        outputs["edgeFunctionName"] = edge.cdn.edge_function_name  # retained on destroy: delete it by hand
    if edge.certificates is not None:
        outputs["hostedZoneId"] = edge.certificates.zone_id
    return outputs


# --- the local stack (kind) ------------------------------------------------------------------


def build_local(config: StackConfig) -> dict[str, Any]:
    """The kind stack (spec 1.4-1.5, 6, 7): the eight services plus in-cluster data and observability."""
    kind = k8s.Provider("kind", context=config.kubernetes.context, enable_server_side_apply=True)
    in_kind = pulumi.ResourceOptions(providers={"kubernetes": kind})
    secrets = LocalSecrets("local-secrets")
    generated = secrets.values
    workloads = Workloads("workloads", WorkloadsArgs(
        settings=config.workloads, profile="kind",
        images={service: f"tiketi-spring-{service}" for service in SERVICE_NAMES},
        config_map_name="spring-kind-config",
        connections=Connections(
            database_host=HOSTS["postgres"], database_port=5432, database_tls=False,
            redis_host=HOSTS["dragonfly"], redis_port=6379, redis_tls=False,
            kafka_bootstrap_servers=f"{HOSTS['kafka']}:9092",
            zipkin_endpoint=f"http://{HOSTS['zipkin']}:9411/api/v2/spans",
        ),
        # Dragonfly runs without AUTH (spec 1.5): no Redis password on kind.
        secrets=LiteralServiceSecrets(
            values={role: generated[role] for role in (JWT_SECRET, INTERNAL_API_TOKEN, QUEUE_ENTRY_TOKEN_SECRET)},
            database_username="tiketi_user", database_password=generated["postgres-password"]),
        # Promtail's host log mounts and the images' own users do not meet "restricted": warn, not enforce.
        enforce_pod_security=False,
        node_ports={"gateway-service": 30001, "frontend": 30000},
    ), opts=in_kind)
    # The platform waits for the namespace alone (through workloads.namespace, the Namespace's output),
    # never for the Workloads component: depending on a component waits for every child, so the
    # platform would wait for the Spring Deployments, which wait for the platform (a deadlock that
    # times out every await). The services start alongside and retry until PostgreSQL answers.
    LocalPlatform("local-platform", LocalPlatformArgs(namespace=workloads.namespace,
                                                      postgres_password=generated["postgres-password"]),
                  opts=in_kind)
    LocalObservability("local-observability", LocalObservabilityArgs(
        namespace=workloads.namespace, grafana_admin_password=generated["grafana-admin-password"]),
        opts=in_kind)
    NetworkPolicies("network-policies", NetworkPoliciesArgs(namespace=workloads.namespace,
                                                            extra=local_platform_policies()), opts=in_kind)
    return local_outputs(config, workloads, generated)


def local_outputs(config: StackConfig, workloads: Workloads,
                  generated: dict[str, pulumi.Output[str]]) -> dict[str, Any]:
    return {
        "kubeContext": config.kubernetes.context,
        "namespace": workloads.namespace,
        "grafanaAdminPassword": generated["grafana-admin-password"],
        "urls": {"gateway": "http://localhost:30001", "frontend": "http://localhost:30000",
                 "grafana": "http://localhost:30006", "zipkin": "http://localhost:30411",
                 "postgres": "postgresql://tiketi_user@localhost:30432/postgres"},
    }


config = load_stack_config()
if config.cluster is not None and (notice := config.cluster.support_notice()):
    pulumi.log.warn(notice)
outputs = build_aws(config) if config.is_aws else build_local(config)
for key, value in {**outputs, "platform": config.platform}.items():
    pulumi.export(key, value)
