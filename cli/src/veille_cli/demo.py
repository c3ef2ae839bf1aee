"""`veille demo`: a whole POC on a simulated fleet, in minutes, on the embedded stack.

What it does, in order (every milestone is posted in event time: occurred_at = simulated clock):
1. starts Kafka + PostgreSQL (local, fresh) and the four services, with an operator token;
2. opens a project through the projects API (scope: the simulated tenant's whole fleet);
3. replays three simulated weeks with a fleet of agents (veille_agent.runner.FleetRunner):
   week 1 kickoff, package configuration and deployment (agents enrol in waves), week 2 Viewer,
   then the recommendation from the policy service is approved for most PCs (the rest stay in
   Viewer as a control group), week 3 Saver with the policy enforced by the simulated agents
   from the moment their agent manager hands it over; then feedback;
4. waits for the platform to digest everything, prints the savings report next to the
   simulator's own ground truth, and the dashboard URL; keeps serving until Ctrl-C (--exit: stop).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from veille_agent.runner import FleetRunner
from veille_agent.sdk import AgentPublisher, SqliteSpool
from veille_agent.simulator import Fleet, FleetSimulator
from veille_agent.truth import totals
from veille_contracts import DeviceKind, DirectiveMode, Recommendation, StageChange, decode
from veille_contracts.projects import Stage
from veille_contracts.topics import POLICY_RECOMMENDATIONS, PROJECT_STAGES
from veille_localstack import LocalStack
from veille_localstack.paths import veille_home

from .platform import Platform

demo_app = typer.Typer(help="A compressed POC on a simulated fleet, end to end.")

TENANT = "demo-corp"
PROJECT = "demo-poc"
TIMEZONE = "Europe/Paris"
SAVER_SHARE = 0.8  # PCs that get the approved policy; the rest stay in Viewer (control group)


def french_holidays(year: int) -> set[date]:
    """Fixed-date French public holidays (enough to keep them out of the replayed weeks)."""
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    return {date(year, m, d) for m, d in fixed}


def demo_calendar(today: date) -> tuple[date, set[date]]:
    """Monday of the first simulated week: three whole weeks ending at the latest Monday <= today
    (event time in the past: brokers refuse records stamped in the future), with no public
    holiday in the Viewer and Saver weeks (so both are representative)."""
    end = today - timedelta(days=today.weekday())
    while True:
        start = end - timedelta(weeks=3)
        holidays = french_holidays(start.year) | french_holidays(end.year)
        if not any(start + timedelta(days=7) <= h < end for h in holidays):
            return start, {h for h in holidays if start <= h < end}
        end -= timedelta(weeks=1)


@dataclass
class DemoResult:
    project_id: str
    devices: int
    saver_devices: list[str]
    days: dict[str, list[str]]
    reported: dict[str, Any]
    truth: dict[str, Any]
    dashboard_url: str
    durations_s: dict[str, float] = field(default_factory=dict)


class DemoError(RuntimeError):
    pass


# --- waiting for the platform ---------------------------------------------------------------------


async def consumer_lag(bootstrap: str, namespace: str) -> dict[str, int]:
    """Records not yet consumed, per 'group <- topic', over the demo's topics (services' groups).

    Counted over the partitions each group's members are assigned (not only those it has committed
    on: a subscription that has not committed yet is behind by everything in its partitions), and a
    group that is rebalancing counts as behind.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        groups = [
            g[0]
            for g in await admin.list_consumer_groups()
            if g[0].startswith("veille-") and not g[0].startswith("veille-agent-manager-")
        ]
        lag: dict[str, int] = {}
        for group in groups:
            assigned: set[TopicPartition] = set()
            for response in await admin.describe_consumer_groups([group]):
                for _error, _name, state, _ptype, _protocol, members, *_ in response.groups:
                    if state not in ("Stable", "Empty"):
                        lag[f"{group} (rebalancing)"] = 1
                    for member in members:
                        if member[-1]:
                            assigned.update(ConsumerProtocolMemberAssignment.decode(member[-1]).partitions())
            offsets = await admin.list_consumer_group_offsets(group)
            ours = {tp for tp in assigned | set(offsets) if tp.topic.startswith(namespace + ".")}
            if not ours:
                continue
            ends = await consumer.end_offsets(list(ours))
            starts = await consumer.beginning_offsets(list(ours))
            for tp in ours:
                committed = offsets[tp].offset if tp in offsets and offsets[tp].offset >= 0 else starts[tp]
                behind = max(0, ends[tp] - committed)
                if behind:
                    name = f"{group} <- {tp.topic.removeprefix(namespace + '.')}"
                    lag[name] = lag.get(name, 0) + behind
        return lag
    finally:
        await consumer.stop()
        await admin.close()


async def wait_stage(bootstrap: str, namespace: str, project_id: str, stage: Stage, timeout_s: float) -> None:
    """Wait until the projects service's outbox published the project's entry into `stage` (the
    milestone's HTTP answer comes before its relay publishes the event)."""
    consumer = AIOKafkaConsumer(
        PROJECT_STAGES.qualified(namespace), bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for rec in records:
                        change = decode(StageChange, rec.value or b"")
                        if change.project_id == project_id and change.to_stage is stage:
                            return
    except TimeoutError:
        raise DemoError(
            f"{project_id} entering {stage.value} was not published within {timeout_s:.0f}s"
        ) from None
    finally:
        await consumer.stop()


async def wait_digested(bootstrap: str, namespace: str, timeout_s: float, say: Any) -> None:
    """Wait until every service consumed everything published so far (twice in a row)."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    last_said = 0.0
    while quiet < 2:
        lag = await consumer_lag(bootstrap, namespace)
        quiet = quiet + 1 if not lag else 0
        if lag and time.monotonic() > deadline:
            detail = ", ".join(f"{k}: {v:,}" for k, v in sorted(lag.items()))
            raise DemoError(f"the services did not consume everything within {timeout_s:.0f}s ({detail})")
        if lag and time.monotonic() - last_said > 5:
            say(f"    platform catching up: {sum(lag.values()):,} records to consume")
            last_said = time.monotonic()
        await asyncio.sleep(1.0)


async def wait_recommendation(
    bootstrap: str, namespace: str, project_id: str, timeout_s: float
) -> Recommendation:
    consumer = AIOKafkaConsumer(
        POLICY_RECOMMENDATIONS.qualified(namespace), bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                found = [
                    r
                    for records in batches.values()
                    for rec in records
                    if (r := decode(Recommendation, rec.value or b"")).project_id == project_id
                ]
                if found:
                    return found[-1]
    except TimeoutError:
        raise DemoError(
            f"no recommendation for {project_id} on {POLICY_RECOMMENDATIONS.qualified(namespace)} "
            f"within {timeout_s:.0f}s (the policy service computes it when the project enters recommendation)"
        ) from None
    finally:
        await consumer.stop()


# --- the projects API -------------------------------------------------------------------------------


class Projects:
    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post("/projects", json=body)
        if response.status_code != 201:
            raise DemoError(f"creating the project failed ({response.status_code}): {response.text}")
        return dict(response.json())

    async def milestone(self, project_id: str, body: dict[str, Any], *, retries: int = 10) -> dict[str, Any]:
        """Post a milestone; a gate that does not hold yet (data still flowing) is retried."""
        for attempt in range(retries):
            response = await self.http.post(f"/projects/{project_id}/milestones", json=body)
            if response.status_code in (200, 201):
                return dict(response.json())
            if (
                response.status_code == 409
                and response.json().get("code") == "gate_not_met"
                and attempt < retries - 1
            ):
                await asyncio.sleep(2)
                continue
            raise DemoError(f"milestone {body['kind']} refused ({response.status_code}): {response.text}")
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.http.aclose()


# --- the POC ------------------------------------------------------------------------------------------


def project_body(fleet: Fleet, opened: datetime, holidays: set[date]) -> dict[str, Any]:
    desktops = sum(1 for d in fleet.devices if d.kind is not DeviceKind.laptop)
    laptops = len(fleet) - desktops
    # The customer's whole fleet is 10x the POC, with the same desktop/laptop split.
    return {
        "project_id": PROJECT,
        "tenant_id": TENANT,
        "name": "Demo Corp - POC",
        "project_type": "poc",
        "scope": {"tenant_id": TENANT, "whole_fleet": True},
        "opened_at": opened.isoformat(),
        "prerequisites": {
            "selected_pcs": len(fleet),
            "fleet_total": 10 * len(fleet),
            "fleet_desktops": 10 * desktops,
            "fleet_laptops": 10 * laptops,
            "kwh_cost": 0.2516,
            "country": "FR",
            "schedule": {
                "timezone": TIMEZONE,
                "days": [0, 1, 2, 3, 4],
                "start": "08:00:00",
                "end": "19:00:00",
            },
            "holidays": sorted(h.isoformat() for h in holidays),
            "people": [
                {
                    "last_name": "Martin",
                    "first_name": "Claire",
                    "email": "claire.martin@demo-corp.example",
                    "role": "customer_it",
                },
            ],
        },
        "plan": {
            "package_configuration_days": 1,
            "deployment_days": 6,
            "viewer_days": 7,
            "recommendation_days": 1,
            "saver_days": 7,
            "feedback_days": 7,
        },
    }


async def run_poc(
    platform: Platform,
    bootstrap: str,
    namespace: str,
    token: str,
    workdir: Path,
    *,
    devices: int,
    seed: int,
    period: int,
    today: date,
    say: Any,
    timeout_s: float,
) -> DemoResult:
    zone = ZoneInfo(TIMEZONE)
    first_monday, holidays = demo_calendar(today)

    def at(day: date, hour: int = 0) -> datetime:
        return datetime.combine(day, dtime(hour), zone)

    w1, w2, w3, w4 = (first_monday + timedelta(weeks=k) for k in range(4))
    durations: dict[str, float] = {}
    t0 = time.monotonic()

    fleet = Fleet.generate(seed, devices, TENANT, w1, organisation="DEMO", timezone=TIMEZONE)
    sim = FleetSimulator(fleet, at(w1), period, holidays)
    publisher = AgentPublisher(bootstrap, SqliteSpool(workdir / "fleet-spool.db"), namespace)
    runner = FleetRunner(sim, publisher, FleetRunner.relays_for(fleet, bootstrap, namespace))
    projects = Projects(platform.processes["projects"].url, token)
    say(
        f"Fleet: {devices} simulated PCs of {TENANT} ({len(runner.relays)} agent managers), "
        f"reporting every {period} min; simulated weeks {w1} to {w4 - timedelta(days=1)}"
    )

    def progress(clock: datetime, beats: int) -> None:
        local = clock.astimezone(zone)
        if local.hour == 0:
            say(f"    {local:%a %d %b}  {beats:>9,} heartbeats sent")

    async def milestone(kind: str, when: datetime, enters: Stage | None = None, **extra: Any) -> None:
        """Post a milestone; with `enters`, also wait until every service has digested the stage
        change (policy keeps Viewer data and decides directives only once it knows the phase, so the
        simulated fleet must not move on before)."""
        result = await projects.milestone(
            PROJECT, {"kind": kind, "occurred_at": when.isoformat(), "event_id": f"{PROJECT}-{kind}", **extra}
        )
        event = result.get("event") or {}
        say(
            f"  {when.astimezone(zone):%a %d %b %H:%M}  {kind:<22} "
            f"-> {event.get('to_stage', '(already applied)')}"
        )
        if enters is not None:
            await wait_stage(bootstrap, namespace, PROJECT, enters, timeout_s)
            await wait_digested(bootstrap, namespace, timeout_s, say)

    await runner.start()
    try:
        say("Project")
        await projects.create(project_body(fleet, at(w1, 9), holidays))
        say(f"  {at(w1, 9):%a %d %b %H:%M}  project opened          -> kickoff")
        await runner.run_until(at(w1, 11))
        await milestone("kickoff_held", at(w1, 11))
        await runner.run_until(at(w1 + timedelta(days=1), 17))
        await milestone("package_configured", at(w1 + timedelta(days=1), 17))

        say("Deployment: agents enrol in three waves")
        waves = [
            range(0, devices * 4 // 10),
            range(devices * 4 // 10, devices * 8 // 10),
            range(devices * 8 // 10, devices),
        ]
        for k, wave in enumerate(waves):
            day = at(w1 + timedelta(days=2 + k), 9)
            await runner.run_until(day, on_step=progress)
            await runner.enrol(wave, at=day)
            say(f"    {day:%a %d %b}  {sum(runner.deployed):>5} agents deployed")
        await runner.run_until(at(w2), on_step=progress)
        await runner.flush()
        await wait_digested(bootstrap, namespace, timeout_s, say)
        await milestone("deployment_completed", at(w2), enters=Stage.viewer)
        durations["deployment"] = time.monotonic() - t0

        say("Viewer: one week of observation")
        await runner.run_until(at(w3), on_step=progress)
        await runner.flush()
        await wait_digested(bootstrap, namespace, timeout_s, say)
        await milestone("viewer_completed", at(w3), enters=Stage.recommendation)
        durations["viewer"] = time.monotonic() - t0

        say("Recommendation")
        recommendation = await wait_recommendation(bootstrap, namespace, PROJECT, timeout_s)
        chosen = next(
            c for c in recommendation.candidates if c.policy.policy_id == recommendation.recommended_policy_id
        )
        say(
            f"    recommended: {chosen.policy.name} - {chosen.saved_pct:.0f} % saved on Viewer data, "
            f"{chosen.disruptions_per_device_week:.2f} disruptions per PC-week"
        )
        approved_pcs = max(1, round(devices * SAVER_SHARE))
        await milestone(
            "policies_approved",
            at(w3),
            Stage.saver,
            recommendation_id=recommendation.recommendation_id,
            approved_policy=chosen.policy.model_dump(mode="json"),
            approved_pcs=approved_pcs,
        )
        say(f"    waiting for {approved_pcs} agents to receive the policy from their agent manager")
        await runner.wait_directives(lambda r: r.in_mode(DirectiveMode.saver) >= approved_pcs, timeout_s)
        durations["recommendation"] = time.monotonic() - t0

        say("Saver: one week with the policy enforced")
        await runner.run_until(at(w4), on_step=progress)
        await runner.flush()
        await wait_digested(bootstrap, namespace, timeout_s, say)
        await milestone("saver_completed", at(w4), enters=Stage.feedback)
        durations["saver"] = time.monotonic() - t0
    finally:
        await runner.stop()
        await projects.close()

    saver_devices = sorted(d for d, m in runner.modes.items() if m is DirectiveMode.saver)
    viewer_days = [w2 + timedelta(days=k) for k in range(7)]
    saver_days = [w3 + timedelta(days=k) for k in range(7)]
    report = await fetch_report(platform.processes["reporting"].url, token, PROJECT, timeout_s)
    truth = ground_truth(fleet, sim, viewer_days, saver_days, set(saver_devices), holidays)
    url = f"{platform.processes['reporting'].url}/dashboard#project={PROJECT}&token={token}"
    durations["total"] = time.monotonic() - t0
    return DemoResult(
        PROJECT,
        devices,
        saver_devices,
        {"viewer": [d.isoformat() for d in viewer_days], "saver": [d.isoformat() for d in saver_days]},
        report,
        truth,
        url,
        durations,
    )


async def fetch_report(url: str, token: str, project_id: str, timeout_s: float) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        deadline = time.monotonic() + timeout_s
        while True:
            response = await http.get(f"/v1/projects/{project_id}/report")
            if response.status_code == 200:
                return dict(response.json())
            if time.monotonic() > deadline:
                raise DemoError(f"no report from reporting ({response.status_code}): {response.text[:500]}")
            await asyncio.sleep(1)


def ground_truth(
    fleet: Fleet,
    sim: FleetSimulator,
    viewer_days: list[date],
    saver_days: list[date],
    saver_devices: set[str],
    holidays: set[date],
) -> dict[str, Any]:
    """The energy the simulated fleet really used (its states x veille_energy's default model)."""
    rows = sim.ground_truth()
    working = {d for d in viewer_days + saver_days if d.weekday() < 5 and d not in holidays}
    everyone = {d.device_id for d in fleet.devices}
    control = everyone - saver_devices
    out: dict[str, Any] = {}
    for phase, days in (("viewer", viewer_days), ("saver", saver_days)):
        all_ = totals(fleet, rows, days=set(days), working_days=working)
        out[phase] = {"kwh": all_.kwh, "device_days": all_.device_days}
        for group, members in (("saver_group", saver_devices), ("control_group", control)):
            t = totals(fleet, rows, days=set(days), devices=members, working_days=working)
            out[phase][group] = {
                f"{kind.value}/{'working' if w else 'non_working'}": {"kwh": kwh, "device_days": n}
                for (kind, w), (kwh, n) in sorted(t.by_cell.items())
            }
    return out


def reported_phase_kwh(report: dict[str, Any]) -> dict[str, float]:
    kwh: dict[str, float] = {}
    for point in report["savings"]["daily"]:
        kwh[point["phase"]] = kwh.get(point["phase"], 0.0) + point["kwh"]
    return kwh


def truth_savings_per_device_year(truth: dict[str, Any], report: dict[str, Any]) -> dict[str, float]:
    """Savings per PC-year of each kind from the simulator's truth, by the report's own method and
    day counts: per day type, the saver group's true kWh per device-day in Viewer minus in Saver
    (minus the control group's same difference for the control-group method), times that day
    type's days a year, summed over the day types the report measured."""
    s = report["savings"]
    days = {"working": s["working_days_per_year"], "non_working": s["non_working_days_per_year"]}

    def mean(phase: str, group: str, key: str) -> float | None:
        cell = truth[phase][group].get(key)
        return cell["kwh"] / cell["device_days"] if cell and cell["device_days"] else None

    out: dict[str, float] = {}
    for kind in s["kinds"]:
        total = 0.0
        for row in kind["day_types"]:
            if row["before_after_kwh_per_device_day"] is None:
                continue
            key = f"{kind['kind']}/{row['day_type']}"
            before, after = mean("viewer", "saver_group", key), mean("saver", "saver_group", key)
            if before is None or after is None:
                continue
            saved = before - after
            if s["method"] == "control_group":
                c_before, c_after = mean("viewer", "control_group", key), mean("saver", "control_group", key)
                if c_before is None or c_after is None:
                    continue
                saved -= c_before - c_after
            total += saved * days[row["day_type"]]
        out[kind["kind"]] = total
    return out


def print_report(result: DemoResult, say: Any) -> None:
    s = result.reported["savings"]
    reported = reported_phase_kwh(result.reported)
    say("")
    say("Savings report (reporting service)                     ground truth (simulator)")
    for phase in ("viewer", "saver"):
        truth = result.truth[phase]["kwh"]
        got = reported.get(phase, 0.0)
        gap = (got - truth) / truth if truth else 0.0
        line = f"  {phase:<7} week, all {result.devices} PCs: {got:10.1f} kWh"
        say(f"{line:<55}{truth:7.1f} kWh  ({gap:+.2%})")
    say(
        f"  method: {s['method']}; saver group {len(result.saver_devices)} PCs, control group "
        f"{result.devices - len(result.saver_devices)} PCs"
    )
    true_saved = truth_savings_per_device_year(result.truth, result.reported)
    for kind in s["kinds"]:
        pct = f"{kind['saved_pct']:.0%}" if kind["saved_pct"] is not None else "n/a"
        got = kind["saved_kwh_per_device_year"]
        line = f"  {kind['kind']:<12} {got:7.1f} kWh saved per PC-year ({pct})"
        truth = true_saved.get(kind["kind"])
        if truth is not None:
            gap = f"({(got - truth) / abs(truth):+.2%})" if truth else ""
            line = f"{line:<55}{truth:7.1f} kWh  {gap}"
        say(line)
    say(
        f"  measured PCs, per year: {s['measured']['kwh_rounded']} kWh, {s['measured']['cost_rounded']} "
        f"{s['currency']}, {s['measured']['co2_kg_rounded']} kg CO2"
    )
    say(
        f"  whole fleet ({s['fleet_devices']} PCs), per year: {s['fleet']['kwh_rounded']} kWh, "
        f"{s['fleet']['cost_rounded']} {s['currency']}, {s['fleet']['co2_kg_rounded']} kg CO2"
        + (f" ({s['saved_pct']:.0%} of its consumption)" if s.get("saved_pct") is not None else "")
    )
    for caveat in s.get("caveats", []):
        say(f"  caveat: {caveat['message']}")
    say("")
    say(f"Dashboard: {result.dashboard_url}")


# --- the command ------------------------------------------------------------------------------------


@demo_app.callback(invoke_without_command=True)
def demo(
    devices: Annotated[int, typer.Option(help="Simulated PCs in the POC.")] = 500,
    period: Annotated[int, typer.Option(help="Agents' reporting period, minutes (1-60).")] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the simulated fleet.")] = 1,
    exit_: Annotated[
        bool, typer.Option("--exit", help="Stop everything at the end (default: serve).")
    ] = False,
    free_ports: Annotated[bool, typer.Option(help="Services on free ports instead of 8101-8104.")] = False,
    summary_json: Annotated[Path | None, typer.Option(help="Also write the figures there (JSON).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each platform step.")] = 300.0,
    workdir: Annotated[
        Path | None, typer.Option(help="Stack data, logs, spool (default: VEILLE_HOME/demo).")
    ] = None,
) -> None:
    """Run a compressed POC on a simulated fleet and print the savings report (README: `make demo`)."""
    started = time.monotonic()
    say = typer.echo
    home = workdir or veille_home() / "demo"
    namespace = f"demo{uuid.uuid4().hex[:6]}"
    token = os.environ.get("VEILLE_OPERATOR_TOKEN") or f"vt_{secrets.token_urlsafe(32)}"
    stack = LocalStack(home / "stack", fresh=True)
    say("Starting Kafka and PostgreSQL...")
    info = stack.start()
    env = {
        **info.env(),
        "VEILLE_TOPIC_NAMESPACE": namespace,
        "VEILLE_DB_SCHEMA_SUFFIX": f"_{namespace}",
        "VEILLE_OPERATOR_TOKEN": token,
        "VEILLE_LOG_FORMAT": "console",
    }
    platform = Platform(env=env, log_dir=home / "logs", fixed_ports=not free_ports)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        say("Starting the services...")
        platform.start()
        for name, svc in platform.processes.items():
            say(f"  {name:<10} {svc.url}   log: {svc.log_path}")
        try:
            result = asyncio.run(
                run_poc(
                    platform,
                    info.kafka_bootstrap,
                    namespace,
                    token,
                    home,
                    devices=devices,
                    seed=seed,
                    period=period,
                    today=datetime.now(UTC).date(),
                    say=say,
                    timeout_s=timeout,
                )
            )
        except DemoError as exc:
            say(f"Demo stopped: {exc}", err=True)
            raise typer.Exit(1) from None
        print_report(result, say)
        say(
            f"Demo done in {time.monotonic() - started:.0f} s "
            f"(POC replay {result.durations_s['total']:.0f} s)."
        )
        if summary_json is not None:
            summary_json.write_text(json.dumps(result.__dict__, indent=2, default=str))
        if not exit_:
            say("The platform keeps running; Ctrl-C stops it.")
            while not stopping:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave servers behind
        say("Stopping...")
        platform.stop()
        stack.stop()
