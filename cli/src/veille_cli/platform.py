"""The whole platform as local processes: the four services on the local (or given) infrastructure.

Used by `veille up`, `veille demo` and the end-to-end tests, so that all of them run the
services exactly as an operator would: one uvicorn process per service.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from veille_localstack.kafka import terminate_process
from veille_localstack.paths import free_port

SERVICES: dict[str, str] = {
    "ingest": "veille_ingest.entrypoints.app:create_app",
    "policy": "veille_policy.entrypoints.app:create_app",
    "projects": "veille_projects.entrypoints.app:create_app",
    "reporting": "veille_reporting.entrypoints.app:create_app",
}
DEFAULT_PORTS = {"ingest": 8101, "policy": 8102, "projects": 8103, "reporting": 8104}


def service_command(name: str, host: str, port: int) -> list[str]:
    if name not in SERVICES:
        raise ValueError(f"unknown service {name!r}; one of {', '.join(SERVICES)}")
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        SERVICES[name],
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "20",
    ]


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Platform:
    env: dict[str, str]
    log_dir: Path
    services: tuple[str, ...] = tuple(SERVICES)
    fixed_ports: bool = True
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, timeout_s: float = 120.0) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in self.services:
            self.start_service(name)
        self.wait_healthy(timeout_s)

    def start_service(self, name: str, port: int | None = None) -> ServiceProcess:
        port = port or (DEFAULT_PORTS[name] if self.fixed_ports else free_port())
        log_path = self.log_dir / f"{name}.log"
        env = {**os.environ, **self.env, "VEILLE_HTTP_PORT": str(port)}
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                service_command(name, "127.0.0.1", port),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.processes[name] = ServiceProcess(name, port, proc, log_path)
        return self.processes[name]

    def wait_healthy(self, timeout_s: float = 120.0, names: tuple[str, ...] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        pending = set(names or self.processes)
        while pending:
            for name in sorted(pending):
                svc = self.processes[name]
                if svc.process.poll() is not None:
                    tail = svc.log_path.read_text()[-3000:]
                    raise RuntimeError(f"{name} exited with {svc.process.returncode}:\n{tail}")
                try:
                    if httpx.get(f"{svc.url}/health", timeout=2).status_code == 200:
                        pending.discard(name)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not healthy after {timeout_s:.0f}s: {', '.join(sorted(pending))}")
            if pending:
                time.sleep(0.3)

    def stop_service(self, name: str, *, kill: bool = False) -> None:
        svc = self.processes.pop(name, None)
        if svc is None or svc.process.poll() is not None:
            return
        if kill:
            svc.process.kill()
        else:
            terminate_process(svc.process.pid, timeout_s=30)
        svc.process.wait()

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_service(name)
