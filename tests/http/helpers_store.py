"""Driving the outbox's state changes directly, as the delivery workers will (until they land)."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.outbox import Outcome
from gateway.outbox.store import OutboxStore


async def _lease_for(store: OutboxStore, message_id: str) -> object:
    for lease in await store.lease("test-worker", datetime.now(UTC), 100, 60):
        if lease.message_id == message_id:
            return lease
    raise AssertionError(f"{message_id} could not be leased")


async def finish(store: OutboxStore, message_id: str, kind: str) -> None:
    """Send `message_id` and record an outcome: delivered, refused or dead."""
    lease = await _lease_for(store, message_id)
    assert await store.mark_sending(lease)  # type: ignore[arg-type]
    outcome = {
        "delivered": Outcome.delivered("GD-0001", "20260304090000", b'{"maKetQua":"200"}'),
        "refused": Outcome.refused("400", "sai định dạng XML1"),
        "dead": Outcome.dead("retries.exhausted", "gave up after 12 attempts"),
    }[kind]
    assert await store.record_outcome(lease, outcome)  # type: ignore[arg-type]
