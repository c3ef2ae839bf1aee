"""The agent manager: consumes the directive topic once for all the devices it manages, and
hands each device its own directive.

A real deployment has one agent manager per site (or a shared one); agents talk to it, not to
Kafka. It reads every partition of `veille.policy.directives.v1` in its own consumer group
(`veille-agent-manager-<id>`), keeps the directives of the devices registered with it (the others
belong to other managers), calls each device's handler, and commits the offsets only after the
handlers returned (at-least-once; a directive handed twice is harmless: the same version). It
also keeps the latest directive of every device it manages, for a device that asks later
(enrolled after its directive was issued, or restarted).

A record that is not a valid directive is counted and logged with its offset, and skipped: it
cannot be enforced, and the policy service resends a device's directive when its heartbeats report
a stale version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from veille_contracts import Directive, decode
from veille_contracts.topics import POLICY_DIRECTIVES

log = logging.getLogger(__name__)

DirectiveHandler = Callable[[Directive], Awaitable[None]]


def relay_group_id(manager_id: str) -> str:
    return f"veille-agent-manager-{manager_id}"


@dataclass
class RelayStats:
    received: int = 0  # directive records read
    delivered: int = 0  # handed to one of our devices
    foreign: int = 0  # for devices of other managers
    invalid: int = 0


@dataclass
class AgentManagerRelay:
    bootstrap: str
    manager_id: str
    namespace: str = ""
    max_records: int = 5000
    stats: RelayStats = field(default_factory=RelayStats)

    def __post_init__(self) -> None:
        self._handlers: dict[str, DirectiveHandler] = {}
        self.latest: dict[str, Directive] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._assigned = asyncio.Event()

    @property
    def topic(self) -> str:
        return POLICY_DIRECTIVES.qualified(self.namespace)

    def register(self, device_id: str, handler: DirectiveHandler) -> None:
        self._handlers[device_id] = handler

    def register_many(self, device_ids: Iterable[str], handler: DirectiveHandler) -> None:
        for device_id in device_ids:
            self._handlers[device_id] = handler

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=relay_group_id(self.manager_id),
            client_id=f"agent-manager-{self.manager_id}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"relay-{self.manager_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            with contextlib.suppress(KafkaError):
                await self._consumer.stop()
            self._consumer = None

    async def __aenter__(self) -> AgentManagerRelay:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_assigned(self, timeout_s: float = 30.0) -> None:
        """Wait until the consumer owns its partitions (so nothing published later is missed)."""
        assert self._consumer is not None
        async with asyncio.timeout(timeout_s):
            while not self._consumer.assignment():
                if self._task is not None and self._task.done():
                    self._task.result()
                await asyncio.sleep(0.05)

    async def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
            if not batches:
                continue
            for records in batches.values():
                for record in records:
                    await self._handle(record.value, record.partition, record.offset)
            await consumer.commit()

    async def _handle(self, value: bytes | None, partition: int, offset: int) -> None:
        self.stats.received += 1
        try:
            directive = decode(Directive, value or b"")
        except ValidationError as exc:
            self.stats.invalid += 1
            log.warning("invalid directive at %s[%d]@%d skipped: %s", self.topic, partition, offset, exc)
            return
        handler = self._handlers.get(directive.device_id)
        if handler is None:
            self.stats.foreign += 1
            return
        current = self.latest.get(directive.device_id)
        if current is None or current.issued_at <= directive.issued_at:
            self.latest[directive.device_id] = directive
        await handler(directive)
        self.stats.delivered += 1
