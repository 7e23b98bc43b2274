"""What the delivery workers report to the status API, /readyz and metrics."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from gateway.delivery.breaker import BreakerSnapshot
from gateway.outbox import HeldFacility


@dataclass
class Counters:
    """Counts since start, one per way an attempt can end (mutable; one event loop)."""

    leased: int = 0
    sent: int = 0  # sends that went out (mark_sending succeeded)
    resent: int = 0  # of which re-sends after an unknown outcome (each audited as `resend`)
    delivered: int = 0
    refused: int = 0
    retried: int = 0  # transient, nothing reached the portal: RETRY_WAIT
    unknown: int = 0  # transient, the portal may have it: RETRY_WAIT, the next send a re-send
    dead: int = 0
    held: int = 0
    deferred: int = 0  # put off unsent: the destination's circuit is open
    skipped: int = 0  # mark_sending said no (superseded, held or lease lost meanwhile)
    fenced: int = 0  # the outcome came after the lease was lost: audited, not applied
    errors: int = 0  # store failures and the like (logged)

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class DeliveryStatus:
    """A snapshot of one DeliveryService."""

    running: bool
    worker_id: str
    concurrency: int
    in_flight: int
    counters: dict[str, int]
    circuits: tuple[BreakerSnapshot, ...]
    held_facilities: tuple[str, ...]  # as last seen by the held-facility check (or a worker)
    started_at: datetime | None
    last_error: str | None = None
    holds: tuple[HeldFacility, ...] = ()  # the store's held facilities at the last check: counts, since

    def to_json(self) -> dict[str, object]:
        return {
            "running": self.running, "worker_id": self.worker_id, "concurrency": self.concurrency,
            "in_flight": self.in_flight, "counters": dict(self.counters),
            "circuits": [c.to_json() for c in self.circuits],
            "held_facilities": list(self.held_facilities),
            "holds": [h.to_json() for h in self.holds],
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "last_error": self.last_error,
        }  # fmt: skip
