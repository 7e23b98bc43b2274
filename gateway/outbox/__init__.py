"""The durable outbox: once the gateway says "accepted", a document cannot be lost.

Open a store with `open_store("sqlite:///data/outbox.db", ...)`; see README.md beside this file.
"""

from gateway.outbox.config import OutboxSettings
from gateway.outbox.errors import (
    DiskFull,
    IdempotencyConflict,
    OutboxError,
    OutboxInputError,
    StoreFault,
    StoreUnavailable,
)
from gateway.outbox.factory import open_store
from gateway.outbox.model import (
    Accepted,
    DocumentType,
    Lease,
    Outcome,
    OutcomeKind,
    State,
    Submission,
)
from gateway.outbox.records import (
    AuditRecord,
    DailyCount,
    HeldFacility,
    Message,
    MessageFilter,
    Page,
    PruneResult,
)
from gateway.outbox.store import OutboxStore

__all__ = [
    "Accepted",
    "AuditRecord",
    "DailyCount",
    "DiskFull",
    "DocumentType",
    "HeldFacility",
    "IdempotencyConflict",
    "Lease",
    "Message",
    "MessageFilter",
    "OutboxError",
    "OutboxInputError",
    "OutboxSettings",
    "OutboxStore",
    "Outcome",
    "OutcomeKind",
    "Page",
    "PruneResult",
    "State",
    "StoreFault",
    "StoreUnavailable",
    "Submission",
    "open_store",
]
