"""The agent's outbox: every message is written here before it is sent, and removed once acked.

A `SqliteSpool` is one SQLite file per agent (or per simulated fleet): an append-only table of
records whose row id is the spool offset, and the acked offset below which everything was
delivered. Appends and the per-device heartbeat sequence live in the same transaction, so after a
crash (or a broker outage of any length) the agent resends exactly what was not acked and never
reuses a seq. A record the broker refuses for good is copied to a `set_aside` table with the
broker's reason before its offset is acked, so nothing the agent produced is lost without a trace.
`MemorySpool` has the same interface without the disk (benchmarks, short-lived tools).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SpooledRecord:
    """One Kafka record waiting for its ack; `offset` orders the spool."""

    offset: int
    topic: str
    key: bytes
    value: bytes
    timestamp_ms: int


Outgoing = tuple[str, bytes, bytes, int]  # topic, key, value, timestamp_ms (event time)


class Spool(Protocol):
    def append(self, records: Sequence[Outgoing]) -> int:
        """Store records durably; returns the offset of the last one."""

    def pending(self, after: int, limit: int) -> list[SpooledRecord]:
        """Unacked records with offset > `after`, oldest first."""

    def ack(self, upto: int) -> None:
        """Every record with offset <= `upto` was delivered."""

    def size(self) -> int:
        """Records not acked yet."""

    def next_seq(self, device_id: str, count: int = 1) -> int:
        """Reserve `count` heartbeat seqs for a device; returns the first."""

    def set_aside(self, record: SpooledRecord, reason: str) -> None:
        """Keep a record the broker refuses for good, with why, out of the way of the others."""

    def set_aside_records(self) -> list[tuple[SpooledRecord, str]]:
        """The records set aside, oldest first, with their reasons (for the operator)."""

    def close(self) -> None: ...


class SqliteSpool:
    """Durable spool in one SQLite file (WAL; a transaction per append)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: an append survives power loss once append() returns (the agent's promise).
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS outbox (
                offset INTEGER PRIMARY KEY AUTOINCREMENT,
                topic TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, ts_ms INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS acked (id INTEGER PRIMARY KEY CHECK (id = 0), upto INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS seqs (device_id TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS set_aside (
                offset INTEGER PRIMARY KEY, topic TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                ts_ms INTEGER NOT NULL, reason TEXT NOT NULL,
                set_aside_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
            );
            INSERT OR IGNORE INTO acked VALUES (0, 0);
            """
        )

    def append(self, records: Sequence[Outgoing]) -> int:
        if not records:
            return self.acked_upto()
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.executemany("INSERT INTO outbox (topic, key, value, ts_ms) VALUES (?, ?, ?, ?)", records)
                last = int(cur.execute("SELECT max(offset) FROM outbox").fetchone()[0])
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return last

    def pending(self, after: int, limit: int) -> list[SpooledRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT offset, topic, key, value, ts_ms FROM outbox"
                " WHERE offset > ? ORDER BY offset LIMIT ?",
                (after, limit),
            ).fetchall()
        return [SpooledRecord(int(o), t, bytes(k), bytes(v), int(ts)) for o, t, k, v, ts in rows]

    def ack(self, upto: int) -> None:
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            cur.execute("UPDATE acked SET upto = max(upto, ?) WHERE id = 0", (upto,))
            cur.execute("DELETE FROM outbox WHERE offset <= ?", (upto,))
            cur.execute("COMMIT")

    def acked_upto(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT upto FROM acked WHERE id = 0").fetchone()[0])

    def size(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def next_seq(self, device_id: str, count: int = 1) -> int:
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            row = cur.execute("SELECT next_seq FROM seqs WHERE device_id = ?", (device_id,)).fetchone()
            first = int(row[0]) if row else 0
            cur.execute(
                "INSERT INTO seqs VALUES (?, ?)"
                " ON CONFLICT (device_id) DO UPDATE SET next_seq = excluded.next_seq",
                (device_id, first + count),
            )
            cur.execute("COMMIT")
            return first

    def set_aside(self, record: SpooledRecord, reason: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO set_aside (offset, topic, key, value, ts_ms, reason)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (record.offset, record.topic, record.key, record.value, record.timestamp_ms, reason),
            )

    def set_aside_records(self) -> list[tuple[SpooledRecord, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT offset, topic, key, value, ts_ms, reason FROM set_aside ORDER BY offset"
            ).fetchall()
        return [(SpooledRecord(int(o), t, bytes(k), bytes(v), int(ts)), r) for o, t, k, v, ts, r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class MemorySpool:
    """The same contract in memory: lost with the process (benchmarks, tests of the sending path)."""

    def __init__(self) -> None:
        self._records: deque[SpooledRecord] = deque()
        self._last = 0
        self._seqs: dict[str, int] = {}
        self._set_aside: dict[int, tuple[SpooledRecord, str]] = {}

    def append(self, records: Sequence[Outgoing]) -> int:
        for topic, key, value, ts in records:
            self._last += 1
            self._records.append(SpooledRecord(self._last, topic, key, value, ts))
        return self._last

    def extend(self, records: Iterable[SpooledRecord]) -> None:
        self._records.extend(records)

    def pending(self, after: int, limit: int) -> list[SpooledRecord]:
        out: list[SpooledRecord] = []
        for record in self._records:
            if record.offset > after:
                out.append(record)
                if len(out) >= limit:
                    break
        return out

    def ack(self, upto: int) -> None:
        while self._records and self._records[0].offset <= upto:
            self._records.popleft()

    def size(self) -> int:
        return len(self._records)

    def next_seq(self, device_id: str, count: int = 1) -> int:
        first = self._seqs.get(device_id, 0)
        self._seqs[device_id] = first + count
        return first

    def set_aside(self, record: SpooledRecord, reason: str) -> None:
        self._set_aside[record.offset] = (record, reason)

    def set_aside_records(self) -> list[tuple[SpooledRecord, str]]:
        return [self._set_aside[offset] for offset in sorted(self._set_aside)]

    def close(self) -> None:
        pass
