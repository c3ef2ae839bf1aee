"""Test environment: a real Kafka and a real PostgreSQL for every test that asks for them.

Which ones (chosen once per session):
- default: the local stack (KRaft Kafka from Maven Central jars, embedded PostgreSQL), started
  here in a temporary folder and stopped at the end;
- VEILLE_TEST_INFRA=containers: testcontainers (needs a Docker engine);
- VEILLE_KAFKA_BOOTSTRAP and VEILLE_DATABASE_URL set: those external servers, used as they are.
Each test gets its own topic namespace and database schema suffix (`isolation`), so tests never
see each other's messages or rows, even on a shared external broker.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from support.isolation import Isolation
from veille_localstack import LocalStack, StackInfo
from veille_runtime.kafka import ensure_topics

__all__ = ["Isolation", "infra", "isolation"]


def _containers() -> Iterator[StackInfo]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka, PostgresContainer("postgres:17") as pg:
        url = pg.get_connection_url().replace("postgresql+psycopg2://", "postgresql://")
        yield StackInfo(kafka_bootstrap=kafka.get_bootstrap_server(), database_url=url)


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    if os.environ.get("VEILLE_TEST_INFRA") == "containers":
        yield from _containers()
        return
    stack = LocalStack(Path(tmp_path_factory.mktemp("stack")), fresh=True)
    info = stack.start()
    try:
        yield info
    finally:
        stack.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def isolation(infra: StackInfo) -> AsyncIterator[Isolation]:
    tag = uuid.uuid4().hex[:10]
    iso = Isolation(infra=infra, namespace=f"t{tag}", schema_suffix=f"_t{tag}")
    await ensure_topics(infra.kafka_bootstrap, namespace=iso.namespace, device_partitions=4)
    yield iso
