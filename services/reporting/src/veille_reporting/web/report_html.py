"""The feedback report ("bilan") and the dashboard panels: HTML with inline SVG, no script, no CDN.

The same panels make the dashboard (fetched by its page with the user's token) and the standalone
report, whose print stylesheet makes `chromium --print-to-pdf` give a clean A4 PDF.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape
from importlib import resources

from ..domain.figures import Figures
from ..domain.savings import Phase
from ..service_layer.queries import ProjectReport
from . import svg

STAGE_NAMES = {
    "kickoff": "Kickoff",
    "package_configuration": "Package configuration",
    "deployment": "Deployment",
    "viewer": "Viewer",
    "recommendation": "Recommendation",
    "saver": "Saver",
    "feedback": "Feedback",
    "closed": "Closed",
}


def _n(value: Decimal | float | int, unit: str = "") -> str:
    text = f"{value:,}".replace(",", "\u202f")
    return f"{text}\u00a0{unit}" if unit else text


def _fig(f: Figures, currency: str) -> str:
    return (
        f'<span class="kwh">{_n(f.kwh_rounded, "kWh")}</span> · <span class="cost">{_n(f.cost_rounded, currency)}'
        f'</span> · <span class="co2">{_n(f.co2_kg_rounded, "kg CO₂")}</span>'
    )


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1%}"


def _table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _timeline(r: ProjectReport) -> str:
    transitions = [e for e in r.timeline if e.kind == "transition"]
    if not transitions:
        return "<p>No stage event yet.</p>"
    t0 = transitions[0].effective_at
    last = max(e.effective_at for e in r.timeline)
    bars = []
    overruns = {e.to_stage for e in r.timeline if e.kind == "overrun"}
    for i, e in enumerate(transitions):
        end: datetime = transitions[i + 1].effective_at if i + 1 < len(transitions) else last
        start_d = (e.effective_at - t0).total_seconds() / 86400
        length = (end - e.effective_at).total_seconds() / 86400
        bars.append((STAGE_NAMES.get(e.to_stage, e.to_stage), start_d, length, e.to_stage in overruns))
    total = (last - t0).total_seconds() / 86400
    rows = [
        [
            escape(STAGE_NAMES.get(e.to_stage, e.to_stage)) + (" (overrun)" if e.kind == "overrun" else ""),
            e.effective_at.strftime("%Y-%m-%d %H:%M UTC"),
            "–" if e.planned_days is None else f"{e.planned_days:g}",
            "–" if e.actual_days is None else f"{e.actual_days:.1f}",
            "yes" if e.overridden else "",
            escape(e.reason),
        ]
        for e in r.timeline
    ]
    return svg.timeline(bars, total_days=total) + _table(
        ["stage", "at", "planned days", "actual days (stage left)", "override", "reason"], rows, "small"
    )


def _deployment(r: ProjectReport) -> str:
    d = r.deployment
    pct = min(d.coverage, 1.0)
    kinds = ", ".join(f"{n} {escape(k)}s" for k, n in sorted(d.by_kind.items()))
    return (
        f'<div class="progress" data-coverage="{d.coverage:.4f}"><div style="width:{pct:.1%}"></div></div>'
        f"<p><b>{d.devices_in_scope}</b> devices in scope for <b>{d.selected_pcs}</b> PCs selected "
        f"({_pct(d.coverage)}); {kinds or 'no device yet'}. Saver group: {d.saver_group}, "
        f"control group: {d.control_group}.</p>"
    )


def _heatmap(r: ProjectReport) -> str:
    if not r.heatmap:
        return "<p>No activity in the Viewer or Saver phase yet.</p>"
    rows = []
    for h in r.heatmap:
        who = "saver" if h.saver_group else "control"
        rows.append((f"{h.phase.value} {who}: on", h.on))
        rows.append((f"{h.phase.value} {who}: in use", h.in_use))
    return (
        svg.heatmap(rows)
        + '<p class="note">Share of each local hour PCs were on / in use (mean per device-day).</p>'
    )


def _daily(r: ProjectReport) -> str:
    s = r.savings
    if not s.daily:
        return "<p>No day of the Viewer or Saver phase yet.</p>"
    days = sorted({d.day for d in s.daily})
    per = {(d.day, d.saver_group): d for d in s.daily}

    def series(saver: bool) -> list[float | None]:
        return [per[(day, saver)].kwh_per_device if (day, saver) in per else None for day in days]

    phase_of = {d.day: d.phase for d in s.daily}
    excluded = {d.day for d in s.daily if d.day_type is None}
    labels = [
        f"{day:%m-%d}{'' if phase_of[day] is Phase.viewer else '*'}{' (x)' if day in excluded else ''}"
        for day in days
    ]
    chart = svg.bars(
        [("saver group", series(True), svg.SAVER), ("control group", series(False), svg.CONTROL)],
        labels,
        unit="kWh per device per day",
        chart="daily",
    )
    return (
        chart
        + '<p class="note">Days marked * are in the Saver phase, the others in the Viewer phase; (x): holiday or abnormal day, drawn but left out of the savings.</p>'
    )


def _savings(r: ProjectReport) -> str:
    s, cur = r.savings, r.savings.currency
    method = (
        "control group (difference in differences)" if s.method.value == "control_group" else "before/after"
    )
    kpis = (
        f'<div class="kpis"><div class="kpi"><div class="label">Fleet, per year ({s.fleet_devices} PCs)</div>'
        f'<div class="value" id="kpi-fleet">{_fig(s.fleet, cur)}</div></div>'
        f'<div class="kpi"><div class="label">Measured PCs, per year ({s.measured_devices} PCs)</div>'
        f'<div class="value" id="kpi-measured">{_fig(s.measured, cur)}</div></div>'
        f'<div class="kpi"><div class="label">Saved per PC and year</div>'
        f'<div class="value">{s.saved_kwh_per_device_year:.1f} kWh ({_pct(s.saved_pct)})</div></div></div>'
    )
    rows = []
    for k in s.kinds:
        for dt in k.day_types:
            rows.append(
                [
                    k.kind.value,
                    dt.day_type.value.replace("_", "-"),
                    "–"
                    if dt.baseline_kwh_per_device_day is None
                    else f"{dt.baseline_kwh_per_device_day:.3f}",
                    "–"
                    if dt.reporting_kwh_per_device_day is None
                    else f"{dt.reporting_kwh_per_device_day:.3f}",
                    "–"
                    if dt.before_after_kwh_per_device_day is None
                    else f"{dt.before_after_kwh_per_device_day:.3f}",
                    "–"
                    if dt.control_adjusted_kwh_per_device_day is None
                    else f"{dt.control_adjusted_kwh_per_device_day:.3f}",
                ]
            )
    per_kind = _table(
        [
            "kind",
            "days",
            "Viewer kWh/PC/day",
            "Saver kWh/PC/day",
            "saved (before/after)",
            "saved (vs control)",
        ],
        rows,
        "small",
    )
    kinds = _table(
        ["kind", "measured PCs", "saved kWh/PC/year", "%", "measured", "fleet PCs", "fleet"],
        [
            [
                k.kind.value,
                str(k.devices),
                f"{k.saved_kwh_per_device_year:.1f}",
                _pct(k.saved_pct),
                _fig(k.measured, cur),
                str(k.fleet_devices),
                _fig(k.fleet, cur),
            ]
            for k in s.kinds
        ],
        "small",
    )
    caveats = "".join(
        f'<li class="caveat" data-code="{c.code.value}">{escape(c.message)}</li>' for c in s.caveats
    )
    return (
        kpis
        + f"<p>Method: <b>{method}</b>; tariff {s.kwh_cost:g} {cur}/kWh, {s.carbon_kg_per_kwh:g} kg CO₂/kWh; "
        f"{s.working_days_per_year:g} working and {s.non_working_days_per_year:g} non-working days a year.</p>"
        + per_kind
        + kinds
        + (f'<h3>Caveats</h3><ul class="caveats">{caveats}</ul>' if caveats else "")
    )


def _groups(r: ProjectReport) -> str:
    s = r.savings
    if not s.groups:
        return "<p>No group measured in both phases yet.</p>"
    return svg.hbars(
        [
            (
                g.group,
                g.saved_kwh_per_device_year,
                f"{g.saved_kwh_per_device_year:.1f} kWh/PC/yr · {g.devices} PCs",
            )
            for g in s.groups[:20]
        ],
        unit="kWh saved per PC and year",
        chart="groups",
    )


def _never_sleeping(r: ProjectReport) -> str:
    ns, b = r.savings.never_sleeping, r.savings.sleep_blockers
    out = []
    if ns is not None:
        out.append(
            f"<p><b>{ns.devices_never_sleeping}</b> of {ns.devices_observed} PCs observed in the Viewer phase "
            f"never slept on at least {ns.min_share:.0%} of their days ({_pct(ns.share_of_devices)}); "
            f"{_pct(ns.insomniac_day_share)} of all device-days were sleepless nights.</p>"
        )
        out.append(
            _table(
                ["device", "kind", "group", "sleepless days", "top process keeping it awake"],
                [
                    [
                        escape(d.device_id),
                        d.kind.value,
                        escape(d.group),
                        f"{d.insomniac_days}/{d.days}",
                        escape(r.never_sleeping_top_process.get(d.device_id, "–")),
                    ]
                    for d in ns.devices[:15]
                ],
                "small",
            )
        )
    if b is not None and b.processes:
        out.append(
            svg.hbars(
                [
                    (
                        p.process,
                        p.hours,
                        f"{p.hours:.1f} h · {p.devices} PCs{' (allowed)' if p.allowed else ''}",
                    )
                    for p in b.processes
                ],
                unit="hours held awake",
                chart="blockers",
            )
        )
    return "".join(out) or "<p>No data yet.</p>"


def _improvements(r: ProjectReport) -> str:
    imp, cur = r.savings.improvements, r.savings.currency
    if imp is None or not imp.kinds:
        return "<p>Known after the Saver phase.</p>"
    rows = [
        [
            k.kind.value,
            str(k.devices),
            _pct(k.share_nights_left_on),
            f"{k.idle_hours_per_device_night:.2f}",
            f"{k.saved_kwh_per_device_year:.1f}",
            _fig(k.fleet, cur),
        ]
        for k in imp.kinds
    ]
    return (
        f"<p>PCs of the saver group still left on at night: sleeping through those nights would save "
        f"<b>{_fig(imp.fleet, cur)}</b> a year over the fleet.</p>"
        + _table(
            ["kind", "PCs", "nights left on", "idle h/night", "kWh/PC/year", "fleet per year"], rows, "small"
        )
    )


def panels(r: ProjectReport) -> str:
    sections = [
        ("timeline", "Stage timeline", _timeline(r)),
        ("deployment", "Deployment coverage", _deployment(r)),
        ("savings", "Savings", _savings(r)),
        ("daily", "Daily consumption, Viewer vs Saver", _daily(r)),
        ("heatmap", "Hour-of-day activity (on / in use)", _heatmap(r)),
        ("never-sleeping", "PCs that never sleep and what keeps them awake", _never_sleeping(r)),
        ("groups", "Savings per group", _groups(r)),
        ("improvements", "Improvements left", _improvements(r)),
    ]
    return "".join(f'<section id="{sid}"><h2>{title}</h2>{body}</section>' for sid, title, body in sections)


def render_report(r: ProjectReport) -> str:
    css = resources.files("veille_reporting.web").joinpath("dashboard.css").read_text()
    p = r.project
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Feedback report – {escape(p.name)}</title><style>{css}</style></head>"
        f'<body class="report"><header><h1>Feedback report: {escape(p.name)}</h1>'
        f"<p>{escape(p.tenant_id)} · {p.project_type.value.upper()} · project {escape(p.project_id)} · "
        f"stage <b>{escape(STAGE_NAMES.get(r.stage, r.stage))}</b></p></header>"
        f"<main>{panels(r)}</main>"
        "<footer>Energy model: ENERGY STAR / BigFix / ConfigMgr public defaults unless overridden for the "
        "project; savings measured per device-day, working and non-working days apart, holidays and "
        "abnormal days excluded (IPMVP spirit).</footer></body></html>"
    )
