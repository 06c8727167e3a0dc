"""Tiketi infrastructure: composition only (stack config -> components -> stack outputs).

What each stack builds is decided by its typed config (components/config.py), never by
the stack's name. Config is validated before the first resource is registered.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.alerting import Alerts, AlertsArgs
from components.cache import Cache, CacheArgs
from components.cdn import Cdn, CdnArgs
from components.cluster import Cluster, ClusterArgs
from components.config import StackConfig, load_stack_config
from components.database import Database, DatabaseArgs
from components.internal_api import InternalApi, InternalApiArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.local_observability import LocalObservability, LocalObservabilityArgs
from components.local_platform import HOSTS, LocalPlatform, LocalPlatformArgs
from components.local_secrets import LocalSecrets
from components.network import Network, NetworkArgs
from components.network_policies import AwsEgress, NetworkPolicies, NetworkPoliciesArgs, local_platform_policies
from components.queue import Queue, QueueAccess, QueueAccessArgs, QueueArgs
from components.registry import ContainerRegistry, ContainerRegistryArgs
from components.secrets import Secrets, SecretsArgs
from components.security_groups import AppSecurityGroups, AppSecurityGroupsArgs
from components.services import SERVICE_NAMES
from components.storage import ALB_LOG_PREFIX, Storage, StorageArgs
from components.worker import Worker, WorkerArgs
from components.workloads import Connections, Credentials, SqsProducer, Workloads, WorkloadsArgs


def build_aws(config: StackConfig) -> None:
    prefix = config.name_prefix
    network = Network("network", NetworkArgs(
        name_prefix=prefix, region=config.aws.region, vpc_cidr=str(config.network.vpc_cidr),
        availability_zones=config.network.availability_zones, nat_gateways=config.network.nat_gateways,
        flow_logs_retention_days=config.network.flow_logs_retention_days,
    ))
    subnets = network.subnet_ids
    alerts = Alerts("alerts", AlertsArgs(name_prefix=prefix, emails=config.alerts.emails))
    app_groups = AppSecurityGroups("app-groups", AppSecurityGroupsArgs(name_prefix=prefix, vpc_id=network.vpc_id))
    secrets = Secrets("secrets", SecretsArgs(name_prefix=prefix,
                                             recovery_window_days=config.secrets.recovery_window_days))

    # Data tier (spec 4.3, 4.4)
    database = Database("database", DatabaseArgs(
        name_prefix=prefix, settings=config.database, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr,
        data_subnet_ids=subnets["data"],
        app_subnet_ids=subnets["app"], client_security_groups=app_groups.clients,
        credentials_secret_id=secrets.database_credentials_secret_id,
        credentials_secret_arn=secrets.database_credentials_secret_arn, master_password=secrets.database_password,
        alarm_topic_arn=alerts.topic_arn,
    ))
    cache = Cache("cache", CacheArgs(
        name_prefix=prefix, settings=config.cache, vpc_id=network.vpc_id, data_subnet_ids=subnets["data"],
        client_security_groups=app_groups.clients, auth_token=secrets.redis_auth_token,
        alarm_topic_arn=alerts.topic_arn,
    ))

    # Async tier (spec 4.6, 8.2): SQS FIFO -> worker Lambda -> ticket-service's internal API
    queue = Queue("queue", QueueArgs(name_prefix=prefix, settings=config.queue,
                                     consumer_timeout_seconds=config.worker.timeout_seconds,
                                     alarm_topic_arn=alerts.topic_arn))
    internal_api = InternalApi("internal-api", InternalApiArgs(
        name_prefix=prefix, vpc_id=network.vpc_id, app_subnet_ids=subnets["app"],
        worker_security_group_id=app_groups.worker_id, eks_nodes_security_group_id=app_groups.eks_nodes_id,
    ))
    worker = Worker("worker", WorkerArgs(
        name_prefix=prefix, settings=config.worker, subnet_ids=subnets["worker"],
        security_group_id=app_groups.worker_id, vpc_cidr=str(config.network.vpc_cidr),
        database_security_group_id=database.client_target_security_group_id,
        cache_security_group_id=cache.security_group_id, queue_arn=queue.arn,
        max_receive_count=queue.max_receive_count, ticket_service_url=internal_api.url,
        internal_api_token=secrets.internal_api_token, alarm_topic_arn=alerts.topic_arn,
    ))

    # Edge tier (spec 4.1, 4.2, 4.5): CloudFront -> ALB -> gateway, CloudFront -> S3
    edge = config.edge
    storage = Storage("storage", StorageArgs(name_prefix=prefix, frontend_versioning=edge.frontend_versioning,
                                             cors_origins=edge.cors_origins,
                                             logs_expiration_days=edge.logs_expiration_days))
    load_balancer = LoadBalancer("load-balancer", LoadBalancerArgs(
        name_prefix=prefix, settings=edge, vpc_id=network.vpc_id, public_subnet_ids=subnets["public"],
        eks_nodes_security_group_id=app_groups.eks_nodes_id, logs_bucket_name=storage.logs_bucket_name,
        log_prefix=ALB_LOG_PREFIX, origin_verify_secret=secrets.origin_verify_secret,
    ))
    if edge.cloudfront:
        cdn = Cdn("cdn", CdnArgs(
            name_prefix=prefix, settings=edge, default_tags=config.aws.default_tags,
            alb_origin_domain=edge.alb_origin_domain, origin_verify_secret=secrets.origin_verify_secret,
            queue_entry_token_secret=secrets.queue_entry_token_secret, frontend_bucket_id=storage.frontend_bucket_id,
            frontend_bucket_arn=storage.frontend_bucket_arn, frontend_bucket_domain=storage.frontend_bucket_domain,
            logs_bucket_domain=storage.logs_bucket_domain,
        ))
        pulumi.export("cloudfrontDomainName", cdn.domain_name)
        pulumi.export("edgeFunctionVersionArn", cdn.edge_function_qualified_arn)

    # Kubernetes on EKS (spec 1.1-1.3, 2): cluster, the eight services, network policies
    registry = ContainerRegistry("registry", ContainerRegistryArgs(name_prefix=prefix, services=SERVICE_NAMES))
    cluster = Cluster("cluster", ClusterArgs(
        name_prefix=prefix, settings=config.cluster, region=config.aws.region, vpc_id=network.vpc_id,
        app_subnet_ids=subnets["app"], eks_nodes_security_group_id=app_groups.eks_nodes_id,
        target_group_arns=[load_balancer.target_group_arn, internal_api.target_group_arn],
    ))
    in_cluster = pulumi.ResourceOptions(providers={"kubernetes": cluster.provider})
    workloads = Workloads("workloads", WorkloadsArgs(
        settings=config.workloads, profile=config.stack, images=registry.repository_urls,
        config_map_name="spring-config", secret_name="spring-secret",
        connections=Connections(
            database_host=database.endpoint, database_port=database.port, database_tls=True,
            redis_host=cache.primary_endpoint, redis_port=cache.port, redis_tls=config.cache.transit_encryption,
            kafka_bootstrap_servers=config.workloads.kafka_bootstrap_servers,
            zipkin_endpoint=config.workloads.zipkin_endpoint,
            extra={"AWS_REGION": config.aws.region, "TICKET_QUEUE_URL": queue.url},
        ),
        credentials=Credentials(
            database_username=config.database.master_username, database_password=secrets.database_password,
            redis_password=secrets.redis_auth_token if config.cache.auth_token else None,
            internal_api_token=secrets.internal_api_token,
            queue_entry_token_secret=secrets.queue_entry_token_secret, jwt_secret=secrets.jwt_secret,
        ),
        create_databases=True,
        sqs_producer=SqsProducer(issuer=cluster.oidc, queue_arn=queue.arn),
        target_group_bindings={"gateway-service": load_balancer.target_group_arn,
                               "ticket-service": internal_api.target_group_arn},
        bindings_depend_on=[cluster.load_balancer_controller],
    ), opts=in_cluster)
    NetworkPolicies("network-policies", NetworkPoliciesArgs(
        namespace=workloads.namespace,
        aws=AwsEgress(vpc_cidr=network.vpc_cidr, app_subnet_cidrs=network.subnet_cidrs["app"],
                      data_subnet_cidrs=network.subnet_cidrs["data"]),
    ), opts=in_cluster)
    QueueAccess("queue-access", QueueAccessArgs(
        queue_url=queue.url, queue_arn=queue.arn, producer_role_arns=[workloads.ticket_service_role_arn],
        consumer_role_arn=worker.role_arn,
    ))

    pulumi.export("clusterName", cluster.name)
    pulumi.export("namespace", workloads.namespace)
    pulumi.export("imageRepositories", registry.repository_urls)
    pulumi.export("albDnsName", load_balancer.dns_name)
    pulumi.export("frontendBucketName", storage.frontend_bucket_name)
    pulumi.export("logsBucketName", storage.logs_bucket_name)
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("vpcCidr", network.vpc_cidr)
    for tier, subnet_ids in subnets.items():
        pulumi.export(f"{tier}SubnetIds", subnet_ids)
    pulumi.export("alertTopicArn", alerts.topic_arn)
    pulumi.export("databaseEndpoint", database.endpoint)  # the proxy's, or the instance's without a proxy
    pulumi.export("databasePort", database.port)
    pulumi.export("cachePrimaryEndpoint", cache.primary_endpoint)
    pulumi.export("cachePort", cache.port)
    pulumi.export("secretArns", secrets.arns)
    pulumi.export("queueUrl", queue.url)
    pulumi.export("queueArn", queue.arn)
    pulumi.export("deadLetterQueueUrl", queue.dlq_url)
    pulumi.export("workerFunctionName", worker.function_name)
    pulumi.export("ticketInternalApiUrl", internal_api.url)


def build_local(config: StackConfig) -> None:
    """The kind stack (spec 1.4-1.5, 6, 7): the eight services plus in-cluster data and observability."""
    kind = k8s.Provider("kind", context=config.kubernetes.context, enable_server_side_apply=True)
    in_kind = pulumi.ResourceOptions(providers={"kubernetes": kind})
    secrets = LocalSecrets("local-secrets")
    generated = secrets.values
    workloads = Workloads("workloads", WorkloadsArgs(
        settings=config.workloads, profile="kind",
        images={service: f"tiketi-spring-{service}" for service in SERVICE_NAMES},
        config_map_name="spring-kind-config", secret_name="spring-kind-secret",
        connections=Connections(
            database_host=HOSTS["postgres"], database_port=5432, database_tls=False,
            redis_host=HOSTS["dragonfly"], redis_port=6379, redis_tls=False,
            kafka_bootstrap_servers=f"{HOSTS['kafka']}:9092",
            zipkin_endpoint=f"http://{HOSTS['zipkin']}:9411/api/v2/spans",
        ),
        credentials=Credentials(
            database_username="tiketi_user", database_password=generated["postgres-password"], redis_password=None,
            internal_api_token=generated["internal-api-token"],
            queue_entry_token_secret=generated["queue-entry-token-secret"], jwt_secret=generated["jwt-secret"],
        ),
        # Promtail's host log mounts and the images' own users do not meet "restricted": warn, not enforce.
        enforce_pod_security=False,
        node_ports={"gateway-service": 30001, "frontend": 30000},
    ), opts=in_kind)
    after_namespace = pulumi.ResourceOptions(providers={"kubernetes": kind}, depends_on=[workloads])
    LocalPlatform("local-platform", LocalPlatformArgs(namespace=workloads.namespace,
                                                      postgres_password=generated["postgres-password"]),
                  opts=after_namespace)
    LocalObservability("local-observability", LocalObservabilityArgs(
        namespace=config.workloads.namespace, grafana_admin_password=generated["grafana-admin-password"]),
        opts=after_namespace)
    NetworkPolicies("network-policies", NetworkPoliciesArgs(namespace=workloads.namespace,
                                                            extra=local_platform_policies()), opts=in_kind)

    pulumi.export("kubeContext", config.kubernetes.context)
    pulumi.export("namespace", workloads.namespace)
    pulumi.export("grafanaAdminPassword", generated["grafana-admin-password"])
    pulumi.export("urls", {"gateway": "http://localhost:30001", "frontend": "http://localhost:30000",
                           "grafana": "http://localhost:30006", "zipkin": "http://localhost:30411",
                           "postgres": "postgresql://tiketi_user@localhost:30432/postgres"})


config = load_stack_config()
if config.is_aws:
    build_aws(config)
else:
    build_local(config)
pulumi.export("platform", config.platform)
