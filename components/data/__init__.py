"""Data tier (``tiketi:data:*``): RDS PostgreSQL with RDS Proxy, ElastiCache, Amazon MSK."""

from components.data.cache import Cache, CacheArgs
from components.data.database import Database, DatabaseArgs
from components.data.kafka import Kafka, KafkaArgs

__all__ = ["Cache", "CacheArgs", "Database", "DatabaseArgs", "Kafka", "KafkaArgs"]
