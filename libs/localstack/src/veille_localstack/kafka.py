"""A single-node Apache Kafka (KRaft) on loopback, from jars fetched once from Maven Central.

No Docker and no tarball: Maven's dependency plugin resolves `org.apache.kafka:kafka_2.13` and a
log4j2 SLF4J binding into a cache folder; the broker runs as `java -cp 'libs/*' kafka.Kafka`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .paths import free_port, port_open, veille_home

KAFKA_VERSION = os.environ.get("VEILLE_KAFKA_VERSION", "4.1.1")
LOG4J_VERSION = "2.24.3"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.veille</groupId><artifactId>local-kafka</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>{log4j}</version></dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """status=warn
appender.file.type=File
appender.file.name=FILE
appender.file.fileName={log}
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=WARN
rootLogger.appenderRef.file.ref=FILE
logger.kafka.name=kafka.server.KafkaServer
logger.kafka.level=INFO
"""


class KafkaSetupError(RuntimeError):
    pass


def java_major_version(java: str = "java") -> int:
    if shutil.which(java) is None:
        raise KafkaSetupError("java not found: the local Kafka needs Java 17 or later on PATH")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        raise KafkaSetupError(f"cannot read the Java version from: {out!r}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def kafka_libs_dir(version: str = KAFKA_VERSION) -> Path:
    return veille_home() / "kafka" / version / "libs"


def fetch_kafka(version: str = KAFKA_VERSION, *, quiet: bool = True) -> Path:
    """Download the broker's jars once (idempotent); returns the folder of jars."""
    libs = kafka_libs_dir(version)
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if java_major_version() < 17:
        raise KafkaSetupError("the local Kafka needs Java 17 or later")
    if shutil.which("mvn") is None:
        raise KafkaSetupError("mvn not found: Maven fetches the Kafka jars from Maven Central")
    staging = libs.parent / f"libs.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_text(_POM.format(kafka=version, log4j=LOG4J_VERSION))
        cmd = [
            "mvn",
            "-B",
            *(["-q"] if quiet else []),
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ]
        result = subprocess.run(cmd, capture_output=quiet, text=True)
        if result.returncode != 0:
            raise KafkaSetupError(f"Maven could not fetch Kafka {version}:\n{result.stdout}\n{result.stderr}")
    (staging / ".complete").write_text(version)
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    return libs


@dataclass
class LocalKafka:
    """One KRaft broker+controller on 127.0.0.1. `start()` returns once clients are served."""

    data_dir: Path
    port: int = 0
    controller_port: int = 0
    heap: str = "768m"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "kafka.log"

    def _write_config(self) -> Path:
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "12",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "num.partitions": "1",
            "auto.create.topics.enable": "false",
            "log.segment.bytes": str(256 * 1024 * 1024),
            "log.cleaner.backoff.ms": "1000",
            # Simulated fleets replay past event time (record timestamp = event time): time-based
            # retention would delete their segments before consumers read them. Dev stack: keep all.
            "log.retention.ms": "-1",
        }
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.data_dir / "log4j2.properties").write_text(_LOG4J2.format(log=self.log_file))
        return path

    def _java(self, main: str, *args: str, **popen: object) -> list[str]:
        libs = fetch_kafka()
        return [
            "java",
            f"-Xmx{self.heap}",
            "-Xms256m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp",
            f"{libs}/*",
            main,
            *args,
        ]

    def start(self, timeout_s: float = 90.0, *, detached: bool = False) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        if not (self.data_dir / "logs" / "meta.properties").exists():
            cluster_id = uuid.uuid4().hex[:22]
            subprocess.run(
                self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)),
                check=True,
                capture_output=True,
            )
        out = open(self.data_dir / "kafka.stdout", "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            self._java("kafka.Kafka", str(config)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=detached,
        )
        out.close()
        self.wait_ready(timeout_s)
        return self.bootstrap

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise KafkaSetupError(f"Kafka exited with {self.process.returncode}; see {self.data_dir}")
            if port_open("127.0.0.1", self.port) and asyncio.run(_serves_clients(self.bootstrap)):
                return
            time.sleep(0.3)
        self.stop()
        raise KafkaSetupError(f"Kafka did not serve clients within {timeout_s:.0f}s; see {self.log_file}")

    def stop(self, timeout_s: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        terminate_process(self.process.pid, timeout_s)
        self.process.wait()


async def _serves_clients(bootstrap: str) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


def terminate_process(pid: int, timeout_s: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within the timeout."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True
