"""PostgreSQL access: one pool per service, bound to the service's own schema, and migrations.

Each service owns one schema (DESIGN: no service reads another's tables). Migrations are the
`NNN_name.sql` files of the service's `migrations` package, applied once each, in order, under an
advisory lock so that several instances starting together do not race.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import asyncpg

from .logging import get_logger

log = get_logger(__name__)


def _quote_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"invalid schema name {name!r}")
    return f'"{name}"'


async def create_pool(dsn: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    await ensure_schema(dsn, schema)
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings={"search_path": schema, "application_name": f"veille-{schema}"},
    )
    assert pool is not None
    return pool


async def ensure_schema(dsn: str, schema: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote_ident(schema)}")
    except asyncpg.UniqueViolationError:
        pass  # another instance created it between the check and the create
    finally:
        await conn.close()


def migration_files(package: str) -> list[tuple[str, str]]:
    """(name, sql) of each migration of a package, in name order."""
    root = resources.files(package)
    files = sorted((p for p in root.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    return [(p.name, p.read_text()) for p in files]


async def migrate(pool: asyncpg.Pool, schema: str, package: str) -> list[str]:
    """Apply the package's pending migrations; returns the names applied now."""
    lock_key = int.from_bytes(
        hashlib.sha256(f"veille-migrate:{schema}".encode()).digest()[:8], "big", signed=True
    )
    applied_now: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in migration_files(package):
            if name in done:
                continue
            await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations(name) VALUES ($1)", name)
            applied_now.append(name)
    if applied_now:
        log.info("migrations applied", schema=schema, migrations=applied_now)
    return applied_now


async def ping(pool: asyncpg.Pool) -> bool:
    try:
        async with pool.acquire(timeout=2) as conn:
            value: Any = await conn.fetchval("SELECT 1")
            return bool(value == 1)
    except Exception:
        return False
