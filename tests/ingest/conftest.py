"""Ingest's fault tests restart the broker and the database: they get a private local stack, so
that a restart never disturbs the other tests of the session (which share `infra`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from veille_localstack import LocalStack


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if os.environ.get("VEILLE_KAFKA_BOOTSTRAP") or os.environ.get("VEILLE_DATABASE_URL"):
        pytest.skip("restart tests need the local stack (external Kafka/PostgreSQL given)")
    stack = LocalStack(Path(tmp_path_factory.mktemp("ingest-faults")), fresh=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
