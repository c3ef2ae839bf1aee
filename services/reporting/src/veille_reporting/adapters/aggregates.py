"""Per-project aggregates, recomputed from the device-days for the devices or days touched.

Each refresh deletes then re-inserts the rows it owns, so it is idempotent: running it twice, or
after a replay, gives the same rows. Called in the transaction that changed its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg
from veille_contracts.agent import DeviceKind
from veille_contracts.scope import ScopeMatcher

from ..domain.buckets import HOURS
from ..domain.context import ProjectContext
from ..domain.insights import DEFAULT_MIN_ON_AT_NIGHT_S, DEFAULT_NEVER_SLEEP_SHARE
from ..domain.savings import DEFAULT_MIN_DAYS_PER_PHASE, Phase

# Fixed when aggregating (a change means a full refresh): the savings' and the insights' defaults.
MIN_DAYS_PER_PHASE = DEFAULT_MIN_DAYS_PER_PHASE
NEVER_SLEEP_SHARE = DEFAULT_NEVER_SLEEP_SHARE


async def refresh_project_devices(
    conn: asyncpg.Connection, ctx: ProjectContext, devices: Sequence[str] | None = None
) -> None:
    """The project's devices (its scope matched against the registry) with their resolved watts."""
    p = ctx.project
    matcher = ScopeMatcher.of(p.scope)
    rows = await conn.fetch(
        """SELECT d.device_id, d.tenant_id, d.kind, d.group_path, d.monitors, d.manufacturer, d.model,
                  coalesce(x.saver, false) AS saver
           FROM devices d LEFT JOIN directives x ON x.project_id = $1 AND x.device_id = d.device_id
           WHERE d.tenant_id = $2 AND ($3::text[] IS NULL OR d.device_id = ANY($3))""",
        p.project_id,
        p.scope.tenant_id,
        list(devices) if devices is not None else None,
    )
    await conn.execute(
        "DELETE FROM project_devices WHERE project_id = $1 AND ($2::text[] IS NULL OR device_id = ANY($2))",
        p.project_id,
        list(devices) if devices is not None else None,
    )
    cache: dict[tuple[str, str | None, str | None], tuple[float, float, float, float]] = {}
    out: list[tuple[object, ...]] = []
    mon = ctx.model.monitor
    for r in rows:
        if not matcher.matches(_Facts(r["tenant_id"], r["device_id"], r["group_path"])):
            continue
        key = (r["kind"], r["manufacturer"], r["model"])
        watts = cache.get(key)
        if watts is None:
            prof = ctx.model.profile_for(DeviceKind(r["kind"]), r["manufacturer"], r["model"])
            watts = cache[key] = (prof.active_w, prof.idle_w, prof.asleep_w, prof.off_w)
        out.append((r["device_id"], r["kind"], r["group_path"], r["saver"], r["monitors"], *watts))
    if out:
        cols = list(zip(*out, strict=True))
        await conn.execute(
            """INSERT INTO project_devices
               SELECT $1, u.*, $11, $12, $13 FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[],
                   $6::int[], $7::float8[], $8::float8[], $9::float8[], $10::float8[]) AS u""",
            p.project_id,
            *[list(c) for c in cols],
            mon.on_w,
            mon.sleep_w,
            mon.off_w,
        )


class _Facts:
    __slots__ = ("device_id", "group_path", "tenant_id")

    def __init__(self, tenant_id: str, device_id: str, group_path: str) -> None:
        self.tenant_id, self.device_id, self.group_path = tenant_id, device_id, group_path


def _window_params(ctx: ProjectContext) -> list[object]:
    v, s = ctx.windows.get(Phase.viewer), ctx.windows.get(Phase.saver)
    return [v.first if v else None, v.last if v else None, s.first if s else None, s.last if s else None]


# Device-days of the project in a phase, with kWh (the same arithmetic as veille_energy: states of
# the local day from the summed counters, off = the day's real length - on - asleep, watts x seconds).
# A device counts on every day of a phase from its first reported day up to the tenant's latest
# reported day in the zone (zone_watermarks): a day it sent nothing for, while the rest of the fleet
# reported, it was off (agents do not report while the PC is off), so that device-day counts, fully
# off, like the off part of a reported day. Left out, it would drop the off consumption and bias the
# per-device-day means towards the PCs that happened to be on (weekends, absences).
_PHASED = """
WITH span AS (
    SELECT pd.*, f.first_day,
           least(w.last_day, CASE WHEN $5::date IS NOT NULL THEN coalesce($6::date, w.last_day)
                                  ELSE coalesce($4::date, w.last_day) END) AS last_day
    FROM project_devices pd
    JOIN projects p ON p.project_id = pd.project_id
    JOIN zone_watermarks w ON w.tenant_id = p.tenant_id AND w.zone = $2
    CROSS JOIN LATERAL (SELECT min(x.day) AS first_day FROM device_days x
                        WHERE x.zone = $2 AND x.device_id = pd.device_id) f
    WHERE pd.project_id = $1 AND f.first_day IS NOT NULL AND coalesce($3::date, $5::date) IS NOT NULL
          {device_filter}
), dd AS (
    SELECT s.*, g.day, coalesce(d.seconds_on, 0) AS seconds_on,
           coalesce(d.seconds_active, 0) AS seconds_active,
           coalesce(d.seconds_asleep, 0) AS seconds_asleep,
           coalesce(d.on_by_hour, array_fill(0::float8, ARRAY[24])) AS on_by_hour,
           coalesce(d.active_by_hour, array_fill(0::float8, ARRAY[24])) AS active_by_hour,
           CASE WHEN g.day >= $3 AND g.day <= coalesce($4, 'infinity'::date) THEN 'viewer'
                WHEN g.day >= $5 AND g.day <= coalesce($6, 'infinity'::date) THEN 'saver' END AS phase,
           (extract(isodow FROM g.day)::int - 1) = ANY($7::int[]) AS working,
           g.day = ANY($8::date[]) AS excluded,
           extract(epoch FROM ((g.day + 1)::timestamp AT TIME ZONE $2) - (g.day::timestamp AT TIME ZONE $2))
               AS day_len
    FROM span s
    CROSS JOIN LATERAL (
        SELECT t::date AS day
        FROM generate_series(greatest(s.first_day, coalesce($3::date, $5::date)), s.last_day,
                             interval '1 day') t
    ) g
    LEFT JOIN device_days d ON d.zone = $2 AND d.device_id = s.device_id AND d.day = g.day
    WHERE TRUE {day_filter}
), e AS (
    SELECT *, (act * active_w + (seconds_on - act) * idle_w + seconds_asleep * asleep_w + off * off_w
               + monitors * (seconds_on * mon_on_w + seconds_asleep * mon_sleep_w + off * mon_off_w))
              / 3600000.0 AS kwh
    FROM (SELECT *, least(seconds_active, seconds_on) AS act,
                 greatest(0, day_len - seconds_on - seconds_asleep) AS off
          FROM dd WHERE phase IS NOT NULL) k
)
"""


_CELL_KEY = "project_id, phase, saver_group, kind, group_path, enough, never"
_CELL_SUMS = (
    "devices",
    "w_devices",
    "w_days",
    "w_kwh",
    "n_devices",
    "n_days",
    "n_kwh",
    "insomniac_days",
    "nights_left_on",
    "night_idle_s",
)


def _cells_delta(source: str, sign: str) -> str:
    """Add (sign "") or subtract (sign "-") the per-device rows of `source` into project_cells."""
    days = "(working_days + non_working_days)"
    enough = f"{days} >= {MIN_DAYS_PER_PHASE}"
    updates = ", ".join(f"{c} = project_cells.{c} + EXCLUDED.{c}" for c in _CELL_SUMS)
    return f"""
    INSERT INTO project_cells
    SELECT project_id, phase, saver_group, kind, group_path, {enough},
           {enough} AND insomniac_days >= {NEVER_SLEEP_SHARE!r} * {days},
           {sign}count(*), {sign}count(*) FILTER (WHERE working_days > 0), {sign}sum(working_days),
           {sign}sum(working_kwh), {sign}count(*) FILTER (WHERE non_working_days > 0),
           {sign}sum(non_working_days), {sign}sum(non_working_kwh), {sign}sum(insomniac_days),
           {sign}sum(nights_left_on), {sign}sum(night_idle_s)
    FROM {source} GROUP BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT ({_CELL_KEY}) DO UPDATE SET {updates}"""


def _blockers_delta(source: str, sign: str) -> str:
    return f"""
    INSERT INTO project_blocker_totals
    SELECT project_id, phase, process, {sign}sum(seconds), {sign}count(*) FROM {source} GROUP BY 1, 2, 3
    ON CONFLICT (project_id, phase, process) DO UPDATE SET
        seconds = project_blocker_totals.seconds + EXCLUDED.seconds,
        devices = project_blocker_totals.devices + EXCLUDED.devices"""


async def refresh_device_phases(
    conn: asyncpg.Connection, ctx: ProjectContext, devices: Sequence[str] | None = None
) -> None:
    """Counted days and kWh per day type, sleep and night figures, per device and phase; and, by
    delta, the project's cells (per kind, group, phase, group of the experiment) and blocker totals."""
    pid = ctx.project.project_id
    devs = list(devices) if devices is not None else None
    if devs is None:
        for table in ("project_cells", "project_blocker_totals", "project_device_phases", "project_blockers"):
            await conn.execute(f"DELETE FROM {table} WHERE project_id = $1", pid)
    else:
        await conn.execute(
            "WITH old AS (DELETE FROM project_device_phases WHERE project_id = $1 AND device_id = ANY($2) "
            "RETURNING *)" + _cells_delta("old", "-"),
            pid,
            devs,
        )
        await conn.execute(
            "WITH old AS (DELETE FROM project_blockers WHERE project_id = $1 AND device_id = ANY($2) "
            "RETURNING *)" + _blockers_delta("old", "-"),
            pid,
            devs,
        )
    params = [
        pid,
        ctx.zone,
        *_window_params(ctx),
        sorted(ctx.calendar.working_weekdays),
        sorted(ctx.calendar.excluded),
    ]
    device_filter = "AND ($9::text[] IS NULL OR pd.device_id = ANY($9))"
    night_sum = " + ".join(f"on_by_hour[{h + 1}] * {w!r}" for h, w in enumerate(ctx.night) if w) or "0"
    night_active_sum = (
        " + ".join(f"active_by_hour[{h + 1}] * {w!r}" for h, w in enumerate(ctx.night) if w) or "0"
    )
    await conn.execute(
        _PHASED.format(device_filter=device_filter, day_filter="")
        + f"""
        , n AS (SELECT *, ({night_sum}) AS night_on, ({night_active_sum}) AS night_active
                FROM e WHERE NOT excluded)
        , ins AS (
            INSERT INTO project_device_phases
            SELECT $1, device_id, phase, kind, group_path, saver_group,
                   count(*) FILTER (WHERE working), coalesce(sum(kwh) FILTER (WHERE working), 0),
                   count(*) FILTER (WHERE NOT working), coalesce(sum(kwh) FILTER (WHERE NOT working), 0),
                   count(*) FILTER (WHERE seconds_asleep <= 0 AND night_on >= $10),
                   count(*) FILTER (WHERE night_on >= $10),
                   coalesce(sum(greatest(0, night_on - night_active)), 0)
            FROM n GROUP BY device_id, phase, kind, group_path, saver_group
            RETURNING *)"""
        + _cells_delta("ins", ""),
        *params,
        devs,
        DEFAULT_MIN_ON_AT_NIGHT_S,
    )
    await conn.execute(
        """WITH ins AS (
           INSERT INTO project_blockers
           SELECT $1, CASE WHEN b.day >= $3 AND b.day <= coalesce($4, 'infinity'::date) THEN 'viewer'
                           ELSE 'saver' END AS phase, b.device_id, b.process, sum(b.seconds)
           FROM project_devices pd JOIN device_day_blockers b ON b.zone = $2 AND b.device_id = pd.device_id
           WHERE pd.project_id = $1 AND ($9::text[] IS NULL OR pd.device_id = ANY($9))
             AND NOT (b.day = ANY($8::date[])) AND $7::int[] IS NOT NULL
             AND ((b.day >= $3 AND b.day <= coalesce($4, 'infinity'::date))
                  OR (b.day >= $5 AND b.day <= coalesce($6, 'infinity'::date)))
           GROUP BY 2, b.device_id, b.process
           RETURNING *)"""
        + _blockers_delta("ins", ""),
        *params,
        devs,
    )


async def refresh_project_days(
    conn: asyncpg.Connection, ctx: ProjectContext, days: Sequence[date] | None = None
) -> None:
    """Devices, kWh and hour-of-day on / in use per phase day and group (saver or control)."""
    pid = ctx.project.project_id
    day_list = sorted(set(days)) if days is not None else None
    await conn.execute(
        "DELETE FROM project_days WHERE project_id = $1 AND ($2::date[] IS NULL OR day = ANY($2))",
        pid,
        day_list,
    )
    params = [
        pid,
        ctx.zone,
        *_window_params(ctx),
        sorted(ctx.calendar.working_weekdays),
        sorted(ctx.calendar.excluded),
    ]
    on = ", ".join(f"sum(on_by_hour[{h}])" for h in range(1, HOURS + 1))
    active = ", ".join(f"sum(active_by_hour[{h}])" for h in range(1, HOURS + 1))
    await conn.execute(
        _PHASED.format(device_filter="", day_filter="AND ($9::date[] IS NULL OR g.day = ANY($9))")
        + f"""
        INSERT INTO project_days
        SELECT $1, day, saver_group, phase,
               CASE WHEN excluded THEN NULL WHEN working THEN 'working' ELSE 'non_working' END,
               count(*), sum(kwh), ARRAY[{on}], ARRAY[{active}]
        FROM e GROUP BY day, saver_group, phase, working, excluded""",
        *params,
        day_list,
    )


async def refresh_all(conn: asyncpg.Connection, ctx: ProjectContext) -> None:
    await refresh_project_devices(conn, ctx)
    await refresh_device_phases(conn, ctx)
    await refresh_project_days(conn, ctx)
