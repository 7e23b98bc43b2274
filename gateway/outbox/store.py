"""The outbox interface: what the HTTP intake, the delivery workers and operators call.

Guarantees every implementation keeps (SQLite now, PostgreSQL later):

- `accept` returns only after the message and its audit record are durable (fsync'd);
- every state change is one transaction together with its audit record;
- leases expire; `mark_sending` and `record_outcome` are fenced by the lease's token, so a
  worker that lost its lease cannot overwrite a newer decision;
- no transaction is held open across a network call: the worker calls `lease`, then
  `mark_sending`, sends, then `record_outcome` — three short transactions;
- a message is leased only when no earlier-accepted pending message shares one of its
  (facility, document type, MA_LK) lanes;
- nothing here is specific to one database: a collection parameter is a plain collection
  (SQLite binds it as a JSON array, PostgreSQL as an array), times are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Protocol

from gateway.outbox.checkpoint import Checkpoint
from gateway.outbox.model import Accepted, Lease, Outcome, Submission
from gateway.outbox.records import (
    AuditRecord,
    DailyCount,
    HeldFacility,
    Message,
    MessageFilter,
    Page,
    PruneResult,
)


class OutboxStore(Protocol):
    """The durable store of accepted documents and their delivery history."""

    async def accept(self, submission: Submission) -> Accepted:
        """Make a document durable; returns once committed.

        A repeat of the current version returns the existing message (`duplicate=True`); the
        same Idempotency-Key with the same body returns the original answer. Raises
        IdempotencyConflict (`idempotency.conflict`), DiskFull (`store.disk_watermark`),
        StoreUnavailable, StoreFault.
        """
        ...

    async def idempotency_lookup(self, submitter: str, key: str, body: bytes) -> Accepted | None:
        """The original answer for this submitter's key, if given in the last 24 hours.

        Raises IdempotencyConflict when the key was used with another body.
        """
        ...

    async def lease(
        self, worker_id: str, now: datetime, limit: int, lease_seconds: float,
        exclude_facilities: Collection[str] = (),
    ) -> list[Lease]:  # fmt: skip
        """Lease up to `limit` messages due at `now`, respecting per-MA_LK order, none of the
        facilities in `exclude_facilities` (the caller knows their destination cannot take
        anything now, e.g. its circuit is open). Each lease carries the message's retry window
        (`retry_attempt`, `first_attempt_at`)."""
        ...

    async def extend_lease(self, lease: Lease, lease_seconds: float) -> Lease | None:
        """Push the lease's expiry out (a slow send); None when the lease was lost."""
        ...

    async def mark_sending(self, lease: Lease, sent_digest: str | None = None) -> bool:
        """Record that the bytes (SHA-256 `sent_digest`) are about to be sent; call it before
        the network call. False: do not send (lease lost, message superseded or held)."""
        ...

    async def record_outcome(self, lease: Lease, outcome: Outcome) -> bool:
        """Record an attempt's outcome; False when the lease was lost (the outcome is audited,
        nothing changes). Raises OutboxInputError `outbox.invalid_transition` for an outcome
        that needs a send (DELIVERED, REFUSED, UNKNOWN) on a message never marked SENDING."""
        ...

    async def hold_facility(self, facility: str, actor: str, reason: str) -> int:
        """Hold a facility (its credentials fail): QUEUED/RETRY_WAIT -> HELD. Returns how many."""
        ...

    async def release_facility(self, facility: str, actor: str, reason: str) -> int:
        """Release a held facility: HELD -> QUEUED. Returns how many."""
        ...

    async def held_facilities(self) -> list[HeldFacility]:
        """Every held facility, and every facility with HELD documents: how many documents,
        since when, who held it and why; by facility code."""
        ...

    async def replay(self, message_id: str, operator: str, reason: str) -> Message:
        """An operator's replay: DEAD -> QUEUED, who and why audited.

        Raises OutboxInputError `outbox.not_found`, `outbox.invalid_transition`,
        `outbox.replay_refused`.
        """
        ...

    async def get(self, message_id: str) -> Message | None:
        """A message's metadata (never its payload)."""
        ...

    async def payload(self, message_id: str) -> bytes | None:
        """The exact bytes received; None once pruned."""
        ...

    async def history(self, message_id: str) -> list[AuditRecord]:
        """The message's audit records, oldest first: its delivery history as evidence."""
        ...

    async def list_messages(
        self, filters: MessageFilter | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page:
        """Messages matching `filters`, newest first, a page at a time."""
        ...

    async def prune(self, now: datetime) -> PruneResult:
        """Drop payloads delivered before `now - payload_retention`; expire idempotency keys."""
        ...

    async def daily_counts(self, first: date, last: date, facility: str | None = None) -> list[DailyCount]:
        """Per facility per local day (Asia/Ho_Chi_Minh) counts, days first..last inclusive."""
        ...

    async def checkpoint(self) -> Checkpoint | None:
        """Sign the audit chain head and append it outside the database; None when there is
        no signer or nothing new since the last checkpoint. Raises StoreFault `audit.checkpoint`."""
        ...

    async def close(self) -> None:
        """Finish queued writes, write a last checkpoint, release every resource."""
        ...
