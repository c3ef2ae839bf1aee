"""Veille's public contracts: the wire models of every topic, their names and keys."""

from .agent import DeviceKind, Heartbeat, Inventory, PowerSource, SleepBlocker
from .auth import ApiToken, TokenRole
from .base import Contract, clock_skew_error, decode
from .deadletter import DeadLetter, RejectReason, b64
from .fleet import Activity, DeviceRecord, activity_id
from .policy import (
    CandidateOutcome,
    Directive,
    DirectiveMode,
    NightShutdown,
    Policy,
    PolicyExceptions,
    PowerTimeouts,
    Recommendation,
    WakeUp,
    WorkingSchedule,
)
from .projects import (
    STAGE_ORDER,
    Milestone,
    MilestoneKind,
    ProjectSummary,
    ProjectType,
    Scope,
    Stage,
    StageChange,
    StageChangeKind,
)
from .topics import ALL_TOPICS, TopicSpec

__all__ = [
    "ALL_TOPICS",
    "STAGE_ORDER",
    "Activity",
    "ApiToken",
    "CandidateOutcome",
    "Contract",
    "DeadLetter",
    "DeviceKind",
    "DeviceRecord",
    "Directive",
    "DirectiveMode",
    "Heartbeat",
    "Inventory",
    "Milestone",
    "MilestoneKind",
    "NightShutdown",
    "Policy",
    "PolicyExceptions",
    "PowerSource",
    "PowerTimeouts",
    "ProjectSummary",
    "ProjectType",
    "Recommendation",
    "RejectReason",
    "Scope",
    "SleepBlocker",
    "Stage",
    "StageChange",
    "StageChangeKind",
    "TokenRole",
    "TopicSpec",
    "WakeUp",
    "WorkingSchedule",
    "activity_id",
    "b64",
    "clock_skew_error",
    "decode",
]
