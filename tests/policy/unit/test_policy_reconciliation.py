"""When a heartbeat's reported policy version gets the directive sent again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from veille_policy.domain.reconciliation import ResendReason, reconcile, should_resend

SENT = datetime(2024, 6, 17, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=30)


@pytest.mark.parametrize(
    ("reported", "last_sent", "observed", "resend", "reason"),
    [
        # In sync: never resend, however long ago.
        ("v2", SENT, SENT + timedelta(days=3), False, ResendReason.in_sync),
        ("v2", None, SENT, False, ResendReason.in_sync),
        # Never sent (device enrolled, or state lost): send now.
        (None, None, SENT, True, ResendReason.never_sent),
        ("v1", None, SENT, True, ResendReason.never_sent),
        # Stale or missing version: wait min_interval after the last send.
        (None, SENT, SENT + timedelta(minutes=5), False, ResendReason.rate_limited),
        ("v1", SENT, SENT + timedelta(minutes=29, seconds=59), False, ResendReason.rate_limited),
        ("v1", SENT, SENT + timedelta(minutes=30), True, ResendReason.stale),
        (None, SENT, SENT + timedelta(hours=6), True, ResendReason.stale),
        # A late or replayed heartbeat from before the send says nothing: no resend.
        ("v1", SENT, SENT - timedelta(hours=2), False, ResendReason.rate_limited),
    ],
)
def test_resend_timing(
    reported: str | None, last_sent: datetime | None, observed: datetime, resend: bool, reason: ResendReason
) -> None:
    decision = reconcile("v2", reported, last_sent, observed, MIN)
    assert (decision.resend, decision.reason) == (resend, reason)
    assert should_resend("v2", reported, last_sent, observed, MIN) is resend


def test_default_interval_is_thirty_minutes() -> None:
    assert not should_resend("v2", "v1", SENT, SENT + timedelta(minutes=29))
    assert should_resend("v2", "v1", SENT, SENT + timedelta(minutes=30))


def test_negative_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        reconcile("v2", "v1", SENT, SENT, timedelta(seconds=-1))
