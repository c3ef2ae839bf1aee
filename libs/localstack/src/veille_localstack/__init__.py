"""Veille's local infrastructure: a real Kafka (KRaft) and a real PostgreSQL, no Docker."""

from .kafka import LocalKafka, fetch_kafka
from .postgres import LocalPostgres
from .stack import LocalStack, StackInfo, read_state, stack_down, stack_up

__all__ = [
    "LocalKafka",
    "LocalPostgres",
    "LocalStack",
    "StackInfo",
    "fetch_kafka",
    "read_state",
    "stack_down",
    "stack_up",
]
