"""The HTTP API of projects: projects, prerequisites, people, milestones, timeline, progress, tokens.

Every route needs an API token. Operators read and write every tenant; a customer's person reads
their own tenant's projects only (another tenant's project is a 404, as if it did not exist) and
writes nothing (403).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from veille_contracts import ApiToken, Milestone, StageChange, TokenRole
from veille_contracts.base import EventId, TenantId, UtcDatetime
from veille_contracts.projects import MilestoneKind, Stage
from veille_runtime.auth import CurrentPrincipal, Principal, ensure_read, ensure_write, require_operator

from ..adapters.documents import LaxPolicy, PersonDoc, PrerequisitesDoc, ProjectDoc, ProjectIn
from ..domain.lifecycle import GateVerdict, Refusal, RefusalCode, Transition
from ..domain.model import InvalidProject, PlannedStage, new_project
from ..service_layer.projects import Conflict, NotFound, Projects, new_event_id

# --- bodies ----------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MilestoneIn(_Body):
    kind: MilestoneKind
    occurred_at: UtcDatetime | None = Field(default=None, description="Event time; default: now.")
    event_id: EventId | None = Field(default=None, description="Idempotency key; default: a new id.")
    actor: str | None = Field(default=None, max_length=256, description="Default: the token's holder.")
    override_reason: str | None = Field(default=None, max_length=4000)
    recommendation_id: EventId | None = None
    approved_policy: LaxPolicy | None = None
    approved_pcs: int | None = Field(default=None, ge=1)
    note: str | None = Field(default=None, max_length=4000)


class PersonIn(PersonDoc):
    issue_token: bool = Field(default=False, description="Also issue a read-only customer token for them.")


class TokenIn(_Body):
    role: TokenRole
    tenant_id: TenantId | None = None
    name: str = Field(min_length=1, max_length=256)


class Problem(BaseModel):
    """Why a request was refused."""

    code: str
    detail: str
    problems: list[str] = Field(default_factory=list)
    gate: dict[str, Any] | None = None


class GateView(BaseModel):
    holds: bool
    explanation: str
    coverage: float | None = None
    qualifying_days: list[date] | None = None


class ProjectView(BaseModel):
    project: ProjectDoc
    current_gate: GateView | None


class MilestoneResult(BaseModel):
    applied: bool
    detail: str
    event: StageChange | None = None
    project: ProjectDoc | None = None


class PlannedView(BaseModel):
    stage: Stage
    start: date
    end: date


class TimelineView(BaseModel):
    project_id: str
    stage: Stage
    stage_entered_at: datetime
    event_time_now: datetime | None
    plan: list[PlannedView]
    events: list[StageChange]


class ProgressView(BaseModel):
    project_id: str
    stage: Stage
    selected_pcs: int
    enrolled_in_scope: int
    coverage: float
    threshold: float
    gate_holds: bool
    explanation: str
    daily_reporting: dict[date, int]


class PeopleView(BaseModel):
    people: list[PersonDoc]
    token: str | None = Field(default=None, description="The new customer token: shown once, never again.")


class IssuedTokenView(BaseModel):
    token: str = Field(description="Shown once: only its hash is kept.")
    record: ApiToken


# --- helpers ---------------------------------------------------------------------------------------

_REFUSAL_STATUS = {
    RefusalCode.unknown_project: status.HTTP_404_NOT_FOUND,
    RefusalCode.wrong_order: status.HTTP_409_CONFLICT,
    RefusalCode.gate_not_met: status.HTTP_409_CONFLICT,
    RefusalCode.invalid: 422,
}


def _gate_view(gate: GateVerdict | None) -> GateView | None:
    if gate is None:
        return None
    week = gate.representative
    return GateView(
        holds=gate.holds,
        explanation=gate.explanation,
        coverage=gate.coverage,
        qualifying_days=list(week.qualifying_days) if week is not None else None,
    )


def _problem(status_code: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = Problem(code=code, detail=detail, **extra)
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code)


def _invalid(exc: InvalidProject) -> JSONResponse:
    return _problem(422, "invalid", str(exc), problems=list(exc.problems))


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API token."},
    403: {"description": "Read-only (customer) or operators only."},
    404: {"model": Problem, "description": "No such project (or not visible to this token)."},
}


def get_projects(request: Request) -> Projects:
    """The service's use cases (set on the app at start)."""
    service: Projects = request.app.state.veille_projects
    return service


Svc = Annotated[Projects, Depends(get_projects)]
Operator = Annotated[Principal, Depends(require_operator)]


def build_router() -> APIRouter:
    router = APIRouter(responses=_RESPONSES)

    async def readable(svc: Projects, principal: Principal, project_id: str) -> Any:
        try:
            project = await svc.get(project_id)
        except NotFound:
            raise HTTPException(404, detail=f"no project {project_id!r}") from None
        ensure_read(principal, project.tenant_id, what=f"project {project_id!r}")
        return project

    async def writable(svc: Projects, principal: Principal, project_id: str) -> Any:
        project = await readable(svc, principal, project_id)
        ensure_write(principal, project.tenant_id)
        return project

    @router.post(
        "/projects",
        status_code=201,
        response_model=ProjectView,
        tags=["projects"],
        responses={409: {"model": Problem}, 422: {"model": Problem}},
    )
    async def create_project(body: ProjectIn, principal: Operator, svc: Svc) -> Any:
        """Open a project (operators): it enters kickoff and the opening stage event is published."""
        try:
            project = new_project(
                project_id=body.project_id,
                tenant_id=body.tenant_id,
                name=body.name,
                project_type=body.project_type,
                scope=body.scope,
                prerequisites=body.prerequisites.to_domain(),
                opened_at=body.opened_at or datetime.now(UTC),
                plan=body.plan.to_domain(),
                gates=body.gates.to_domain(),
            )
        except InvalidProject as exc:
            return _invalid(exc)
        try:
            opened = await svc.create_project(project, actor=principal.name)
        except Conflict as exc:
            return _problem(409, "exists", str(exc))
        return ProjectView(project=ProjectDoc.of(opened.project), current_gate=None)

    @router.get("/projects", response_model=list[ProjectDoc], tags=["projects"])
    async def list_projects(principal: CurrentPrincipal, svc: Svc) -> Any:
        """Every project (operators) or the caller's tenant's projects (customers)."""
        tenant = None if principal.is_operator else principal.tenant_id
        return [ProjectDoc.of(p) for p in await svc.list_projects(tenant)]

    @router.get("/projects/{project_id}", response_model=ProjectView, tags=["projects"])
    async def get_project(project_id: str, principal: CurrentPrincipal, svc: Svc) -> Any:
        project = await readable(svc, principal, project_id)
        return ProjectView(
            project=ProjectDoc.of(project), current_gate=_gate_view(await svc.current_gate(project))
        )

    @router.get("/projects/{project_id}/prerequisites", response_model=PrerequisitesDoc, tags=["projects"])
    async def get_prerequisites(project_id: str, principal: CurrentPrincipal, svc: Svc) -> Any:
        project = await readable(svc, principal, project_id)
        return PrerequisitesDoc.of(project.prerequisites)

    @router.put(
        "/projects/{project_id}/prerequisites",
        response_model=ProjectDoc,
        tags=["projects"],
        responses={409: {"model": Problem}, 422: {"model": Problem}},
    )
    async def put_prerequisites(
        project_id: str, body: PrerequisitesDoc, principal: CurrentPrincipal, svc: Svc
    ) -> Any:
        """Replace the prerequisites (kickoff and package configuration only)."""
        await writable(svc, principal, project_id)
        try:
            prerequisites = body.to_domain()
            return ProjectDoc.of(await svc.update_prerequisites(project_id, prerequisites))
        except InvalidProject as exc:
            return _invalid(exc)
        except Conflict as exc:
            return _problem(409, "not_editable", str(exc))

    @router.get("/projects/{project_id}/people", response_model=list[PersonDoc], tags=["people"])
    async def get_people(project_id: str, principal: CurrentPrincipal, svc: Svc) -> Any:
        project = await readable(svc, principal, project_id)
        return [PersonDoc.of(p) for p in project.prerequisites.people]

    @router.post(
        "/projects/{project_id}/people",
        status_code=201,
        response_model=PeopleView,
        tags=["people"],
        responses={409: {"model": Problem}, 422: {"model": Problem}},
    )
    async def add_person(project_id: str, body: PersonIn, principal: CurrentPrincipal, svc: Svc) -> Any:
        """Add someone who needs access; with issue_token, a read-only token for the project's tenant."""
        await writable(svc, principal, project_id)
        try:
            person = PersonDoc(**body.model_dump(exclude={"issue_token"})).to_domain()
            project, issued = await svc.add_person(project_id, person, issue_token=body.issue_token)
        except InvalidProject as exc:
            return _invalid(exc)
        except Conflict as exc:
            return _problem(409, "exists", str(exc))
        return PeopleView(
            people=[PersonDoc.of(p) for p in project.prerequisites.people],
            token=issued.token if issued else None,
        )

    @router.post(
        "/projects/{project_id}/milestones",
        response_model=MilestoneResult,
        status_code=201,
        tags=["milestones"],
        responses={
            200: {
                "model": MilestoneResult,
                "description": "Already applied (same id): no change.",
            },
            409: {"model": Problem, "description": "wrong_order or gate_not_met."},
            422: {"model": Problem, "description": "invalid milestone for this project."},
        },
    )
    async def post_milestone(
        project_id: str, body: MilestoneIn, principal: CurrentPrincipal, svc: Svc, response: Response
    ) -> Any:
        """Report a milestone: it moves the project on if the gate holds (or is overridden with a reason)."""
        await writable(svc, principal, project_id)
        try:
            milestone = Milestone(
                event_id=body.event_id or new_event_id(),
                project_id=project_id,
                kind=body.kind,
                occurred_at=body.occurred_at or datetime.now(UTC),
                actor=body.actor or principal.name,
                override_reason=body.override_reason,
                recommendation_id=body.recommendation_id,
                approved_policy=body.approved_policy,
                approved_pcs=body.approved_pcs,
                note=body.note,
            )
        except ValueError as exc:
            return _problem(422, "invalid", str(exc))
        result = await svc.apply(milestone)
        if isinstance(result, Transition):
            return MilestoneResult(
                applied=True,
                detail=result.reason,
                event=result.stage_change(),
                project=ProjectDoc.of(result.project),
            )
        if isinstance(result, Refusal) and result.is_noop:
            response.status_code = 200
            return MilestoneResult(applied=False, detail=result.message)
        gate = _gate_view(result.gate)
        return _problem(
            _REFUSAL_STATUS[result.code],
            result.code.value,
            result.message,
            gate=gate.model_dump(mode="json") if gate else None,
        )

    @router.get("/projects/{project_id}/timeline", response_model=TimelineView, tags=["projects"])
    async def timeline(project_id: str, principal: CurrentPrincipal, svc: Svc) -> Any:
        """The stage events so far (transitions and overruns) and the plan proposed at kickoff."""
        await readable(svc, principal, project_id)
        project, events, now = await svc.timeline(project_id)
        opened = events[0].effective_at if events else project.stage_entered_at
        plan: tuple[PlannedStage, ...] = project.plan.dates_from(opened.date())
        return TimelineView(
            project_id=project.project_id,
            stage=project.stage,
            stage_entered_at=project.stage_entered_at,
            event_time_now=now,
            plan=[PlannedView(stage=p.stage, start=p.start, end=p.end) for p in plan],
            events=events,
        )

    @router.get("/projects/{project_id}/deployment", response_model=ProgressView, tags=["projects"])
    async def deployment(project_id: str, principal: CurrentPrincipal, svc: Svc) -> Any:
        """Deployment progress: enrolled devices in scope / selected PCs, and daily reporting of the stage."""
        await readable(svc, principal, project_id)
        p = await svc.progress(project_id)
        return ProgressView(**dataclasses.asdict(p))

    # --- tokens (operators) ----------------------------------------------------------------------

    @router.post(
        "/tokens",
        status_code=201,
        response_model=IssuedTokenView,
        tags=["tokens"],
        responses={422: {"model": Problem}},
    )
    async def issue_token(body: TokenIn, principal: Operator, svc: Svc) -> Any:
        """Issue an API token (shown once). Customer tokens need a tenant; operator tokens have none."""
        if (body.role is TokenRole.customer) != (body.tenant_id is not None):
            return _problem(422, "invalid", "a customer token needs a tenant_id; an operator token has none")
        issued = await svc.issue_token(body.role, body.tenant_id, body.name)
        return IssuedTokenView(token=issued.token, record=issued.record)

    @router.get("/tokens", response_model=list[ApiToken], tags=["tokens"])
    async def list_tokens(principal: Operator, svc: Svc) -> Any:
        return await svc.list_tokens()

    @router.delete("/tokens/{token_id}", response_model=ApiToken, tags=["tokens"])
    async def revoke_token(token_id: str, principal: Operator, svc: Svc) -> Any:
        """Revoke a token everywhere (the revocation travels on veille.auth.tokens.v1)."""
        try:
            return await svc.revoke_token(token_id)
        except NotFound:
            raise HTTPException(404, detail=f"no token {token_id!r}") from None

    return router
