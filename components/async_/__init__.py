"""Async tier (``tiketi:async:*``; ``async`` is a Python keyword, hence ``async_`` as pulumi_aws's ``lambda_``).

The ticket-events FIFO queue and its policy, ticket-service's internal API, the worker Lambda.
"""

from components.async_.internal_api import InternalApi, InternalApiArgs
from components.async_.queue import Queue, QueueArgs
from components.async_.queue_access import QueueAccess, QueueAccessArgs
from components.async_.worker import Worker, WorkerArgs

__all__ = ["InternalApi", "InternalApiArgs", "Queue", "QueueAccess", "QueueAccessArgs", "QueueArgs", "Worker",
           "WorkerArgs"]
