"""The retry policy: tenacity `wait` and `stop` values, evaluated against what the store keeps.

No worker sleeps through a wait. After a transient failure the worker asks the policy when the
document is due again (or whether to give up), records that in the store (RETRY_WAIT with its
due time, or DEAD) and lets the lease go; whichever worker leases it when it is due makes the
next attempt, after a restart too. The policy is the shape TECH_NOTES gives for AsyncRetrying,

    wait = Retry-After when the portal gave one, else wait_random_exponential (full jitter)
    stop = stop_after_attempt(n) | stop_before_delay(deadline)

evaluated on a tenacity `RetryCallState` rebuilt from what the store keeps with the message and
hands out with its lease (`Lease.retry_attempt`, `Lease.first_attempt_at`): its attempt number,
and the time of the first attempt as the start. `stop_before_delay`, not
`stop_after_delay`: it stops when the *next* attempt would come at or after the deadline, so no
wait overshoots it.

The retry window of a message starts at its first send, and starts again when an operator
replays it or its facility is released: attempts that met an account refusal (HELD) and the
time spent held are not held against the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tenacity import (
    Future,
    RetryCallState,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from adapters.portal import Transient
from gateway.delivery.settings import DeliverySettings
from gateway.outbox import AuditRecord

SEND_ACTIONS = frozenset({"send", "resend"})  # the outbox's audit actions of mark_sending
WINDOW_RESETS = frozenset({"replay", "released"})  # an operator's replay; a facility's release
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class RetryWindow:
    """Where a message stands in its retry window: attempts so far (this one included) and
    when the window's first attempt was sent."""

    attempt: int
    started_at: datetime


def retry_window(history: Sequence[AuditRecord], now: datetime) -> RetryWindow:
    """The retry window read from a message's audit history (oldest first): the same window
    the store keeps in the message's row and puts on its leases (used to check one against the
    other; the workers read the lease).

    Counts the sends (`send`, `resend`) since the last replay or release; with none, this is
    the first attempt, started `now`.
    """
    sends: list[str] = []
    for record in history:
        if record.action in WINDOW_RESETS:
            sends = []
        elif record.action in SEND_ACTIONS:
            sends.append(record.at)
    if not sends:
        return RetryWindow(1, now)
    return RetryWindow(len(sends), datetime.fromisoformat(sends[0]))


class wait_retry_after(wait_base):
    """The portal's Retry-After (seconds, at most `cap`) when it gave one, else `fallback`
    (named in lower case like tenacity's own wait strategies, and combined like them).

    Reads the attempt's outcome: a `Transient` result with `retry_after` set.
    """

    def __init__(self, fallback: wait_base, cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and not outcome.failed:
            result = outcome.result()
            if isinstance(result, Transient) and result.retry_after is not None:
                return min(max(0.0, float(result.retry_after)), self.cap)
        return float(self.fallback(retry_state))


@dataclass(frozen=True)
class RetryDecision:
    """What the policy says after a failed attempt: due again at `retry_at`, or stop (None)."""

    retry_at: datetime | None
    wait_seconds: float
    attempt: int
    elapsed_seconds: float

    @property
    def stop(self) -> bool:
        return self.retry_at is None


def _is_transient(result: object) -> bool:
    return isinstance(result, Transient)


@dataclass(frozen=True)
class RetryPolicy:
    """A tenacity `wait` and `stop`, combined as tenacity combines them (`|`, `&`, `+`)."""

    wait: wait_base
    stop: stop_base
    _retrying: Retrying = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The RetryCallState's owner: the AsyncRetrying shape of TECH_NOTES, never run here.
        retrying = Retrying(wait=self.wait, stop=self.stop, retry=retry_if_result(_is_transient))
        object.__setattr__(self, "_retrying", retrying)

    @classmethod
    def from_settings(cls, settings: DeliverySettings) -> RetryPolicy:
        """Full-jitter exponential backoff with a cap, Retry-After honoured, stopped by
        attempts or by the deadline in days (settings.py)."""
        backoff = wait_random_exponential(
            multiplier=settings.retry_base_seconds, max=settings.retry_cap_seconds
        )
        return cls(
            wait=wait_retry_after(backoff, cap=settings.retry_after_cap_seconds),
            stop=stop_after_attempt(settings.max_attempts)
            | stop_before_delay(settings.deadline_days * SECONDS_PER_DAY),
        )

    def after_failure(
        self, window: RetryWindow, now: datetime, failure: Transient
    ) -> RetryDecision:
        """When to try again after `failure` ended attempt `window.attempt`, or stop."""
        state = RetryCallState(self._retrying, fn=None, args=(), kwargs={})
        state.attempt_number = window.attempt
        state.outcome = Future.construct(window.attempt, failure, False)
        state.start_time = window.started_at.timestamp()
        state.outcome_timestamp = now.timestamp()
        wait = max(0.0, float(self.wait(state)))
        state.upcoming_sleep = wait
        elapsed = max(0.0, (now - window.started_at).total_seconds())
        if self.stop(state):
            return RetryDecision(None, wait, window.attempt, elapsed)
        return RetryDecision(now + timedelta(seconds=wait), wait, window.attempt, elapsed)
