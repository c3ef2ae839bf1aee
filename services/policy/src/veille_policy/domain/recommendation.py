"""Recommend a policy: replay the Viewer data under candidates, keep the best trade-off.

Each candidate is scored on the energy it would have saved over the Viewer window and on the
disruption it would have caused (times a user came back to a PC the policy had put to sleep or
shut down, per device-week). The Pareto front holds the candidates no other beats on both. The
recommended one is the highest saving whose disruption fits the budget (default 0.5 per
device-week: one return to a sleeping PC every two weeks); if none fits, the least disruptive
candidate of the front.

Watts are not this module's business: the shared `veille_energy.EnergyModel` (the project's, with
its overrides) turns the replay's seconds per state into kWh, PC and external monitors. Screen-off
is not replayed (screen_off_s stays 0 on both sides), so monitor savings before sleep are not
claimed: the estimate errs low.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from veille_contracts.policy import (
    CandidateOutcome,
    NightShutdown,
    Policy,
    PowerTimeouts,
    Recommendation,
    WakeUp,
    WorkingSchedule,
)
from veille_energy import EnergyModel, StateDurations

from .fast_replay import TimelineArrays, replay_fast
from .replay import DeviceActivity, DeviceReplay, DeviceTimeline
from .validation import has_errors, validate_policy

DEFAULT_IDLE_TIMEOUTS_MIN: tuple[int, ...] = (5, 10, 15, 20, 30, 60)
DEFAULT_DISRUPTION_BUDGET = 0.5
NIGHT_SHUTDOWN_DELAY = timedelta(hours=1)
NIGHT_SHUTDOWN_IDLE_MIN = 30
WAKE_BEFORE_START_MIN = 15
DAYS_PER_YEAR = 365.0


def _shift(value: time, delta: timedelta) -> time:
    minutes = (value.hour * 60 + value.minute + int(delta.total_seconds() // 60)) % (24 * 60)
    return time(minutes // 60, minutes % 60)


def _screen_off_for(sleep_min: int) -> int:
    # The screen goes dark well before sleep so a user still there notices and moves the mouse.
    return max(1, min(10, sleep_min // 2))


def candidate_policies(
    project_id: str,
    schedule: WorkingSchedule,
    idle_timeouts_min: Sequence[int] = DEFAULT_IDLE_TIMEOUTS_MIN,
) -> list[Policy]:
    """The standard candidates: sleep after N min idle, alone and with night shutdown + wake-up.

    Night shutdown happens from schedule end + 1 h for PCs idle 30 min; wake-up 15 min before the
    start (left out if that would be the previous day). Candidates `validate_policy` finds an
    error in are dropped.

    Every candidate sets a daytime sleep timeout: a policy without one would switch the agents'
    own OS sleep off (null means never), a cost the replay cannot see in Viewer data, where a
    PC's OS timeout already put it to sleep.
    """
    night = NightShutdown(at=_shift(schedule.end, NIGHT_SHUTDOWN_DELAY), idle_min=NIGHT_SHUTDOWN_IDLE_MIN)
    start_minute = schedule.start.hour * 60 + schedule.start.minute
    wake = (
        WakeUp(minutes_before_start=WAKE_BEFORE_START_MIN) if start_minute >= WAKE_BEFORE_START_MIN else None
    )
    night_label = f"night shutdown from {night.at:%H:%M}" + (
        f", wake-up {WAKE_BEFORE_START_MIN} min before {schedule.start:%H:%M}" if wake else ""
    )
    drafts: list[dict[str, object]] = []
    for minutes in idle_timeouts_min:
        timeouts = PowerTimeouts(screen_off_min=_screen_off_for(minutes), sleep_min=minutes)
        drafts.append(
            {
                "policy_id": f"{project_id}:sleep-{minutes}m",
                "name": f"Sleep after {minutes} min idle",
                "ac": timeouts,
                "battery": timeouts,
                "schedule": schedule,
            }
        )
        drafts.append(
            {
                "policy_id": f"{project_id}:sleep-{minutes}m-night",
                "name": f"Sleep after {minutes} min idle, {night_label}",
                "ac": timeouts,
                "battery": timeouts,
                "schedule": schedule,
                "night_shutdown": night,
                "wake_up": wake,
            }
        )
    policies: list[Policy] = []
    for draft in drafts:
        try:
            policy = Policy.model_validate(draft, strict=False)
        except ValueError:
            # A schedule whose end + 1 h falls back inside working hours has no night candidate.
            continue
        if not has_errors(validate_policy(policy)):
            policies.append(policy)
    return policies


@dataclass(frozen=True, slots=True)
class CandidateScore:
    """A candidate's totals over the window, before they become a `CandidateOutcome`."""

    policy: Policy
    devices: int
    kwh_baseline: float
    kwh_with_policy: float
    disruptions: int
    window_days: float

    @property
    def kwh_saved(self) -> float:
        return self.kwh_baseline - self.kwh_with_policy

    @property
    def saved_pct(self) -> float:
        return 100.0 * self.kwh_saved / self.kwh_baseline if self.kwh_baseline > 0 else 0.0

    @property
    def kwh_saved_per_device_year(self) -> float:
        if self.devices == 0 or self.window_days <= 0:
            return 0.0
        return self.kwh_saved / self.devices / self.window_days * DAYS_PER_YEAR

    @property
    def disruptions_per_device_week(self) -> float:
        if self.devices == 0 or self.window_days <= 0:
            return 0.0
        return self.disruptions / self.devices / (self.window_days / 7.0)


def _kwh(energy_model: EnergyModel, device: DeviceReplay, seconds: StateDurations) -> float:
    return energy_model.kwh(
        seconds, device.kind, monitors=device.monitors, manufacturer=device.manufacturer, model=device.model
    ).total_kwh


def score(
    policy: Policy,
    timelines: Sequence[DeviceTimeline],
    energy_model: EnergyModel,
    window_days: float,
    arrays: Sequence[TimelineArrays] | None = None,
) -> tuple[CandidateScore, list[DeviceReplay]]:
    """Replay every device under `policy` and total the energy and disruptions.

    `arrays` (one per timeline, same order) saves rebuilding the compiled replay's input per candidate.
    """
    prepared = arrays if arrays is not None else [TimelineArrays.of(t) for t in timelines]
    replays = [replay_fast(t, policy, a) for t, a in zip(timelines, prepared, strict=True)]
    baseline = 0.0
    with_policy = 0.0
    for device in replays:
        baseline += _kwh(energy_model, device, device.baseline)
        with_policy += _kwh(energy_model, device, device.with_policy)
    disruptions = sum(r.disruptions for r in replays)
    devices = sum(1 for t in timelines if t.periods)
    return CandidateScore(policy, devices, baseline, with_policy, disruptions, window_days), replays


def pareto_front(scores: Sequence[CandidateScore]) -> list[bool]:
    """For each score, whether no other saves at least as much with at most as much disruption
    and is better on one of the two."""

    def dominates(a: CandidateScore, b: CandidateScore) -> bool:
        a_disruption, b_disruption = a.disruptions_per_device_week, b.disruptions_per_device_week
        no_worse = a.kwh_saved >= b.kwh_saved and a_disruption <= b_disruption
        better = a.kwh_saved > b.kwh_saved or a_disruption < b_disruption
        return no_worse and better

    return [not any(dominates(other, s) for other in scores if other is not s) for s in scores]


def choose(scores: Sequence[CandidateScore], budget: float = DEFAULT_DISRUPTION_BUDGET) -> int | None:
    """Index of the recommended score: the highest saving within the disruption budget (ties: less
    disruption, then the earlier candidate), else the least disruptive of the Pareto front."""
    if not scores:
        return None
    within = [i for i, s in enumerate(scores) if s.disruptions_per_device_week <= budget]
    if within:
        return min(within, key=lambda i: (-scores[i].kwh_saved, scores[i].disruptions_per_device_week, i))
    front = [i for i, on in enumerate(pareto_front(scores)) if on]
    return min(front, key=lambda i: (scores[i].disruptions_per_device_week, -scores[i].kwh_saved, i))


def _outcome(candidate: CandidateScore, on_front: bool) -> CandidateOutcome:
    # Unrounded, like veille_energy's kWh: rounding is for presentation only.
    return CandidateOutcome(
        policy=candidate.policy,
        devices=candidate.devices,
        kwh_baseline=candidate.kwh_baseline,
        kwh_with_policy=candidate.kwh_with_policy,
        kwh_saved=candidate.kwh_saved,
        saved_pct=candidate.saved_pct,
        kwh_saved_per_device_year=candidate.kwh_saved_per_device_year,
        disruptions_per_device_week=candidate.disruptions_per_device_week,
        on_pareto_front=on_front,
    )


def _in_window(device: DeviceActivity, start: datetime, end: datetime) -> DeviceActivity:
    periods = [p for p in device.periods if start <= p.period_start < end]
    return DeviceActivity(
        device.device_id, device.kind, device.monitors, periods, device.manufacturer, device.model
    )


def recommend(
    *,
    project_id: str,
    tenant_id: str,
    devices: Iterable[DeviceActivity],
    schedule: WorkingSchedule,
    energy_model: EnergyModel,
    window_start: datetime,
    window_end: datetime,
    computed_at: datetime,
    candidates: Sequence[Policy] | None = None,
    disruption_budget: float = DEFAULT_DISRUPTION_BUDGET,
    holidays: Iterable[date] = (),
) -> Recommendation:
    """Score the candidates (the standard ones by default) on the Viewer window and recommend one.

    Only periods starting in [window_start, window_end) count. Per-device-year and per-device-week
    figures divide by the devices that reported and by the window's calendar length, so days a PC
    was off and sent nothing count as days with nothing to save.
    """
    if window_end <= window_start:
        raise ValueError("window_end must be after window_start")
    days_off = tuple(holidays)
    policies = list(candidates) if candidates is not None else candidate_policies(project_id, schedule)
    timelines = [
        DeviceTimeline.build(_in_window(d, window_start, window_end), schedule, days_off) for d in devices
    ]
    timelines = [t for t in timelines if t.periods]
    window_days = (window_end - window_start) / timedelta(days=1)
    arrays = [TimelineArrays.of(t) for t in timelines]
    scored = [score(p, timelines, energy_model, window_days, arrays) for p in policies]
    scores = [s for s, _ in scored]
    front = pareto_front(scores)
    chosen = choose(scores, disruption_budget) if timelines else None
    outcomes = [_outcome(s, on) for s, on in zip(scores, front, strict=True)]
    device_days = len({(t.device_id, p.day) for t in timelines for p in t.periods})
    if chosen is None:
        rationale = "no Viewer activity in the window: nothing to recommend"
        recommended_id = None
    else:
        best = outcomes[chosen]
        recommended_id = best.policy.policy_id
        figures = (
            f"saves {best.kwh_saved:.1f} kWh ({best.saved_pct:.1f} %) over the Viewer window, "
            f"{best.kwh_saved_per_device_year:.0f} kWh per device-year, with "
            f"{best.disruptions_per_device_week:.2f} returns to a sleeping PC per device-week"
        )
        if best.disruptions_per_device_week <= disruption_budget:
            rationale = (
                f"{best.policy.name!r} {figures}: the largest saving within the disruption budget of "
                f"{disruption_budget:g} per device-week"
            )
        else:
            rationale = (
                f"no candidate stays within the disruption budget of {disruption_budget:g} per "
                f"device-week; {best.policy.name!r} is the least disruptive of the best trade-offs and "
                f"{figures}"
            )
    digest_source = json.dumps(
        {
            "window": [window_start.isoformat(), window_end.isoformat()],
            "budget": disruption_budget,
            "candidates": [o.model_dump(mode="json") for o in outcomes],
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(digest_source.encode()).hexdigest()[:16]
    return Recommendation(
        recommendation_id=f"{project_id}:recommendation:{digest}",
        project_id=project_id,
        tenant_id=tenant_id,
        computed_at=computed_at,
        window_start=window_start,
        window_end=window_end,
        devices=len(timelines),
        device_days=device_days,
        candidates=outcomes,
        recommended_policy_id=recommended_id,
        rationale=rationale,
    )
