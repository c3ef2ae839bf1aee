"""HTTP API of reporting: JSON, CSV export, the feedback report (HTML) and the dashboard page.

Every data route needs an API token (401 without); a customer reads only its own tenant's projects
(404 for another tenant's, so their existence is not revealed) and cannot change anything (403).
The dashboard page and its script hold no data: they are public, and the page calls the API with
the token the user gives (kept in the URL fragment, which browsers never send to the server).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from importlib import resources
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Query, Response
from veille_energy import EnergyModel
from veille_runtime.auth import CurrentPrincipal, ensure_read, ensure_write
from veille_runtime.service import ServiceRuntime

from ..service_layer.activity import Reporting
from ..service_layer.queries import ProjectReport, build_report, list_projects, tenant_of
from ..web.report_html import panels, render_report


class CsvTable(StrEnum):
    daily = "daily"
    kinds = "kinds"
    groups = "groups"
    never_sleeping = "never_sleeping"
    sleep_blockers = "sleep_blockers"


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def report_csv(report: ProjectReport, table: CsvTable) -> str:
    s = report.savings
    match table:
        case CsvTable.daily:
            return _csv(
                ["day", "phase", "group", "day_type", "devices", "kwh", "kwh_per_device"],
                [
                    [
                        d.day,
                        d.phase.value,
                        "saver" if d.saver_group else "control",
                        d.day_type or "excluded",
                        d.devices,
                        f"{d.kwh:.6f}",
                        f"{d.kwh_per_device:.6f}" if d.kwh_per_device is not None else "",
                    ]
                    for d in s.daily
                ],
            )
        case CsvTable.kinds:
            return _csv(
                [
                    "kind",
                    "devices",
                    "baseline_kwh_per_device_year",
                    "saved_kwh_per_device_year",
                    "saved_pct",
                    "measured_kwh",
                    "measured_cost",
                    "measured_co2_kg",
                    "fleet_devices",
                    "fleet_kwh",
                    "fleet_cost",
                    "fleet_co2_kg",
                ],
                [
                    [
                        k.kind.value,
                        k.devices,
                        f"{k.baseline_kwh_per_device_year:.3f}",
                        f"{k.saved_kwh_per_device_year:.3f}",
                        "" if k.saved_pct is None else f"{k.saved_pct:.4f}",
                        k.measured.kwh_rounded,
                        k.measured.cost_rounded,
                        k.measured.co2_kg_rounded,
                        k.fleet_devices,
                        k.fleet.kwh_rounded,
                        k.fleet.cost_rounded,
                        k.fleet.co2_kg_rounded,
                    ]
                    for k in s.kinds
                ]
                + [
                    [
                        "fleet",
                        s.measured_devices,
                        "",
                        f"{s.saved_kwh_per_device_year:.3f}",
                        "" if s.saved_pct is None else f"{s.saved_pct:.4f}",
                        s.measured.kwh_rounded,
                        s.measured.cost_rounded,
                        s.measured.co2_kg_rounded,
                        s.fleet_devices,
                        s.fleet.kwh_rounded,
                        s.fleet.cost_rounded,
                        s.fleet.co2_kg_rounded,
                    ]
                ],
            )
        case CsvTable.groups:
            return _csv(
                ["group", "devices", "saved_kwh_per_device_year", "saved_pct", "kwh", "cost", "co2_kg"],
                [
                    [
                        g.group,
                        g.devices,
                        f"{g.saved_kwh_per_device_year:.3f}",
                        "" if g.saved_pct is None else f"{g.saved_pct:.4f}",
                        g.measured.kwh_rounded,
                        g.measured.cost_rounded,
                        g.measured.co2_kg_rounded,
                    ]
                    for g in s.groups
                ],
            )
        case CsvTable.never_sleeping:
            ns = s.never_sleeping
            return _csv(
                ["device_id", "kind", "group", "days", "insomniac_days", "share", "top_process"],
                [
                    [
                        d.device_id,
                        d.kind.value,
                        d.group,
                        d.days,
                        d.insomniac_days,
                        f"{d.share:.4f}",
                        report.never_sleeping_top_process.get(d.device_id, ""),
                    ]
                    for d in (ns.devices if ns else [])
                ],
            )
        case CsvTable.sleep_blockers:
            b = s.sleep_blockers
            return _csv(
                ["process", "hours", "devices", "share", "allowed"],
                [
                    [p.process, f"{p.hours:.3f}", p.devices, f"{p.share:.4f}", p.allowed]
                    for p in (b.processes if b else [])
                ],
            )


def install_routes(api: FastAPI, runtime: ServiceRuntime, reporting: Callable[[], Reporting]) -> None:
    async def readable(project_id: str, principal: CurrentPrincipal) -> str:
        tenant = await tenant_of(runtime.pool, project_id)
        if tenant is None:
            raise HTTPException(404, detail="no such project")
        ensure_read(principal, tenant, what="project")
        return tenant

    async def load(project_id: str, principal: CurrentPrincipal) -> ProjectReport:
        await readable(project_id, principal)
        report = await build_report(runtime.pool, project_id)
        if report is None:
            raise HTTPException(404, detail="no such project")
        return report

    @api.get("/v1/projects", tags=["reports"])
    async def projects(principal: CurrentPrincipal) -> list[dict[str, Any]]:
        """Projects the caller may read (operators: all; customers: their tenant's)."""
        return await list_projects(runtime.pool, None if principal.is_operator else principal.tenant_id)

    @api.get("/v1/projects/{project_id}/report", tags=["reports"])
    async def report(project_id: str, principal: CurrentPrincipal) -> ProjectReport:
        """Everything the dashboard and the feedback report show, as JSON."""
        return await load(project_id, principal)

    @api.get("/v1/projects/{project_id}/report.csv", tags=["reports"], response_class=Response)
    async def report_as_csv(
        project_id: str, principal: CurrentPrincipal, table: CsvTable = CsvTable.kinds
    ) -> Response:
        """One table of the report as CSV (daily, kinds, groups, never_sleeping, sleep_blockers)."""
        data = report_csv(await load(project_id, principal), table)
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{project_id}-{table.value}.csv"'},
        )

    @api.get("/v1/projects/{project_id}/feedback.html", tags=["reports"], response_class=Response)
    async def feedback(project_id: str, principal: CurrentPrincipal) -> Response:
        """The feedback report ("bilan"): a standalone HTML page that prints well to PDF."""
        return Response(
            render_report(await load(project_id, principal)), media_type="text/html; charset=utf-8"
        )

    @api.get("/v1/projects/{project_id}/panels.html", tags=["reports"], response_class=Response)
    async def dashboard_panels(project_id: str, principal: CurrentPrincipal) -> Response:
        """The dashboard's panels (HTML with inline SVG charts), fetched by the dashboard page."""
        return Response(panels(await load(project_id, principal)), media_type="text/html; charset=utf-8")

    @api.get("/v1/projects/{project_id}/energy-model", tags=["settings"])
    async def get_energy_model(project_id: str, principal: CurrentPrincipal) -> EnergyModel:
        """The project's energy model: defaults per kind, overrides per kind and per hardware model."""
        await readable(project_id, principal)
        raw = await runtime.pool.fetchval(
            "SELECT energy_model FROM projects WHERE project_id = $1", project_id
        )
        return EnergyModel.model_validate_json(raw) if raw else EnergyModel()

    @api.put("/v1/projects/{project_id}/energy-model", tags=["settings"])
    async def put_energy_model(
        project_id: str, principal: CurrentPrincipal, model: Annotated[EnergyModel, Body()]
    ) -> EnergyModel:
        """Replace the project's energy model (operators only); every figure is recomputed."""
        ensure_write(principal, await readable(project_id, principal))
        await runtime.pool.execute(
            "UPDATE projects SET energy_model = $2::jsonb WHERE project_id = $1",
            project_id,
            model.model_dump_json(),
        )
        await reporting().refresh_project(project_id)
        return model

    @api.put("/v1/projects/{project_id}/abnormal-days", tags=["settings"])
    async def put_abnormal_days(
        project_id: str, principal: CurrentPrincipal, days: Annotated[list[date], Body(max_length=400)]
    ) -> list[date]:
        """Days left out of the baseline and the reporting period (strike, outage...); operators only."""
        ensure_write(principal, await readable(project_id, principal))
        await runtime.pool.execute(
            "UPDATE projects SET abnormal_days = $2 WHERE project_id = $1", project_id, sorted(set(days))
        )
        await reporting().refresh_project(project_id)
        return sorted(set(days))

    web = resources.files("veille_reporting.web")

    @api.get("/dashboard", tags=["dashboard"], response_class=Response, include_in_schema=False)
    async def dashboard(project: Annotated[str | None, Query()] = None) -> Response:
        return Response((web / "dashboard.html").read_text(), media_type="text/html; charset=utf-8")

    @api.get("/dashboard/assets/{name}", tags=["dashboard"], response_class=Response, include_in_schema=False)
    async def asset(name: str) -> Response:
        types = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
        if name not in types:
            raise HTTPException(404, detail="no such asset")
        return Response((web / name).read_text(), media_type=f"{types[name]}; charset=utf-8")
