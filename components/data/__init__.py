"""Data tier (``tiketi:data:*``): RDS PostgreSQL with RDS Proxy, ElastiCache."""

from components.data.cache import Cache, CacheArgs
from components.data.database import Database, DatabaseArgs

__all__ = ["Cache", "CacheArgs", "Database", "DatabaseArgs"]
