"""What one send came to, as the outbox's `Outcome` (pure: no I/O, no clock).

Delivered   -> DELIVERED, receipt maGiaoDich and thoiGianTiepNhan kept (received, not assessed)
Refused     -> REFUSED: final, the portal's code and message kept, never retried
AuthFailed  -> HELD: the store holds the facility; no retry spent, the circuit untouched
Transient   -> RETRY_WAIT due at the policy's time: RETRY if nothing reached the portal,
               UNKNOWN if something may have (the next send is audited as a re-send);
               DEAD when the policy stops
"""

from __future__ import annotations

from adapters.portal import AuthFailed, Delivered, Refused, SendOutcome, Transient
from gateway.delivery.errors import RETRIES_EXHAUSTED
from gateway.delivery.policy import RetryDecision
from gateway.outbox import Outcome, OutcomeKind


def outcome_of(result: SendOutcome, decision: RetryDecision | None = None) -> Outcome:
    """The store's outcome for a send's result; a Transient needs the policy's `decision`.

    Raises ValueError for a Transient without a decision.
    """
    if isinstance(result, Delivered):
        return Outcome.delivered(
            result.ma_giao_dich or "", result.portal_time, result.answer or None
        )
    if isinstance(result, Refused):
        return Outcome.refused(result.code, result.message, result.answer or None)
    if isinstance(result, AuthFailed):
        return Outcome.held(result.code, result.message, result.answer or None)
    return transient_outcome(result, decision)


def transient_outcome(result: Transient, decision: RetryDecision | None) -> Outcome:
    """RETRY / UNKNOWN due at `decision.retry_at`, or DEAD when the policy stopped."""
    if decision is None:
        raise ValueError("a transient failure needs the retry policy's decision")
    what = f"{result.reason}" + (f" ({result.detail})" if result.detail else "")
    if decision.retry_at is None:
        reason = (f"retry policy stopped after attempt {decision.attempt}, "
                  f"{decision.elapsed_seconds / 3600:.1f} h after the first: last failure {what}"
                  + ("; the last send's outcome is unknown" if result.sent else ""))  # fmt: skip
        return Outcome.dead(RETRIES_EXHAUSTED, reason, result.answer or None)
    reason = f"attempt {decision.attempt} failed: {what}; next in {decision.wait_seconds:.3f} s"
    if result.retry_after is not None:
        reason += f" (Retry-After {result.retry_after:g} s)"
    kind = OutcomeKind.UNKNOWN if result.sent else OutcomeKind.RETRY
    return Outcome(kind, code=result.reason, reason=reason, answer=result.answer or None,
                   retry_at=decision.retry_at)  # fmt: skip
