"""Tiketi infrastructure: composition only (stack config -> components -> stack outputs).

What each stack builds is decided by its typed config (components/config.py), never by
the stack's name. Config is validated before the first resource is registered.
"""

import pulumi

from components.alerting import Alerts, AlertsArgs
from components.cache import Cache, CacheArgs
from components.config import StackConfig, load_stack_config
from components.database import Database, DatabaseArgs
from components.network import Network, NetworkArgs
from components.secrets import Secrets, SecretsArgs
from components.security_groups import AppSecurityGroups, AppSecurityGroupsArgs

config: StackConfig = load_stack_config()
name_prefix = config.name_prefix

if config.is_aws:
    network = Network(
        "network",
        NetworkArgs(
            name_prefix=name_prefix,
            region=config.aws.region,
            vpc_cidr=str(config.network.vpc_cidr),
            availability_zones=config.network.availability_zones,
            nat_gateways=config.network.nat_gateways,
            flow_logs_retention_days=config.network.flow_logs_retention_days,
        ),
    )
    alerts = Alerts("alerts", AlertsArgs(name_prefix=name_prefix, emails=config.alerts.emails))
    app_groups = AppSecurityGroups("app-groups", AppSecurityGroupsArgs(name_prefix=name_prefix,
                                                                       vpc_id=network.vpc_id))
    secrets = Secrets("secrets", SecretsArgs(name_prefix=name_prefix,
                                             recovery_window_days=config.secrets.recovery_window_days))
    database = Database(
        "database",
        DatabaseArgs(
            name_prefix=name_prefix,
            settings=config.database,
            vpc_id=network.vpc_id,
            data_subnet_ids=network.subnet_ids["data"],
            app_subnet_ids=network.subnet_ids["app"],
            client_security_groups=app_groups.clients,
            credentials_secret_id=secrets.database_credentials_secret_id,
            credentials_secret_arn=secrets.database_credentials_secret_arn,
            master_password=secrets.database_password,
            alarm_topic_arn=alerts.topic_arn,
        ),
    )
    cache = Cache(
        "cache",
        CacheArgs(
            name_prefix=name_prefix,
            settings=config.cache,
            vpc_id=network.vpc_id,
            data_subnet_ids=network.subnet_ids["data"],
            client_security_groups=app_groups.clients,
            auth_token=secrets.redis_auth_token,
            alarm_topic_arn=alerts.topic_arn,
        ),
    )

    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("vpcCidr", network.vpc_cidr)
    for tier, subnet_ids in network.subnet_ids.items():
        pulumi.export(f"{tier}SubnetIds", subnet_ids)
    pulumi.export("alertTopicArn", alerts.topic_arn)
    pulumi.export("databaseEndpoint", database.endpoint)  # the proxy's, or the instance's without a proxy
    pulumi.export("databasePort", database.port)
    pulumi.export("cachePrimaryEndpoint", cache.primary_endpoint)
    pulumi.export("cachePort", cache.port)
    pulumi.export("secretArns", secrets.arns)
else:
    pulumi.export("kubeContext", config.kubernetes.context)

pulumi.export("platform", config.platform)
