"""Retention: payloads go after the retention period; evidence and daily counts stay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from gateway.outbox import State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, StoreFactory, submission
from tests.outbox.helpers import deliver, fail, lease_one


async def test_delivered_payloads_are_pruned_after_the_retention_period(
    open_test_store: StoreFactory, clock: FakeClock
) -> None:
    store = await open_test_store(payload_retention=timedelta(days=30))
    delivered = await store.accept(submission(("LK1",), "a"))
    await deliver(store, await lease_one(store, clock), "GD-7")
    queued = await store.accept(submission(("LK2",), "b"))
    clock.advance(days=29)
    assert (await store.prune(clock())).payloads_pruned == 0
    clock.advance(days=2)
    result = await store.prune(clock())
    assert result.payloads_pruned == 1 and result.message_ids == (delivered.message_id,)
    assert await store.payload(delivered.message_id) is None
    assert await store.payload(queued.message_id) is not None
    message = await store.get(delivered.message_id)
    assert message is not None and message.payload_pruned
    assert (message.state, message.receipt, message.portal_time) == (State.DELIVERED, "GD-7", "20260304090000")
    assert message.received_at and message.delivered_at and message.body_sha256 and message.content_digest
    assert (await store.history(delivered.message_id))[-1].action == "payload.pruned"


async def test_pruning_works_in_batches(open_test_store: StoreFactory, clock: FakeClock) -> None:
    store = await open_test_store(payload_retention=timedelta(days=1), prune_batch=2)
    for number in range(5):
        await store.accept(submission((f"LK{number}",), str(number)))
    for lease in await store.lease("w1", clock(), 10, 60):
        await deliver(store, lease)
    clock.advance(days=2)
    assert (await store.prune(clock())).payloads_pruned == 5


async def test_daily_counts_use_the_day_in_ho_chi_minh_city(open_test_store: StoreFactory, clock: FakeClock) -> None:
    store = await open_test_store()
    clock.now = datetime(2026, 3, 4, 16, 59, tzinfo=UTC)  # 23:59 on 4 March in Hà Nội
    await store.accept(submission(("LK1",), "a"))
    clock.now = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)  # 00:00 on 5 March
    await store.accept(submission(("LK2",), "b"))
    await deliver(store, await lease_one(store, clock))
    await fail(store, clock, await lease_one(store, clock), "refused")
    await store.accept(submission(("LK3",), "c"))
    await fail(store, clock, await lease_one(store, clock), "dead")
    counts = await store.daily_counts(date(2026, 3, 4), date(2026, 3, 5))
    assert [(c.day, c.received, c.delivered, c.refused, c.dead) for c in counts] == [
        (date(2026, 3, 4), 1, 0, 0, 0),
        (date(2026, 3, 5), 2, 1, 1, 1),
    ]


async def test_daily_counts_survive_pruning(open_test_store: StoreFactory, clock: FakeClock) -> None:
    store = await open_test_store(payload_retention=timedelta(days=1))
    await store.accept(submission())
    await deliver(store, await lease_one(store, clock))
    day = clock().date()
    clock.advance(days=3)
    await store.prune(clock())
    [count] = await store.daily_counts(day, day, facility="01001")
    assert (count.received, count.delivered) == (1, 1)


async def test_duplicates_are_not_counted_as_received(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission())
    await store.accept(submission())
    [count] = await store.daily_counts(clock().date(), clock().date())
    assert count.received == 1
