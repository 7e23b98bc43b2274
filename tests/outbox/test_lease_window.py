"""What a lease carries and which messages a lease skips: the retry window (attempt in the
window, time of its first send) kept with the message, and the facilities a caller excludes."""

from __future__ import annotations

from datetime import timedelta

from gateway.delivery import retry_window
from gateway.outbox import Outcome, State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, submission
from tests.outbox.helpers import fail, lease_one, leased_ids


async def test_a_first_lease_has_no_first_attempt_yet(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission())
    lease = await lease_one(store, clock)
    assert lease.retry_attempt == 1 and lease.first_attempt_at is None


async def test_the_lease_carries_the_time_of_the_first_send_and_the_attempt_in_the_window(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    await store.accept(submission())
    first_send = clock()
    await fail(store, clock, await lease_one(store, clock), "retry")
    clock.advance(minutes=5)
    await fail(store, clock, await lease_one(store, clock), "unknown")
    clock.advance(minutes=5)
    third = await lease_one(store, clock)
    assert (third.retry_attempt, third.attempt, third.first_attempt_at) == (3, 3, first_send)


async def test_the_window_on_the_lease_is_the_one_the_audit_trail_shows(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    accepted = await store.accept(submission())
    await fail(store, clock, await lease_one(store, clock), "held")
    clock.advance(hours=2)
    await store.release_facility("01001", "ops:lan", "login works again")
    released_at = clock()
    await fail(store, clock, await lease_one(store, clock), "retry")
    clock.advance(minutes=2)
    lease = await lease_one(store, clock)
    window = retry_window(await store.history(accepted.message_id), clock())
    assert (lease.retry_attempt, lease.first_attempt_at) == (window.attempt + 1, window.started_at)
    assert lease.first_attempt_at == released_at and lease.attempt == 3  # attempts count on


async def test_a_crashed_send_counts_in_the_window(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission())
    crashed = await lease_one(store, clock, seconds=30)
    sent_at = clock()
    assert await store.mark_sending(crashed)
    clock.advance(seconds=31)
    again = await lease_one(store, clock, "w2")
    assert again.resend and again.retry_attempt == 2 and again.first_attempt_at == sent_at


async def test_a_replay_starts_a_new_retry_window(store: SqliteOutboxStore, clock: FakeClock) -> None:
    accepted = await store.accept(submission())
    await fail(store, clock, await lease_one(store, clock), "retry")
    clock.advance(minutes=1)
    await fail(store, clock, await lease_one(store, clock), "dead")
    clock.advance(days=3)
    await store.replay(accepted.message_id, "ops:lan", "portal fixed")
    lease = await lease_one(store, clock)
    assert (lease.retry_attempt, lease.first_attempt_at, lease.attempt) == (1, None, 1)
    replayed_send = clock()
    await fail(store, clock, lease, "retry")
    clock.advance(minutes=1)
    assert (await lease_one(store, clock)).first_attempt_at == replayed_send


async def test_a_retry_put_off_before_sending_does_not_open_the_window(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    await store.accept(submission())
    lease = await lease_one(store, clock)
    assert await store.record_outcome(lease, Outcome.retry(clock() + timedelta(seconds=10), "circuit.open", "later"))
    clock.advance(seconds=10)
    again = await lease_one(store, clock)
    assert (again.retry_attempt, again.first_attempt_at) == (1, None)


async def test_a_lease_skips_the_excluded_facilities(store: SqliteOutboxStore, clock: FakeClock) -> None:
    north = await store.accept(submission(("LK1",), "a", facility="01001"))
    south = await store.accept(submission(("LK1",), "b", facility="79001"))
    leases = await store.lease("w1", clock(), 10, 60, exclude_facilities=frozenset({"01001"}))
    assert [lease.message_id for lease in leases] == [south.message_id]
    message = await store.get(north.message_id)
    assert message is not None and message.state is State.QUEUED and message.due_at == clock()
    assert await leased_ids(store, clock) == [north.message_id]


async def test_excluding_every_facility_leases_nothing_and_changes_nothing(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    accepted = await store.accept(submission())
    before = await store.history(accepted.message_id)
    assert await store.lease("w1", clock(), 10, 60, exclude_facilities=["01001", "79001"]) == []
    assert await store.history(accepted.message_id) == before
