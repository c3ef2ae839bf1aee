"""Telling an outage (retry the batch later) from a refusal of one record (dead-letter it)."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka.errors import KafkaError

# SQLSTATE classes of an unavailable or overloaded server, or of a transaction to run again:
# connection exception, insufficient resources, operator intervention (shutdown, restart),
# transaction rollback (deadlock, serialization), system error.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "40", "58")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        return str(getattr(exc, "sqlstate", "") or "")[:2] in _TRANSIENT_SQLSTATE_CLASSES
    return isinstance(
        exc,
        (asyncpg.InterfaceError, OSError, ConnectionError, asyncio.TimeoutError, TimeoutError, KafkaError),
    )


def is_refusal(exc: BaseException) -> bool:
    """The database refused the data itself (a value, a constraint): the records are at fault."""
    return isinstance(exc, asyncpg.PostgresError) and not is_transient(exc)
