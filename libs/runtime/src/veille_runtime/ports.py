"""The small interfaces the service layers depend on, so that use cases never see Kafka types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import Body


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """One consumed Kafka record, as the service layer sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: datetime | None

    @classmethod
    def from_consumer_record(cls, record: Any) -> InboundRecord:
        ts = record.timestamp
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            timestamp=datetime.fromtimestamp(ts / 1000, UTC) if ts is not None and ts >= 0 else None,
        )


class Publisher(Protocol):
    async def publish(self, topic: str, key: bytes | None, value: bytes) -> None: ...

    async def flush(self) -> None:
        """Wait until everything published so far is acknowledged by the broker."""
        ...


async def decode_records(message: Any) -> list[InboundRecord]:
    """FastStream decoder for every Veille subscriber: hand the handler the raw records.

    Use cases parse the bytes themselves, so that a message they refuse reaches the dead-letter
    topic byte for byte, with its partition and offset. Works for single and batch subscribers.
    """
    raw = message.raw_message
    batch = raw if isinstance(raw, tuple) else (raw,)
    return [InboundRecord.from_consumer_record(r) for r in batch]


# The parameter type of every subscriber: the decoded records, handed over unvalidated. `Body()`
# tells FastStream's FastAPI integration that the whole message body is this one parameter.
Records = Annotated[Any, Body()]
