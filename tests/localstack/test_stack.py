"""The local infrastructure the tests, the CLI and the demo share: real servers, set up as documented."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from support.isolation import Isolation
from veille_contracts import ALL_TOPICS
from veille_contracts.topics import FLEET_DEVICES, PROJECT_STAGES

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_topics_have_configured_partitions_and_registry_is_compacted(isolation: Isolation) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=isolation.infra.kafka_bootstrap)
    await admin.start()
    try:
        names = {isolation.topic(spec) for spec in ALL_TOPICS}
        described = {t["topic"]: t for t in await admin.describe_topics(list(names))}
        assert set(described) == names
        assert len(described[isolation.topic(FLEET_DEVICES)]["partitions"]) == 4  # the test setting
        assert len(described[isolation.topic(PROJECT_STAGES)]["partitions"]) == 3
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, isolation.topic(FLEET_DEVICES))]
        )
        entries = {e[0]: e[1] for e in configs[0].resources[0][4]}
        assert entries["cleanup.policy"] == "compact"
    finally:
        await admin.close()


async def test_postgres_is_real_and_reachable(isolation: Isolation) -> None:
    conn = await asyncpg.connect(isolation.infra.database_url)
    try:
        version = await conn.fetchval("SHOW server_version_num")
        assert int(version) >= 150000
    finally:
        await conn.close()
