"""The agent SDK: publish inventory and heartbeats (spooled, batched, retried), receive directives."""

from .agent import DeviceAgent
from .publisher import AgentPublisher, Backoff, PublisherStats, event_time_ms, to_record
from .relay import AgentManagerRelay, RelayStats, relay_group_id
from .spool import MemorySpool, Spool, SpooledRecord, SqliteSpool

__all__ = [
    "AgentManagerRelay",
    "AgentPublisher",
    "Backoff",
    "DeviceAgent",
    "MemorySpool",
    "PublisherStats",
    "RelayStats",
    "Spool",
    "SpooledRecord",
    "SqliteSpool",
    "event_time_ms",
    "relay_group_id",
    "to_record",
]
