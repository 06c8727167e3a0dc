"""Tiketi infrastructure: composition only (stack config -> components -> stack outputs).

What each stack builds is decided by its typed config (components/config.py), never by
the stack's name. Config is validated before the first resource is registered.
"""

import pulumi

from components.config import StackConfig, load_stack_config
from components.network import Network, NetworkArgs

config: StackConfig = load_stack_config()
name_prefix = f"{config.project}-{config.stack}"

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
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("vpcCidr", network.vpc_cidr)
    for tier, subnet_ids in network.subnet_ids.items():
        pulumi.export(f"{tier}SubnetIds", subnet_ids)
else:
    pulumi.export("kubeContext", config.kubernetes.context)

pulumi.export("platform", config.platform)
