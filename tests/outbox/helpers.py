"""Small steps the outbox tests repeat: deliver, fail, send a message through its life."""

from __future__ import annotations

from datetime import timedelta

from gateway.outbox import Lease, Outcome
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock


async def lease_one(store: SqliteOutboxStore, clock: FakeClock, worker: str = "w1", seconds: float = 60) -> Lease:
    leases = await store.lease(worker, clock(), 1, seconds)
    assert len(leases) == 1, leases
    return leases[0]


async def leased_ids(store: SqliteOutboxStore, clock: FakeClock, worker: str = "w1", limit: int = 100) -> list[str]:
    return [lease.message_id for lease in await store.lease(worker, clock(), limit, 60)]


async def deliver(store: SqliteOutboxStore, lease: Lease, receipt: str = "GD-1") -> None:
    assert await store.mark_sending(lease)
    assert await store.record_outcome(lease, Outcome.delivered(receipt, "20260304090000", b'{"maKetQua":"200"}'))


async def fail(store: SqliteOutboxStore, clock: FakeClock, lease: Lease, kind: str) -> None:
    """Send and record a non-delivery outcome: refused, retry, unknown, dead or held."""
    assert await store.mark_sending(lease)
    later = clock() + timedelta(minutes=1)
    outcome = {
        "refused": Outcome.refused("422", "format error"),
        "retry": Outcome.retry(later, "503", "portal busy"),
        "unknown": Outcome.unknown(later, "timeout", "no answer in 30 s"),
        "dead": Outcome.dead("retries.exhausted", "gave up"),
        "held": Outcome.held("401", "bad credentials"),
    }[kind]
    assert await store.record_outcome(lease, outcome)
