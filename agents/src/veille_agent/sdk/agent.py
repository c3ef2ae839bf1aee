"""One device's agent: its inventory, its heartbeats numbered without gaps or reuse, its directive.

A real agent measures its counters from the OS; this class turns them into contract messages and
hands them to the publisher. The heartbeat `seq` is reserved in the spool's database in its own
transaction before the heartbeat is spooled, so an agent restarted after a crash continues the
sequence (a seq reserved but never spooled is a harmless gap; a seq is never given twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from veille_contracts import Directive, Heartbeat, Inventory, PowerSource, SleepBlocker

from .publisher import AgentPublisher


class DeviceAgent:
    def __init__(self, publisher: AgentPublisher, inventory: Inventory) -> None:
        self.publisher = publisher
        self.inventory = inventory
        self.directive: Directive | None = None

    @property
    def device_id(self) -> str:
        return self.inventory.device_id

    @property
    def policy_version(self) -> str | None:
        return self.directive.version if self.directive else None

    def enrol(self, observed_at: datetime | None = None) -> Inventory:
        """Publish the device facts (at enrolment and whenever they change)."""
        if observed_at is not None:
            self.inventory = self.inventory.model_copy(update={"observed_at": observed_at})
        self.publisher.publish([self.inventory])
        return self.inventory

    def report(
        self,
        period_start: datetime,
        period_end: datetime,
        *,
        seconds_on: float,
        seconds_active: float,
        seconds_asleep: float,
        last_input_at: datetime | None = None,
        power_source: PowerSource = PowerSource.unknown,
        battery_percent: float | None = None,
        sleep_blockers: Sequence[SleepBlocker] = (),
        input_minutes: Sequence[int] | None = None,
    ) -> Heartbeat:
        """Publish one reporting period; the seq is assigned here."""
        heartbeat = Heartbeat(
            tenant_id=self.inventory.tenant_id,
            device_id=self.device_id,
            seq=self.publisher.spool.next_seq(self.device_id),
            period_start=period_start,
            period_end=period_end,
            seconds_on=float(seconds_on),
            seconds_active=float(seconds_active),
            seconds_asleep=float(seconds_asleep),
            last_input_at=last_input_at,
            power_source=power_source,
            battery_percent=battery_percent,
            policy_version=self.policy_version,
            sleep_blockers=list(sleep_blockers),
            input_minutes=list(input_minutes) if input_minutes is not None else None,
        )
        self.publisher.publish([heartbeat])
        return heartbeat

    async def on_directive(self, directive: Directive) -> None:
        """Called by the agent manager relay: enforce it (here: remember it, echo its version)."""
        if directive.device_id == self.device_id and directive.tenant_id == self.inventory.tenant_id:
            self.directive = directive
