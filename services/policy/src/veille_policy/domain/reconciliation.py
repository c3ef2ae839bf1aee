"""Desired vs reported state: when a device gets its directive again.

A heartbeat reports the policy version the agent enforces (None: it has received nothing yet).
If that is not the desired version, the directive was lost, is still in flight, or the agent
failed to apply it. Resending at every heartbeat (every 5 min, per device) would flood the agent
managers while a directive is in flight, so a resend waits at least `min_interval` of event time
after the last send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_MIN_INTERVAL = timedelta(minutes=30)


class ResendReason(StrEnum):
    in_sync = "in_sync"
    never_sent = "never_sent"
    stale = "stale"
    rate_limited = "rate_limited"


@dataclass(frozen=True, slots=True)
class ResendDecision:
    resend: bool
    reason: ResendReason


def reconcile(
    desired_version: str,
    reported_version: str | None,
    last_sent_at: datetime | None,
    observed_at: datetime,
    min_interval: timedelta = DEFAULT_MIN_INTERVAL,
) -> ResendDecision:
    """Whether to resend the desired directive, seen from a heartbeat observed at `observed_at`.

    Times are event times (the heartbeat's period end, the send's event time). A heartbeat older
    than the last send (a late or replayed one) never triggers a resend: it says nothing about
    whether the last send arrived.
    """
    if min_interval < timedelta(0):
        raise ValueError("min_interval must not be negative")
    if reported_version == desired_version:
        return ResendDecision(False, ResendReason.in_sync)
    if last_sent_at is None:
        return ResendDecision(True, ResendReason.never_sent)
    if observed_at - last_sent_at >= min_interval:
        return ResendDecision(True, ResendReason.stale)
    return ResendDecision(False, ResendReason.rate_limited)


def should_resend(
    desired_version: str,
    reported_version: str | None,
    last_sent_at: datetime | None,
    observed_at: datetime,
    min_interval: timedelta = DEFAULT_MIN_INTERVAL,
) -> bool:
    return reconcile(desired_version, reported_version, last_sent_at, observed_at, min_interval).resend
