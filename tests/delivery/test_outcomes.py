"""How each answer of the portal becomes the store's outcome (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.portal import AuthFailed, Delivered, Refused, Transient
from gateway.delivery import RetryDecision, outcome_of
from gateway.delivery.errors import RETRIES_EXHAUSTED
from gateway.outbox import OutcomeKind

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
LATER = RetryDecision(NOW + timedelta(seconds=8), 8.0, 2, 60.0)
STOP = RetryDecision(None, 8.0, 9, 7 * 86400.0)


def test_delivered_keeps_the_receipt() -> None:
    outcome = outcome_of(
        Delivered("SIM0000000001", None, "20260304090000", "ok", b'{"maKetQua":"200"}')
    )
    assert outcome.kind is OutcomeKind.DELIVERED and outcome.receipt == "SIM0000000001"
    assert outcome.portal_time == "20260304090000" and outcome.answer == b'{"maKetQua":"200"}'


def test_a_refusal_is_final_with_the_portals_code_and_message() -> None:
    outcome = outcome_of(Refused("400", "XML1.NGAY_SINH.format"))
    assert (outcome.kind, outcome.code, outcome.reason) == (
        OutcomeKind.REFUSED,
        "400",
        "XML1.NGAY_SINH.format",
    )


def test_an_account_refusal_holds() -> None:
    outcome = outcome_of(AuthFailed("portal.auth.401", "refused"))
    assert outcome.kind is OutcomeKind.HELD and outcome.code == "portal.auth.401"


def test_a_transient_failure_before_sending_is_a_plain_retry() -> None:
    outcome = outcome_of(Transient("portal.connect", None, sent=False), LATER)
    assert outcome.kind is OutcomeKind.RETRY and outcome.retry_at == LATER.retry_at


def test_a_transient_failure_after_sending_is_an_unknown_outcome() -> None:
    outcome = outcome_of(Transient("portal.timeout", None, sent=True, answer=b"x"), LATER)
    assert (
        outcome.kind is OutcomeKind.UNKNOWN
        and outcome.retry_at == LATER.retry_at
        and outcome.answer == b"x"
    )


def test_when_the_policy_stops_the_document_is_dead() -> None:
    outcome = outcome_of(Transient("portal.http.503", 5.0, sent=False), STOP)
    assert outcome.kind is OutcomeKind.DEAD and outcome.code == RETRIES_EXHAUSTED
    assert "after attempt 9" in (outcome.reason or "")


def test_a_transient_failure_needs_the_policys_decision() -> None:
    with pytest.raises(ValueError):
        outcome_of(Transient("portal.timeout", None, sent=True))
