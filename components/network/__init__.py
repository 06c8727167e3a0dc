"""Network tier (``tiketi:network:*``): the VPC and the application security groups other tiers refer to."""

from components.network.app_security_groups import AppSecurityGroups, AppSecurityGroupsArgs
from components.network.network import Network, NetworkArgs

__all__ = ["AppSecurityGroups", "AppSecurityGroupsArgs", "Network", "NetworkArgs"]
