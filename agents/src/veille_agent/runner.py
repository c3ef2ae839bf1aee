"""The fleet simulator wired to the agent SDK: a simulated fleet that publishes like real agents.

`FleetRunner` moves the simulated clock in steps. Before each step it applies the directives its
agent managers received since the last one (so a directive takes effect at the simulated time it
arrived); then it simulates the step and publishes, through the spooled publisher, the heartbeats
of the devices whose agent is deployed (inventory first, at enrolment). Records carry their event
time, so ingest judges them against the simulated clock.

One `AgentManagerRelay` per agent manager id of the fleet consumes the directive topic and hands
each of its devices its own directive, as in a real deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from veille_contracts import Directive, DirectiveMode

from .sdk.publisher import AgentPublisher, to_record
from .sdk.relay import AgentManagerRelay
from .simulator import Fleet, FleetSimulator

log = logging.getLogger(__name__)

StepCallback = Callable[[datetime, int], Awaitable[None] | None]


@dataclass
class RunnerStats:
    heartbeats: int = 0
    dropped_not_deployed: int = 0
    inventories: int = 0
    directives_applied: int = 0
    directives_refused: int = 0


@dataclass
class FleetRunner:
    sim: FleetSimulator
    publisher: AgentPublisher
    relays: list[AgentManagerRelay] = field(default_factory=list)
    chunk: int = 20_000
    max_backlog: int = 200_000  # spooled-but-unacked records before the runner waits for the broker
    stats: RunnerStats = field(default_factory=RunnerStats)

    def __post_init__(self) -> None:
        devices = self.sim.fleet.devices
        self._index = {d.device_id: d.index for d in devices}
        self.deployed = [False] * len(devices)
        self.versions: dict[str, str] = {}  # device_id -> directive version in force
        self.modes: dict[str, DirectiveMode] = {}
        self._inbox: list[Directive] = []
        self._arrived = asyncio.Event()

    @property
    def fleet(self) -> Fleet:
        return self.sim.fleet

    @property
    def clock(self) -> datetime:
        return self.sim.clock

    # -- agent managers ----------------------------------------------------------------------------

    @classmethod
    def relays_for(cls, fleet: Fleet, bootstrap: str, namespace: str = "") -> list[AgentManagerRelay]:
        managers = sorted({d.agent_manager_id for d in fleet.devices})
        return [AgentManagerRelay(bootstrap, m, namespace) for m in managers]

    async def start(self) -> None:
        """Start the publisher and the relays; devices are registered with their agent manager."""
        await self.publisher.start()
        by_id = {r.manager_id: r for r in self.relays}
        for device in self.fleet.devices:
            relay = by_id.get(device.agent_manager_id)
            if relay is not None:
                relay.register(device.device_id, self._receive)
        for relay in self.relays:
            await relay.start()
        for relay in self.relays:
            await relay.wait_assigned()

    async def stop(self) -> None:
        for relay in self.relays:
            await relay.stop()
        await self.publisher.stop()

    async def _receive(self, directive: Directive) -> None:
        self._inbox.append(directive)
        self._arrived.set()

    def apply_arrived(self) -> int:
        """Enforce every directive received so far, from the current simulated time on."""
        inbox, self._inbox = self._inbox, []
        self._arrived.clear()
        for directive in inbox:
            try:
                self.sim.apply_directive(directive)
            except KeyError as exc:
                self.stats.directives_refused += 1
                log.warning("directive %s refused: %s", directive.directive_id, exc)
                continue
            self.versions[directive.device_id] = directive.version
            self.modes[directive.device_id] = directive.mode
            self.stats.directives_applied += 1
        return len(inbox)

    async def wait_directives(
        self, predicate: Callable[[FleetRunner], bool], timeout_s: float = 120.0
    ) -> None:
        """Wait (wall clock; the simulated clock stands still) until `predicate` holds after
        applying what arrived, e.g. until the devices selected for Saver have their policy."""
        async with asyncio.timeout(timeout_s):
            while True:
                self.apply_arrived()
                if predicate(self):
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout=0.5)

    def in_mode(self, mode: DirectiveMode) -> int:
        return sum(1 for m in self.modes.values() if m is mode)

    # -- deployment and simulated time -------------------------------------------------------------

    async def enrol(self, indexes: Iterable[int], at: datetime | None = None) -> int:
        """Deploy agents on these devices: each publishes its inventory (observed at `at`)."""
        when = at or self.clock
        new = [i for i in indexes if not self.deployed[i]]
        for i in new:
            self.deployed[i] = True
        self.publisher.publish(self.fleet.devices[i].inventory(when) for i in new)
        self.stats.inventories += len(new)
        await self._relieve()
        return len(new)

    async def run_until(
        self, until: datetime, step: timedelta = timedelta(hours=1), on_step: StepCallback | None = None
    ) -> None:
        """Advance the simulated clock to `until` in steps, publishing as the agents would."""
        namespace = self.publisher.namespace
        while self.clock < until:
            self.apply_arrived()
            target = min(self.clock + step, until)
            before = self.clock
            batch = []
            deployed = self.deployed
            index = self._index
            for heartbeat in self.sim.advance(target):
                if not deployed[index[heartbeat.device_id]]:
                    self.stats.dropped_not_deployed += 1
                    continue
                batch.append(to_record(heartbeat, namespace))
                if len(batch) >= self.chunk:
                    self._publish(batch)
                    batch = []
                    await self._relieve()
            self._publish(batch)
            await self._relieve()
            if self.clock == before:
                break  # `until` is not on a period boundary: nothing more to simulate
            if on_step is not None:
                result = on_step(self.clock, self.stats.heartbeats)
                if result is not None:
                    await result

    def _publish(self, records: list[tuple[str, bytes, bytes, int]]) -> None:
        self.publisher.publish_records(records)
        self.stats.heartbeats += len(records)

    async def _relieve(self) -> None:
        """Let the publisher send; wait for the broker if the backlog grew too large."""
        await asyncio.sleep(0)
        if self.publisher.pending() > self.max_backlog:
            await self.publisher.flush()

    async def flush(self, timeout_s: float | None = None) -> None:
        await self.publisher.flush(timeout_s)
