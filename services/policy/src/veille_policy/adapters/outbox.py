"""Transactional outbox: sends are written with the state change and published after the commit.

`queue` runs inside the caller's transaction (ON CONFLICT DO NOTHING on send_id: a replayed input
queues nothing new and returns nothing); `publish` runs after the commit, waits for the broker's
acks and marks the rows published. A crash in between leaves rows pending, and `publish_pending`
(at start, and by any later drain) sends them: at-least-once, with stable ids for consumers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from veille_runtime.ports import Publisher


@dataclass(frozen=True, slots=True)
class Send:
    send_id: str
    topic: str
    key: bytes | None
    value: bytes


_QUEUE = """
INSERT INTO outbox (send_id, topic, key, value)
SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[])
ON CONFLICT (send_id) DO NOTHING
RETURNING send_id
"""


async def queue(conn: asyncpg.Connection, sends: Sequence[Send]) -> list[Send]:
    """Queue the sends not queued before (in the caller's transaction); returns those queued now."""
    unique = list({s.send_id: s for s in sends}.values())
    if not unique:
        return []
    rows = await conn.fetch(
        _QUEUE,
        [s.send_id for s in unique],
        [s.topic for s in unique],
        [s.key for s in unique],
        [s.value for s in unique],
    )
    fresh = {r["send_id"] for r in rows}
    return [s for s in unique if s.send_id in fresh]


async def publish(pool: asyncpg.Pool, publisher: Publisher, sends: Sequence[Send]) -> None:
    """Publish committed sends, wait for the acks, then mark them published."""
    if not sends:
        return
    for send in sends:
        await publisher.publish(send.topic, send.key, send.value)
    await publisher.flush()
    await pool.execute(
        "UPDATE outbox SET published_at = now() WHERE send_id = ANY($1::text[])", [s.send_id for s in sends]
    )


async def publish_pending(pool: asyncpg.Pool, publisher: Publisher, limit: int = 10_000) -> int:
    """Publish what a previous run committed but did not publish (oldest first); returns the count."""
    total = 0
    while True:
        rows = await pool.fetch(
            "SELECT send_id, topic, key, value FROM outbox WHERE published_at IS NULL "
            "ORDER BY created_at LIMIT $1",
            limit,
        )
        sends = [Send(r["send_id"], r["topic"], r["key"], r["value"]) for r in rows]
        await publish(pool, publisher, sends)
        total += len(sends)
        if len(sends) < limit:
            return total
