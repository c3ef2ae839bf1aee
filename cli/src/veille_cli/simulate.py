"""`veille simulate`: a simulated fleet publishing to a running platform, like real agents.

Unlike `veille demo`, it creates no project and starts nothing: it enrols the fleet and then
publishes heartbeats, obeying the directives its agent managers receive. By default the simulated
clock follows the wall clock (a live fleet); `--speed N` runs N times faster from `--start`.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from veille_agent.runner import FleetRunner
from veille_agent.sdk.publisher import AgentPublisher
from veille_agent.sdk.spool import SqliteSpool
from veille_agent.simulator import Fleet, FleetSimulator
from veille_localstack.paths import veille_home

from .infra import infrastructure_env

simulate_app = typer.Typer(help="A simulated fleet publishing to a running platform.")


@simulate_app.callback(invoke_without_command=True)
def simulate(
    devices: Annotated[int, typer.Option(help="Simulated PCs.")] = 500,
    tenant: Annotated[str, typer.Option(help="Tenant of the fleet.")] = "demo-corp",
    seed: Annotated[int, typer.Option(help="Same seed, same fleet, same behaviour.")] = 1,
    period: Annotated[int, typer.Option(help="Reporting period, minutes (1-60).", min=1, max=60)] = 5,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall-clock second.", min=1)] = 1.0,
    start: Annotated[
        datetime | None,
        typer.Option(help="Simulated start (UTC); default: now, or a week ago when --speed > 1."),
    ] = None,
    hours: Annotated[float | None, typer.Option(help="Stop after this much simulated time.")] = None,
    spool: Annotated[Path | None, typer.Option(help="Spool file (unsent records survive restarts).")] = None,
) -> None:
    """Run a simulated fleet against the platform given by VEILLE_KAFKA_BOOTSTRAP (or the local stack)."""
    env = infrastructure_env()
    asyncio.run(
        _run(
            bootstrap=env["VEILLE_KAFKA_BOOTSTRAP"],
            namespace=os.environ.get("VEILLE_TOPIC_NAMESPACE", ""),
            devices=devices,
            tenant=tenant,
            seed=seed,
            period=period,
            speed=speed,
            start=start,
            hours=hours,
            spool=spool or veille_home() / f"simulate-{tenant}.db",
        )
    )


async def _run(
    *,
    bootstrap: str,
    namespace: str,
    devices: int,
    tenant: str,
    seed: int,
    period: int,
    speed: float,
    start: datetime | None,
    hours: float | None,
    spool: Path,
) -> None:
    now = datetime.now(UTC)
    # Records are stamped in event time and brokers refuse timestamps far in the future, so a
    # fast simulation starts in the past and never runs ahead of the wall clock.
    default_start = now if speed == 1 else now - timedelta(days=7)
    clock = (start.replace(tzinfo=start.tzinfo or UTC) if start else default_start).astimezone(UTC)
    clock = clock.replace(second=0, microsecond=0)
    clock -= timedelta(minutes=clock.minute % period)
    fleet = Fleet.generate(seed, devices, tenant, clock.date())
    runner = FleetRunner(
        FleetSimulator(fleet, clock, period),
        AgentPublisher(bootstrap, SqliteSpool(spool), namespace),
        relays=FleetRunner.relays_for(fleet, bootstrap, namespace),
    )
    await runner.start()
    typer.echo(f"{devices} simulated PCs of {tenant} from {clock:%Y-%m-%d %H:%M} UTC at x{speed:g}")
    try:
        await runner.enrol(range(devices))
        stop_at = clock + timedelta(hours=hours) if hours is not None else None
        wall_start, sim_start = asyncio.get_running_loop().time(), clock
        step = timedelta(minutes=period)
        while stop_at is None or runner.clock < stop_at:
            target = runner.clock + step
            # Pace the simulated clock: never ahead of (wall time elapsed x speed).
            due = wall_start + (target - sim_start).total_seconds() / speed
            ahead_of_wall_clock = (target - datetime.now(UTC)).total_seconds()
            await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time(), ahead_of_wall_clock))
            await runner.run_until(target, step=step)
            typer.echo(f"{runner.clock:%Y-%m-%d %H:%M}  {runner.stats.heartbeats:,} heartbeats sent")
        await runner.flush()
    finally:
        await runner.stop()
