"""Pure rules of the policy service: no I/O, no wall clock (event times are passed in).

- `validation`: what an operator can get wrong in a policy; the policy version (content hash).
- `directives`: the directive each device of a project should have at a stage change.
- `reconciliation`: when a device's reported policy version gets its directive resent.
- `replay`: a device's Viewer activity replayed under a policy, seconds per state per day.
- `recommendation`: candidate policies scored on kWh saved and disruption, the one to recommend.
"""

from .directives import (
    VIEWER_VERSION,
    MissingApprovedPolicyError,
    ScopeMember,
    StageContext,
    decide_directives,
    directive_for,
    directive_id,
    select_saver_devices,
    stratum_quotas,
)
from .recommendation import (
    DEFAULT_DISRUPTION_BUDGET,
    DEFAULT_IDLE_TIMEOUTS_MIN,
    CandidateScore,
    candidate_policies,
    choose,
    pareto_front,
    recommend,
)
from .reconciliation import DEFAULT_MIN_INTERVAL, ResendDecision, ResendReason, reconcile, should_resend
from .replay import DayReplay, DeviceActivity, DeviceReplay, DeviceTimeline, replay
from .validation import Problem, Severity, has_errors, policy_version, validate_policy

__all__ = [
    "DEFAULT_DISRUPTION_BUDGET",
    "DEFAULT_IDLE_TIMEOUTS_MIN",
    "DEFAULT_MIN_INTERVAL",
    "VIEWER_VERSION",
    "CandidateScore",
    "DayReplay",
    "DeviceActivity",
    "DeviceReplay",
    "DeviceTimeline",
    "MissingApprovedPolicyError",
    "Problem",
    "ResendDecision",
    "ResendReason",
    "ScopeMember",
    "Severity",
    "StageContext",
    "candidate_policies",
    "choose",
    "decide_directives",
    "directive_for",
    "directive_id",
    "has_errors",
    "pareto_front",
    "policy_version",
    "recommend",
    "reconcile",
    "replay",
    "select_saver_devices",
    "should_resend",
    "stratum_quotas",
    "validate_policy",
]
