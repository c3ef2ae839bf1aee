"""Which directive each device of a project should have, given the project's stage.

- `viewer`: every device in scope observes only (Viewer mode).
- `saver`: the approved policy goes to `approved_pcs` devices chosen by a stratified, reproducible
  draw; every other device stays in Viewer as the control group.
- any other stage decides nothing: devices keep the directive they last received (the agents
  stay in Viewer through deployment and recommendation, and in the mode of the Saver phase
  through feedback until an operator moves them).

A device that enrols while the project is in `saver` joins the control group (`directive_for`
with the selection made when the stage began). Re-drawing would move devices that already
enforce the policy back to Viewer, and the Viewer-vs-Saver comparison of the reporting service
would then compare shifting groups. The service layer therefore stores the selection made at the
stage change and passes it for late devices, instead of calling `select_saver_devices` again.

Exempt devices (in a group of `policy.exceptions.exempt_groups`) are never drawn: the policy
does not apply to them, so giving them its directive would count them as treated while they
behave as untreated. They stay in Viewer with a reason that says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from veille_contracts.agent import DeviceKind
from veille_contracts.policy import Directive, DirectiveMode, Policy
from veille_contracts.projects import Stage, StageChange

from .groups import group_contains, normalise_group
from .validation import policy_version

VIEWER_VERSION = "viewer"
DIRECTIVE_ID_MAX = 200


@dataclass(frozen=True, slots=True)
class ScopeMember:
    """A device in the project's scope, with the facts the stratified draw needs."""

    device_id: str
    kind: DeviceKind
    group_path: str


@dataclass(frozen=True, slots=True)
class StageContext:
    """The project facts a directive depends on, as of one stage change (event time)."""

    project_id: str
    tenant_id: str
    stage: Stage
    stage_seq: int
    effective_at: datetime
    approved_policy: Policy | None = None
    approved_pcs: int | None = None

    @classmethod
    def of(cls, change: StageChange) -> StageContext:
        return cls(
            project_id=change.project_id,
            tenant_id=change.tenant_id,
            stage=change.to_stage,
            stage_seq=change.seq,
            effective_at=change.effective_at,
            approved_policy=change.project.approved_policy,
            approved_pcs=change.project.approved_pcs,
        )


class MissingApprovedPolicyError(ValueError):
    """A project in `saver` without an approved policy: nothing to enforce."""


Stratum = tuple[DeviceKind, str]


def stratum_of(member: ScopeMember) -> Stratum:
    return (member.kind, normalise_group(member.group_path))


def _draw_rank(project_id: str, key: str) -> str:
    # A hash seeded by the project id orders devices (and breaks ties between strata) the same way
    # in every process and on every replay, independently of the order the registry delivered them.
    return hashlib.sha256(f"{project_id}\x00{key}".encode()).hexdigest()


K = TypeVar("K")


def _hamilton(project_id: str, sizes: Mapping[K, int], count: int, label: Callable[[K], str]) -> dict[K, int]:
    """`count` seats shared in proportion to `sizes` by largest remainder; ties by the seeded hash."""
    total = sum(sizes.values())
    count = max(0, min(count, total))
    if total == 0:
        return {s: 0 for s in sizes}
    quotas = {s: count * size // total for s, size in sizes.items()}
    remainders = {s: count * size % total for s, size in sizes.items()}
    left = count - sum(quotas.values())
    by_remainder = sorted(sizes, key=lambda s: (-remainders[s], _draw_rank(project_id, label(s))))
    for stratum in by_remainder[:left]:
        quotas[stratum] += 1
    return quotas


def stratum_quotas(project_id: str, sizes: Mapping[Stratum, int], count: int) -> dict[Stratum, int]:
    """How many of `count` devices each stratum gets: proportional, by largest remainder (Hamilton),
    first between device kinds, then between the groups of each kind.

    Each share first gets floor(count * size / total); the devices left over go one each to the
    shares with the largest remainders, ties broken by the seeded hash of the stratum. Kinds first,
    so that each kind keeps its share of the control group: a kind spread over many small groups
    (a few workstations, one per team) would otherwise win every leftover seat, leave no PC of
    that kind in the control group, and the control-group (difference-in-differences) savings
    could not be measured for it. Exact integer arithmetic: the quotas add up to min(count, total).
    """
    kinds: dict[DeviceKind, int] = {}
    for (kind, _), size in sizes.items():
        kinds[kind] = kinds.get(kind, 0) + size
    per_kind = _hamilton(project_id, kinds, count, lambda k: k.value)
    quotas: dict[Stratum, int] = {}
    for kind, seats in per_kind.items():
        groups = {s: size for s, size in sizes.items() if s[0] is kind}
        quotas.update(_hamilton(project_id, groups, seats, lambda s: f"{s[0].value}\x00{s[1]}"))
    return quotas


def is_exempt(member: ScopeMember, policy: Policy) -> bool:
    return any(group_contains(g, member.group_path) for g in policy.exceptions.exempt_groups)


def select_saver_devices(
    project_id: str, members: Iterable[ScopeMember], count: int | None, policy: Policy
) -> frozenset[str]:
    """The device ids that get the approved policy: `count` (None: all) eligible devices, stratified.

    Strata are (kind, group path); within a stratum, devices are taken in the order of a hash
    seeded by the project id, so the draw is reproducible and does not depend on input order.
    """
    unique = {m.device_id: m for m in members}
    eligible = [m for m in unique.values() if not is_exempt(m, policy)]
    by_stratum: dict[Stratum, list[ScopeMember]] = {}
    for member in eligible:
        by_stratum.setdefault(stratum_of(member), []).append(member)
    wanted = len(eligible) if count is None else count
    quotas = stratum_quotas(project_id, {s: len(ms) for s, ms in by_stratum.items()}, wanted)
    selected: set[str] = set()
    for stratum, stratum_members in by_stratum.items():
        ranked = sorted(stratum_members, key=lambda m: (_draw_rank(project_id, m.device_id), m.device_id))
        selected.update(m.device_id for m in ranked[: quotas[stratum]])
    return frozenset(selected)


def directive_id(project_id: str, stage_seq: int, device_id: str, version: str) -> str:
    """Stable id of one decision: the same project, stage event, device and version give the same id."""
    candidate = f"{project_id}:{stage_seq}:{device_id}:{version}"
    if len(candidate) <= DIRECTIVE_ID_MAX:
        return candidate
    # Only very long device ids get here (ids may be 128 chars); a digest keeps the id unique
    # and stable while fitting the contract's 200 chars.
    digest = hashlib.sha256(device_id.encode()).hexdigest()[:32]
    return f"{project_id}:{stage_seq}:{digest}:{version}"


def directive_for(
    context: StageContext, member: ScopeMember, saver_devices: frozenset[str]
) -> Directive | None:
    """The directive of one device in the project's current stage (None: the stage decides nothing).

    `saver_devices` is the selection made when the `saver` stage began; a device not in it,
    including one that enrolled later, stays in Viewer as part of the control group.
    """
    if context.stage is Stage.viewer:
        return _viewer(context, member, f"project {context.project_id} is in Viewer: observe only")
    if context.stage is not Stage.saver:
        return None
    policy = context.approved_policy
    if policy is None:
        raise MissingApprovedPolicyError(
            f"project {context.project_id} entered saver without an approved policy"
        )
    if member.device_id in saver_devices:
        version = policy_version(policy)
        return Directive(
            directive_id=directive_id(context.project_id, context.stage_seq, member.device_id, version),
            tenant_id=context.tenant_id,
            device_id=member.device_id,
            project_id=context.project_id,
            mode=DirectiveMode.saver,
            policy=policy,
            version=version,
            reason=(
                f"project {context.project_id} is in Saver: enforce policy {policy.name!r} "
                f"({policy.policy_id})"
            ),
            issued_at=context.effective_at,
        )
    if is_exempt(member, policy):
        return _viewer(
            context,
            member,
            f"project {context.project_id} is in Saver; group {member.group_path!r} is exempt from "
            f"policy {policy.policy_id}: observe only",
        )
    return _viewer(
        context,
        member,
        f"project {context.project_id} is in Saver; this device is in the control group: observe only",
    )


def decide_directives(context: StageContext, members: Iterable[ScopeMember]) -> list[Directive]:
    """The directive of every device in scope at a stage change, sorted by device id.

    Empty for stages other than `viewer` and `saver`. For `saver`, the selection is drawn here; the
    service layer keeps `select_saver_devices`' result for devices that enrol later.
    """
    unique = sorted({m.device_id: m for m in members}.values(), key=lambda m: m.device_id)
    if context.stage not in (Stage.viewer, Stage.saver):
        return []
    selected: frozenset[str] = frozenset()
    if context.stage is Stage.saver:
        if context.approved_policy is None:
            raise MissingApprovedPolicyError(
                f"project {context.project_id} entered saver without an approved policy"
            )
        selected = select_saver_devices(
            context.project_id, unique, context.approved_pcs, context.approved_policy
        )
    directives = [directive_for(context, m, selected) for m in unique]
    return [d for d in directives if d is not None]


def _viewer(context: StageContext, member: ScopeMember, reason: str) -> Directive:
    return Directive(
        directive_id=directive_id(context.project_id, context.stage_seq, member.device_id, VIEWER_VERSION),
        tenant_id=context.tenant_id,
        device_id=member.device_id,
        project_id=context.project_id,
        mode=DirectiveMode.viewer,
        policy=None,
        version=VIEWER_VERSION,
        reason=reason,
        issued_at=context.effective_at,
    )
