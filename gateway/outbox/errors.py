"""The exception root of gateway.outbox, and every code it can raise.

Three branches, because callers treat them differently (STYLE.md "one exception root"):

- `OutboxInputError`: the caller asked for something the store refuses (an idempotency key reused
  with another body, a replay of a message that is not DEAD ...). A coded 4xx at the HTTP edge.
- `StoreUnavailable`: the store cannot take new documents right now (disk watermark, closed).
  A 503 with Retry-After; the document was not accepted and the client must resend.
- `StoreFault`: our own fault (I/O error, a database that is not ours). A 5xx and an alarm.
"""

from __future__ import annotations

from gateway.errors import CodedError

# -- the caller's mistakes (OutboxInputError) --------------------------------------------------
IDEMPOTENCY_CONFLICT = "idempotency.conflict"
SUBMISSION_INVALID = "submission.invalid"
NOT_FOUND = "outbox.not_found"
INVALID_TRANSITION = "outbox.invalid_transition"
REPLAY_REFUSED = "outbox.replay_refused"
# -- unavailable (StoreUnavailable) ------------------------------------------------------------
DISK_WATERMARK = "store.disk_watermark"
DISK_FULL = "store.disk_full"
CLOSED = "store.closed"
# -- our own faults (StoreFault) ---------------------------------------------------------------
IO = "store.io"
SCHEMA = "store.schema"
DSN = "store.dsn"
CHECKPOINT = "audit.checkpoint"

CODES: dict[str, str] = {
    IDEMPOTENCY_CONFLICT: "an Idempotency-Key already used (within 24 hours) with a different body",
    SUBMISSION_INVALID: "a submission without facility, document type, key set or content digest",
    NOT_FOUND: "no message with that id",
    INVALID_TRANSITION: "the message's state does not allow the operation (e.g. replay of a "
    "message that is not DEAD, an outcome of DELIVERED for a message never marked SENDING)",
    REPLAY_REFUSED: "replay would send an old version after a newer one (a newer version exists, "
    "or a later document sharing a MA_LK was delivered or is being sent)",
    DISK_WATERMARK: "free disk space is below the configured watermark: new documents are refused",
    DISK_FULL: "the database reported a full disk",
    CLOSED: "the store is closed",
    IO: "the database failed to read or write",
    SCHEMA: "the database is not an outbox database of a supported schema version",
    DSN: "a store DSN that is not understood (sqlite:///path is supported)",
    CHECKPOINT: "a signed audit checkpoint could not be written",
}


class OutboxError(CodedError):
    """Root of every exception raised by gateway.outbox."""


class OutboxInputError(OutboxError):
    """The caller's request cannot be honoured as asked (a coded 4xx)."""


class IdempotencyConflict(OutboxInputError):
    """The Idempotency-Key was used before with a different body (`idempotency.conflict`)."""

    def __init__(self, message: str) -> None:
        super().__init__(IDEMPOTENCY_CONFLICT, message)


class StoreUnavailable(OutboxError):
    """The store refuses new documents for now (a 503; nothing was accepted)."""


class DiskFull(StoreUnavailable):
    """Free space is under the watermark (`store.disk_watermark`) or the disk is full."""


class StoreFault(OutboxError):
    """Our own fault: the database failed (a 5xx and an alarm)."""
