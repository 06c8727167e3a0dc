"""Edge tier (``tiketi:edge:*``): certificates and names, S3 buckets, the public ALB, CloudFront, WAF, logs."""

from components.edge.cdn import Cdn, CdnArgs
from components.edge.cdn_logs import CdnLogs, CdnLogsArgs
from components.edge.certificates import Certificates, CertificatesArgs
from components.edge.load_balancer import LoadBalancer, LoadBalancerArgs
from components.edge.storage import ALB_LOG_PREFIX, INTERNAL_ALB_LOG_PREFIX, Storage, StorageArgs

__all__ = ["ALB_LOG_PREFIX", "INTERNAL_ALB_LOG_PREFIX", "Cdn", "CdnArgs", "CdnLogs", "CdnLogsArgs", "Certificates",
           "CertificatesArgs", "LoadBalancer", "LoadBalancerArgs", "Storage", "StorageArgs"]
