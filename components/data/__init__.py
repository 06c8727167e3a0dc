"""Data tier (``tiketi:data:*``): RDS PostgreSQL with RDS Proxy and the services' database users, ElastiCache,
Amazon MSK."""

from components.data.cache import Cache, CacheArgs
from components.data.database import Database, DatabaseArgs
from components.data.database_users import DatabaseUser, DatabaseUsers, DatabaseUsersArgs
from components.data.kafka import Kafka, KafkaArgs

__all__ = ["Cache", "CacheArgs", "Database", "DatabaseArgs", "DatabaseUser", "DatabaseUsers", "DatabaseUsersArgs",
           "Kafka", "KafkaArgs"]
