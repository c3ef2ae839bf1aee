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
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from veille_localstack import LocalStack, StackInfo
from veille_runtime.kafka import ensure_topics


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


@dataclass(frozen=True)
class Isolation:
    """Names that keep one test's topics and schemas apart from every other test's."""

    infra: StackInfo
    namespace: str
    schema_suffix: str

    def env(self) -> dict[str, str]:
        return {
            **self.infra.env(),
            "VEILLE_TOPIC_NAMESPACE": self.namespace,
            "VEILLE_DB_SCHEMA_SUFFIX": self.schema_suffix,
            "VEILLE_TOPIC_PARTITIONS": "4",
        }

    def settings(self, cls: type, **overrides: object) -> object:
        values: dict[str, object] = {
            "kafka_bootstrap": self.infra.kafka_bootstrap,
            "database_url": self.infra.database_url,
            "topic_namespace": self.namespace,
            "db_schema_suffix": self.schema_suffix,
            "topic_partitions": 4,
            "log_format": "console",
            **overrides,
        }
        return cls(**values)

    def topic(self, spec: object) -> str:
        return spec.qualified(self.namespace)  # type: ignore[attr-defined, no-any-return]


@pytest_asyncio.fixture(loop_scope="session")
async def isolation(infra: StackInfo) -> AsyncIterator[Isolation]:
    tag = uuid.uuid4().hex[:10]
    iso = Isolation(infra=infra, namespace=f"t{tag}", schema_suffix=f"_t{tag}")
    await ensure_topics(infra.kafka_bootstrap, namespace=iso.namespace, device_partitions=4)
    yield iso
