"""Every Kafka topic of Veille, its key and its payload, in one place.

Names are versioned (`veille.<area>.<name>.v1`); a breaking change of a payload is a new topic.
A namespace (settings: VEILLE_TOPIC_NAMESPACE) prefixes every name, so that several
environments, or tests, can share one broker without seeing each other's messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from .agent import Heartbeat, Inventory
from .auth import ApiToken
from .base import Contract
from .deadletter import DeadLetter
from .fleet import Activity, DeviceRecord
from .policy import Directive, Recommendation
from .projects import Milestone, StageChange


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    payload: type[Contract]
    producers: str
    consumers: str
    description: str
    device_keyed: bool = False
    compacted: bool = False

    def qualified(self, namespace: str = "") -> str:
        return f"{namespace}.{self.name}" if namespace else self.name


AGENT_INVENTORY = TopicSpec(
    "veille.agent.inventory.v1",
    "device_id",
    Inventory,
    "agents",
    "ingest",
    "Device facts, sent at enrolment and on change.",
    device_keyed=True,
)
AGENT_HEARTBEATS = TopicSpec(
    "veille.agent.heartbeats.v1",
    "device_id",
    Heartbeat,
    "agents",
    "ingest",
    "One reporting period of one device.",
    device_keyed=True,
)
AGENT_DLQ = TopicSpec(
    "veille.agent.dlq.v1",
    "original key",
    DeadLetter,
    "ingest",
    "operators",
    "Agent messages ingest refused, with their original bytes.",
    device_keyed=True,
)
FLEET_DEVICES = TopicSpec(
    "veille.fleet.devices.v1",
    "device_id",
    DeviceRecord,
    "ingest",
    "projects, policy, reporting",
    "The device registry: latest facts of each enrolled device.",
    device_keyed=True,
    compacted=True,
)
FLEET_ACTIVITY = TopicSpec(
    "veille.fleet.activity.v1",
    "device_id",
    Activity,
    "ingest",
    "policy, reporting",
    "Validated, de-duplicated activity, published after ingest's database commit.",
    device_keyed=True,
)
FLEET_DLQ = TopicSpec(
    "veille.fleet.dlq.v1",
    "original key",
    DeadLetter,
    "policy, reporting",
    "operators",
    "Fleet messages a consumer refused.",
    device_keyed=True,
)
PROJECT_MILESTONES = TopicSpec(
    "veille.projects.milestones.v1",
    "project_id",
    Milestone,
    "operators, tools",
    "projects",
    "A project milestone reached.",
)
PROJECT_STAGES = TopicSpec(
    "veille.projects.stages.v1",
    "project_id",
    StageChange,
    "projects",
    "policy, reporting, integrators",
    "A project entered a stage, or outlived its plan.",
)
PROJECTS_DLQ = TopicSpec(
    "veille.projects.dlq.v1",
    "original key",
    DeadLetter,
    "projects, policy, reporting",
    "operators",
    "Project messages a consumer refused (including refused milestones).",
)
POLICY_DIRECTIVES = TopicSpec(
    "veille.policy.directives.v1",
    "device_id",
    Directive,
    "policy",
    "agents (through agent managers)",
    "The mode and policy a device must enforce.",
    device_keyed=True,
)
POLICY_RECOMMENDATIONS = TopicSpec(
    "veille.policy.recommendations.v1",
    "project_id",
    Recommendation,
    "policy",
    "projects, reporting",
    "Candidate policies replayed on Viewer data, and the recommended one.",
)
POLICY_DLQ = TopicSpec(
    "veille.policy.dlq.v1",
    "original key",
    DeadLetter,
    "policy",
    "operators",
    "Messages the policy service refused.",
)
AUTH_TOKENS = TopicSpec(
    "veille.auth.tokens.v1",
    "token_hash",
    ApiToken,
    "projects",
    "every HTTP service (projects, reporting)",
    "API tokens by hash: role, tenant, holder, revoked. Compacted: the latest state of each token.",
    compacted=True,
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    AGENT_INVENTORY,
    AGENT_HEARTBEATS,
    AGENT_DLQ,
    FLEET_DEVICES,
    FLEET_ACTIVITY,
    FLEET_DLQ,
    PROJECT_MILESTONES,
    PROJECT_STAGES,
    PROJECTS_DLQ,
    POLICY_DIRECTIVES,
    POLICY_RECOMMENDATIONS,
    POLICY_DLQ,
    AUTH_TOKENS,
)
