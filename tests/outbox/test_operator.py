"""Operator actions: hold and release a facility, replay a DEAD message (who and why kept)."""

from __future__ import annotations

import pytest

from gateway.outbox import OutboxInputError, State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, submission
from tests.outbox.helpers import deliver, fail, lease_one, leased_ids


async def test_holding_a_facility_parks_its_queue_and_release_resumes_it(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    a = await store.accept(submission(("LK1",), "a"))
    assert await store.hold_facility("01001", "ops:lan", "password rotated at the portal") == 1
    assert await leased_ids(store, clock) == []
    assert await store.release_facility("01001", "ops:lan", "new password configured") == 1
    assert await leased_ids(store, clock) == [a.message_id]
    records = [(r.action, r.actor) for r in await store.history(a.message_id)]
    assert records == [("accepted", "facility:01001"), ("held", "ops:lan"), ("released", "ops:lan")]


async def test_a_leased_message_of_a_held_facility_is_not_sent(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission())
    lease = await lease_one(store, clock)
    await store.hold_facility("01001", "ops:lan", "credentials")
    assert not await store.mark_sending(lease)


async def test_operator_actions_need_who_and_why(store: SqliteOutboxStore) -> None:
    with pytest.raises(OutboxInputError):
        await store.hold_facility("01001", "ops:lan", " ")
    with pytest.raises(OutboxInputError):
        await store.replay("01ABC", "", "because")


async def test_replay_requeues_a_dead_message_and_records_who_and_why(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    accepted = await store.accept(submission())
    await fail(store, clock, await lease_one(store, clock), "dead")
    message = await store.replay(accepted.message_id, "ops:lan", "portal outage is over (ticket 42)")
    assert message.state is State.QUEUED and message.attempts == 0
    record = (await store.history(accepted.message_id))[-1]
    assert (record.action, record.actor, record.from_state, record.to_state) == ("replay", "ops:lan", "DEAD", "QUEUED")
    assert record.detail_dict()["reason"] == "portal outage is over (ticket 42)"
    assert await leased_ids(store, clock) == [accepted.message_id]


async def test_only_a_dead_message_can_be_replayed(store: SqliteOutboxStore) -> None:
    accepted = await store.accept(submission())
    with pytest.raises(OutboxInputError) as caught:
        await store.replay(accepted.message_id, "ops:lan", "why not")
    assert caught.value.code == "outbox.invalid_transition"
    with pytest.raises(OutboxInputError) as missing:
        await store.replay("01NOSUCHMESSAGE00000000000", "ops:lan", "why not")
    assert missing.value.code == "outbox.not_found"


async def test_replay_of_an_old_version_after_a_newer_one_is_refused(store: SqliteOutboxStore, clock: FakeClock) -> None:
    v1 = await store.accept(submission(content="v1"))
    await fail(store, clock, await lease_one(store, clock), "dead")
    await store.accept(submission(content="v2"))
    with pytest.raises(OutboxInputError) as caught:
        await store.replay(v1.message_id, "ops:lan", "retry it")
    assert caught.value.code == "outbox.replay_refused"


async def test_replay_after_a_later_overlapping_document_was_delivered_is_refused(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    a = await store.accept(submission(("LK1", "LK2"), "a"))
    await fail(store, clock, await lease_one(store, clock), "dead")
    await store.accept(submission(("LK2", "LK3"), "b"))
    await deliver(store, await lease_one(store, clock))
    with pytest.raises(OutboxInputError) as caught:
        await store.replay(a.message_id, "ops:lan", "retry it")
    assert caught.value.code == "outbox.replay_refused"


async def test_replay_before_a_later_overlapping_document_was_sent_goes_first(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    a = await store.accept(submission(("LK1", "LK2"), "a"))
    await fail(store, clock, await lease_one(store, clock), "dead")
    await store.hold_facility("01001", "ops:lan", "credentials")
    b = await store.accept(submission(("LK2", "LK3"), "b"))
    await store.release_facility("01001", "ops:lan", "fixed")
    await store.replay(a.message_id, "ops:lan", "retry it")
    assert await leased_ids(store, clock) == [a.message_id]
    message = await store.get(b.message_id)
    assert message is not None and message.state is State.QUEUED
