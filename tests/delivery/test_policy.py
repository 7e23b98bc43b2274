"""The retry policy as values: full-jitter backoff within its bounds, Retry-After honoured, the
deadline by stop_before_delay, the maximum number of attempts. A fake clock, no sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from tenacity import stop_after_attempt, wait_fixed

from adapters.portal import Transient
from gateway.delivery import (
    DeliverySettings,
    RetryPolicy,
    RetryWindow,
    retry_window,
    wait_retry_after,
)
from gateway.outbox import AuditRecord

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
FAILED = Transient("portal.http.503", None, sent=False)
SETTINGS = DeliverySettings(
    retry_base_seconds=2.0, retry_cap_seconds=600.0, max_attempts=10, deadline_days=7.0
)
POLICY = RetryPolicy.from_settings(SETTINGS)


@given(attempt=st.integers(1, 60), base=st.floats(0.001, 100.0), cap=st.floats(100.0, 86400.0))
def test_full_jitter_waits_stay_within_zero_and_the_capped_exponential(
    attempt: int, base: float, cap: float
) -> None:
    policy = RetryPolicy.from_settings(DeliverySettings(retry_base_seconds=base, retry_cap_seconds=cap,
                                                        max_attempts=1000))  # fmt: skip
    decision = policy.after_failure(RetryWindow(attempt, NOW), NOW, FAILED)
    assert decision.retry_at is not None
    assert 0.0 <= decision.wait_seconds <= min(cap, base * 2 ** (attempt - 1)) + 1e-9
    assert decision.retry_at == NOW + timedelta(seconds=decision.wait_seconds)


def test_full_jitter_spreads_the_waits_over_the_whole_window() -> None:
    waits = [
        POLICY.after_failure(RetryWindow(5, NOW), NOW, FAILED).wait_seconds for _ in range(400)
    ]
    assert min(waits) < 32 * 0.1 and max(waits) > 32 * 0.9  # attempt 5: uniform over [0, 32]


def test_the_cap_bounds_late_attempts() -> None:
    waits = [
        POLICY.after_failure(RetryWindow(9, NOW), NOW, FAILED).wait_seconds for _ in range(200)
    ]
    assert max(waits) <= 512 and max(waits) > 256  # 2 * 2**8 = 512 < cap 600


def test_retry_after_is_honoured_exactly() -> None:
    decision = POLICY.after_failure(
        RetryWindow(1, NOW), NOW, Transient("portal.http.429", 42.0, sent=False)
    )
    assert decision.wait_seconds == 42.0 and decision.retry_at == NOW + timedelta(seconds=42)


def test_retry_after_is_capped() -> None:
    policy = RetryPolicy.from_settings(DeliverySettings(retry_after_cap_seconds=3600))
    decision = policy.after_failure(
        RetryWindow(1, NOW), NOW, Transient("portal.http.429", 10**6, sent=False)
    )
    assert decision.wait_seconds == 3600


def test_the_policy_stops_when_the_next_attempt_would_reach_the_deadline() -> None:
    started = NOW - timedelta(days=7) + timedelta(hours=1)  # one hour of the deadline left
    just_in = POLICY.after_failure(RetryWindow(3, started), NOW, Transient("x", 3599.0, sent=False))
    assert not just_in.stop and just_in.retry_at == NOW + timedelta(seconds=3599)
    too_late = POLICY.after_failure(
        RetryWindow(3, started), NOW, Transient("x", 3600.0, sent=False)
    )
    assert too_late.stop and too_late.retry_at is None  # stop_before_delay: never overshoot


def test_the_policy_stops_after_the_maximum_attempts() -> None:
    assert not POLICY.after_failure(RetryWindow(9, NOW), NOW, FAILED).stop
    assert POLICY.after_failure(RetryWindow(10, NOW), NOW, FAILED).stop


def test_policies_combine_as_tenacity_values() -> None:
    policy = RetryPolicy(
        wait=wait_retry_after(wait_fixed(5), cap=60) + wait_fixed(1), stop=stop_after_attempt(2)
    )
    assert policy.after_failure(RetryWindow(1, NOW), NOW, FAILED).wait_seconds == 6
    assert (
        policy.after_failure(
            RetryWindow(1, NOW), NOW, Transient("x", 30.0, sent=False)
        ).wait_seconds
        == 31
    )
    assert policy.after_failure(RetryWindow(2, NOW), NOW, FAILED).stop


def record(seq: int, action: str, at: datetime) -> AuditRecord:
    return AuditRecord(seq, at.isoformat(), "M1", action, "w", None, None, None, "{}", "", "")


def test_the_retry_window_counts_sends_since_the_last_release_or_replay() -> None:
    hour = timedelta(hours=1)
    history = [record(1, "accept", NOW), record(2, "send", NOW + hour), record(3, "outcome.HELD", NOW + hour),
               record(4, "released", NOW + 5 * hour), record(5, "send", NOW + 6 * hour),
               record(6, "outcome.UNKNOWN", NOW + 6 * hour), record(7, "resend", NOW + 7 * hour)]  # fmt: skip
    assert retry_window(history, NOW + 8 * hour) == RetryWindow(2, NOW + 6 * hour)
    replayed = [*history, record(8, "replay", NOW + 8 * hour)]
    assert retry_window(replayed, NOW + 9 * hour) == RetryWindow(1, NOW + 9 * hour)
