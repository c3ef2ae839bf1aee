"""A third-party agent: a heartbeat published with kcat (librdkafka, no Python) is stored by ingest."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from support.fleet import inventory, record
from support.isolation import Isolation
from support.kafka import produce
from support.services import serve
from veille_contracts.topics import AGENT_HEARTBEATS, AGENT_INVENTORY
from veille_ingest.entrypoints.app import create_app
from veille_ingest.settings import IngestSettings

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


# The README's example heartbeat, as a third-party agent writes it, for the last five minutes:
# kcat stamps the record with the wall clock, which ingest uses to bound clock skew.
def readme_heartbeat(end: datetime) -> str:
    start = end - timedelta(minutes=5)
    return (
        '{"schema_version":1,"tenant_id":"acme","device_id":"pc-0042","seq":1,'
        f'"period_start":"{start:%Y-%m-%dT%H:%M:%SZ}","period_end":"{end:%Y-%m-%dT%H:%M:%SZ}",'
        '"seconds_on":300,"seconds_active":212.5,"seconds_asleep":0,'
        f'"last_input_at":"{end - timedelta(seconds=9):%Y-%m-%dT%H:%M:%SZ}","power_source":"ac",'
        '"policy_version":null,"sleep_blockers":[{"process":"Teams.exe","seconds":300}],'
        '"input_minutes":[0,1,2,4]}'
    )


async def test_kcat_heartbeat_is_stored(isolation: Isolation) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is installed by scripts/setup.sh"
    settings = isolation.settings(IngestSettings)
    async with serve(create_app(settings)):  # type: ignore[arg-type]
        now = datetime.now(UTC).replace(microsecond=0)
        await produce(
            isolation.infra.kafka_bootstrap,
            isolation.topic(AGENT_INVENTORY),
            [record(inventory("pc-0042", at=now - timedelta(hours=1)))],
        )
        conn = await asyncpg.connect(isolation.infra.database_url)
        try:  # enrolled first: a heartbeat of an unknown device is a dead letter
            for _ in range(100):
                if await conn.fetchval(f"SELECT count(*) FROM ingest{isolation.schema_suffix}.devices"):
                    break
                await asyncio.sleep(0.2)
        finally:
            await conn.close()
        await asyncio.to_thread(
            subprocess.run,
            [
                kcat,
                "-P",
                "-b",
                isolation.infra.kafka_bootstrap,
                "-t",
                isolation.topic(AGENT_HEARTBEATS),
                "-K",
                "|",
                "-z",
                "lz4",
            ],
            input=f"pc-0042|{readme_heartbeat(now)}\n".encode(),
            check=True,
            timeout=30,
        )
        conn = await asyncpg.connect(isolation.infra.database_url)
        try:
            for _ in range(100):
                row = await conn.fetchrow(
                    f"SELECT seconds_active FROM ingest{isolation.schema_suffix}.heartbeats "
                    "WHERE device_id = 'pc-0042' AND seq = 1"
                )
                if row:
                    break
                await asyncio.sleep(0.3)
        finally:
            await conn.close()
    assert row is not None, "the kcat heartbeat was not stored"
    assert row["seconds_active"] == 212.5
