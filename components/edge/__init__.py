"""Edge tier (``tiketi:edge:*``): S3 buckets, the public ALB, CloudFront with Lambda@Edge and WAF."""

from components.edge.cdn import Cdn, CdnArgs
from components.edge.load_balancer import LoadBalancer, LoadBalancerArgs
from components.edge.storage import ALB_LOG_PREFIX, Storage, StorageArgs

__all__ = ["ALB_LOG_PREFIX", "Cdn", "CdnArgs", "LoadBalancer", "LoadBalancerArgs", "Storage", "StorageArgs"]
