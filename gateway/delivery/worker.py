"""One delivery attempt, from a lease to its recorded outcome.

    lease (the dispatcher, service.py)
      -> no account for the facility     HELD (alert), nothing sent
      -> no endpoint for type + version  DEAD, nothing sent
      -> the destination's circuit open  RETRY_WAIT until it may close, nothing sent, no retry spent
      -> mark_sending (committed BEFORE the network call; False: do not send)
      -> send through the portal client, the lease renewed while the send lasts
      -> the outcome (outcomes.py), recorded only while the lease is still ours (fenced)

A worker never waits for a retry: the next due time goes into the store and the lease is let
go. Order per facility + MA_LK comes from the store, which leases a message only when no
earlier one of its lanes is pending; different documents are sent concurrently, so one
facility's trouble never holds up another's.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from adapters.portal import (
    AuthFailed,
    Delivered,
    PortalDirectory,
    PortalError,
    Refused,
    SendOutcome,
    Transient,
    submit_path,
)
from adapters.portal.errors import NO_ACCOUNT
from gateway.delivery.breaker import Breakers, CircuitBreaker
from gateway.delivery.errors import CIRCUIT_OPEN, NO_ENDPOINT, SEND_ERROR
from gateway.delivery.logs import emit
from gateway.delivery.outcomes import outcome_of
from gateway.delivery.policy import RetryDecision, RetryPolicy, RetryWindow
from gateway.delivery.status import Counters
from gateway.outbox import Lease, OutboxStore, Outcome, OutcomeKind

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


class PortalSender(Protocol):
    """What the workers need of the portal client (adapters.portal.PortalClient)."""

    async def send(
        self,
        facility: str,
        document_type: str | enum.Enum,
        document: bytes,
        *,
        version: str | None = None,
    ) -> SendOutcome: ...


class Courier:
    """Takes one leased message through one attempt (module docstring)."""

    def __init__(
        self,
        store: OutboxStore,
        sender: PortalSender,
        directory: PortalDirectory,
        breakers: Breakers,
        policy: RetryPolicy,
        *,
        clock: Clock,
        sleep: Sleep,
        rng: random.Random,
        counters: Counters,
        logger: logging.Logger,
        defer_spread_seconds: float,
        on_held: Callable[[str], None] = lambda _facility: None,
    ) -> None:
        self._store = store
        self._sender = sender
        self._directory = directory
        self._breakers = breakers
        self._policy = policy
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._counters = counters
        self._log = logger
        self._spread = defer_spread_seconds
        self._on_held = on_held
        self._alerted: set[str] = set()

    async def deliver(self, lease: Lease) -> OutcomeKind | None:
        """One attempt for `lease`; returns the outcome recorded (None: nothing recorded, the
        message left the queue meanwhile or the lease was lost). Raises OutboxError when the
        store fails (the lease then expires and the message is picked up again)."""
        self._counters.leased += 1
        account = self._directory.get(lease.facility)
        if account is None:
            failure = AuthFailed(
                NO_ACCOUNT, f"no portal account is configured for facility {lease.facility}"
            )
            return await self._finish(lease, failure, time.monotonic())
        try:
            submit_path(lease.document_type, lease.schema_version)
        except PortalError as exc:
            dead = Outcome.dead(NO_ENDPOINT, exc.message)
            return await self._record(lease, dead, time.monotonic())
        breaker = self._breakers.get(account.base_url)
        if not breaker.allow():
            return await self._defer(lease, breaker)
        try:
            sent = await self._send(lease)
        except BaseException:
            breaker.neutral()  # cancelled (shutdown): the lease expires, the send is re-done audited
            raise
        if sent is None:
            breaker.neutral()
            self._counters.skipped += 1
            return None
        result, started = sent
        if isinstance(result, Delivered | Refused):
            breaker.success()
        elif isinstance(result, Transient):
            breaker.failure()
        else:
            breaker.neutral()
        return await self._finish(lease, result, started)

    async def _send(self, lease: Lease) -> tuple[SendOutcome, float] | None:
        if not await self._store.mark_sending(lease, hashlib.sha256(lease.content).hexdigest()):
            return None
        self._counters.sent += 1
        self._counters.resent += lease.resend
        started = time.monotonic()
        async with kept_leased(self._store, lease, self._sleep):
            try:
                result = await self._sender.send(lease.facility, lease.document_type, lease.content,
                                                 version=lease.schema_version)  # fmt: skip
            except PortalError as exc:  # checked before sending; kept for safety
                result = Transient(SEND_ERROR, None, sent=True, detail=exc.code)
            except Exception as exc:  # a bug in the client must not lose the document
                self._log.exception("the portal client raised")
                result = Transient(SEND_ERROR, None, sent=True, detail=type(exc).__name__)
        return result, started

    async def _finish(
        self, lease: Lease, result: SendOutcome, started: float
    ) -> OutcomeKind | None:
        decision: RetryDecision | None = None
        if isinstance(result, Transient):
            now = self._clock()
            window = RetryWindow(lease.retry_attempt, lease.first_attempt_at or now)  # from the lease
            decision = self._policy.after_failure(window, now, result)
        return await self._record(lease, outcome_of(result, decision), started)

    async def _defer(self, lease: Lease, breaker: CircuitBreaker) -> OutcomeKind | None:
        """Put the message off, unsent, until the circuit may let it through (spread out so
        that the backlog does not come due all at once)."""
        due = breaker.resume_at() + timedelta(seconds=self._rng.uniform(0.0, self._spread))
        outcome = Outcome.retry(
            due, CIRCUIT_OPEN, f"circuit open for {breaker.destination}: put off, not sent"
        )
        if not await self._store.record_outcome(lease, outcome):
            self._counters.fenced += 1
            return None
        self._counters.deferred += 1
        return OutcomeKind.RETRY

    async def _record(self, lease: Lease, outcome: Outcome, started: float) -> OutcomeKind | None:
        recorded = await self._store.record_outcome(lease, outcome)
        event: dict[str, object] = {
            "event": "delivery.attempt", "message_id": lease.message_id, "facility": lease.facility,
            "document_type": lease.document_type.value, "keys": lease.keys, "version": lease.version,
            "attempt": lease.attempt, "resend": lease.resend, "outcome": outcome.kind.value,
            "code": outcome.code, "recorded": recorded,
            "retry_at": outcome.retry_at.isoformat() if outcome.retry_at else None,
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        }  # fmt: skip
        if not recorded:
            self._counters.fenced += 1
            emit(self._log, {**event, "event": "delivery.fenced"}, logging.WARNING)
            return None
        self._count(outcome.kind)
        emit(self._log, event)
        if outcome.kind is OutcomeKind.HELD:
            self._alert_held(lease.facility, outcome)
        return outcome.kind

    def _alert_held(self, facility: str, outcome: Outcome) -> None:
        """One alert per held facility (until it is released), however many documents it has."""
        self._on_held(facility)
        if facility in self._alerted:
            return
        self._alerted.add(facility)
        emit(self._log, {
            "event": "delivery.alert.auth_failed", "alert": True, "facility": facility,
            "code": outcome.code, "reason": outcome.reason,
            "action": "the facility's documents are HELD until a login succeeds again or `gateway release`",
        }, logging.ERROR)  # fmt: skip

    def released(self, facility: str) -> None:
        """The facility was released: alert again if its credentials fail again."""
        self._alerted.discard(facility)

    def _count(self, kind: OutcomeKind) -> None:
        name = {
            OutcomeKind.DELIVERED: "delivered", OutcomeKind.REFUSED: "refused", OutcomeKind.RETRY: "retried",
            OutcomeKind.UNKNOWN: "unknown", OutcomeKind.DEAD: "dead", OutcomeKind.HELD: "held",
        }[kind]  # fmt: skip
        setattr(self._counters, name, getattr(self._counters, name) + 1)


@contextlib.asynccontextmanager
async def kept_leased(store: OutboxStore, lease: Lease, sleep: Sleep) -> AsyncIterator[None]:
    """Renew `lease` every third of its length while the body runs (a slow send keeps its
    message; a crashed process's lease runs out and another worker takes over)."""

    async def renew() -> None:
        current: Lease | None = lease
        while current is not None:
            await sleep(current.lease_seconds / 3)
            current = await store.extend_lease(current, current.lease_seconds)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
