"""Reading PostgreSQL from tests: wait until the services have written what is expected."""

from __future__ import annotations

import asyncio
import time

import asyncpg


async def wait_count(dsn: str, sql: str, expected: int, timeout_s: float = 60.0) -> int:
    """Poll a `SELECT count(*) ...` until it reaches `expected` or the time is up; return the count."""
    deadline = time.monotonic() + timeout_s
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            count = int(await conn.fetchval(sql))
            if count >= expected or time.monotonic() > deadline:
                return count
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
