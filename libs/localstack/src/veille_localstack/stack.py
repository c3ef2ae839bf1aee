"""The local infrastructure: Kafka + PostgreSQL, local by default, external when their URLs are given.

The same code serves the tests (`LocalStack` as a context manager), the CLI (`veille stack up`
leaves both running in the background and records them in a state file) and `veille up`/`demo`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from .kafka import LocalKafka, pid_alive, terminate_process
from .paths import veille_home
from .postgres import LocalPostgres

KAFKA_ENV = "VEILLE_KAFKA_BOOTSTRAP"
DATABASE_ENV = "VEILLE_DATABASE_URL"


@dataclass
class StackInfo:
    kafka_bootstrap: str
    database_url: str
    kafka_pid: int | None = None
    postgres_data: str | None = None
    kafka_started_s: float | None = None
    postgres_started_s: float | None = None

    def env(self) -> dict[str, str]:
        return {KAFKA_ENV: self.kafka_bootstrap, DATABASE_ENV: self.database_url}


class LocalStack:
    """Start what is not given by the environment; stop only what we started."""

    def __init__(self, root: Path | None = None, *, detached: bool = False, fresh: bool = False) -> None:
        self.root = root or veille_home() / "stack"
        self.detached = detached
        self.fresh = fresh
        self.kafka: LocalKafka | None = None
        self.postgres: LocalPostgres | None = None
        self.info: StackInfo | None = None

    def start(self) -> StackInfo:
        if self.fresh:
            shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        kafka_url = os.environ.get(KAFKA_ENV)
        db_url = os.environ.get(DATABASE_ENV)
        kafka_s = pg_s = None
        if not db_url:
            self.postgres = LocalPostgres(self.root / "postgres")
            t0 = time.monotonic()
            db_url = self.postgres.start()
            pg_s = time.monotonic() - t0
        if not kafka_url:
            self.kafka = LocalKafka(self.root / "kafka")
            t0 = time.monotonic()
            try:
                kafka_url = self.kafka.start(detached=self.detached)
            except Exception:
                if self.postgres:
                    self.postgres.stop()
                raise
            kafka_s = time.monotonic() - t0
        self.info = StackInfo(
            kafka_bootstrap=kafka_url,
            database_url=db_url,
            kafka_pid=self.kafka.process.pid if self.kafka and self.kafka.process else None,
            postgres_data=str(self.postgres.data_dir) if self.postgres else None,
            kafka_started_s=kafka_s,
            postgres_started_s=pg_s,
        )
        return self.info

    def stop(self) -> None:
        if self.kafka:
            self.kafka.stop()
        if self.postgres:
            self.postgres.stop()

    def __enter__(self) -> StackInfo:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def state_file() -> Path:
    return veille_home() / "stack" / "state.json"


def read_state() -> StackInfo | None:
    path = state_file()
    if not path.exists():
        return None
    return StackInfo(**json.loads(path.read_text()))


def stack_up(*, fresh: bool = False) -> StackInfo:
    """Start the local stack in the background (idempotent: a running stack is reused)."""
    current = read_state()
    if current is not None and stack_running(current):
        return current
    stack = LocalStack(detached=True, fresh=fresh)
    info = stack.start()
    state_file().write_text(json.dumps(asdict(info), indent=2))
    return info


def stack_running(info: StackInfo) -> bool:
    kafka_ok = info.kafka_pid is None or pid_alive(info.kafka_pid)
    pg_ok = info.postgres_data is None or (Path(info.postgres_data) / "pgdata" / "postmaster.pid").exists()
    return kafka_ok and pg_ok


def stack_down() -> bool:
    info = read_state()
    if info is None:
        return False
    if info.kafka_pid is not None:
        terminate_process(info.kafka_pid)
    if info.postgres_data is not None:
        LocalPostgres(Path(info.postgres_data)).stop()
    state_file().unlink(missing_ok=True)
    return True
