"""Background duties: periodic signed checkpoints and pruning, driven by a fake sleep."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from gateway.outbox.checkpoint import CheckpointLog
from gateway.outbox.maintenance import checkpoint_periodically, prune_periodically
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, StoreFactory, submission
from tests.outbox.helpers import deliver, lease_one


class Ticks:
    """A sleep that returns at once `count` times, then stops the loop by cancelling it."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if self.left == 0:
            raise asyncio.CancelledError
        self.left -= 1


async def test_checkpoints_are_signed_periodically_only_when_the_chain_grew(store: SqliteOutboxStore) -> None:
    await store.accept(submission())
    ticks = Ticks(3)
    with pytest.raises(asyncio.CancelledError):
        await checkpoint_periodically(store, 60, ticks)
    assert ticks.asked == [60, 60, 60, 60]
    found = CheckpointLog(store.path.parent / "checkpoints").read()
    assert [c.seq for c in found.checkpoints] == [1]


async def test_pruning_runs_periodically(open_test_store: StoreFactory, clock: FakeClock) -> None:
    store = await open_test_store(payload_retention=timedelta(days=1))
    accepted = await store.accept(submission())
    await deliver(store, await lease_one(store, clock))
    clock.advance(days=2)
    with pytest.raises(asyncio.CancelledError):
        await prune_periodically(store, 3600, clock, Ticks(1))
    assert await store.payload(accepted.message_id) is None


async def test_closing_the_store_signs_a_last_checkpoint(open_test_store: StoreFactory) -> None:
    store = await open_test_store()
    await store.accept(submission())
    await store.accept(submission(content="v2"))
    await store.close()
    found = CheckpointLog(store.path.parent / "checkpoints").read()
    assert [c.seq for c in found.checkpoints] == [3]  # v1 accepted, v1 superseded, v2 accepted
