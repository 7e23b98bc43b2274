"""Leasing, sending and recording outcomes: order per MA_LK, fencing, re-sends."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from gateway.outbox import OutboxInputError, Outcome, State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, StoreFactory, submission
from tests.outbox.helpers import deliver, fail, lease_one, leased_ids


async def test_lease_hands_out_due_messages_once(store: SqliteOutboxStore, clock: FakeClock) -> None:
    a = await store.accept(submission(("LK1",), "a"))
    b = await store.accept(submission(("LK2",), "b"))
    assert await leased_ids(store, clock, limit=1) == [a.message_id]
    assert await leased_ids(store, clock, "w2") == [b.message_id]
    assert await leased_ids(store, clock, "w3") == []


async def test_lease_carries_the_exact_bytes_received(store: SqliteOutboxStore, clock: FakeClock) -> None:
    sub = submission()
    await store.accept(sub)
    lease = await lease_one(store, clock)
    assert lease.content == sub.content and lease.attempt == 1 and not lease.resend


async def test_a_newer_version_waits_until_the_version_in_flight_is_resolved(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    await store.accept(submission(content="v1"))
    first = await lease_one(store, clock)
    assert await store.mark_sending(first)
    v2 = await store.accept(submission(content="v2"))
    assert v2.superseded_ids == ()  # v1 is on the wire: it cannot be taken back
    assert await leased_ids(store, clock, "w2") == []
    assert await store.record_outcome(first, Outcome.delivered("GD-1", "20260304090000"))
    assert await leased_ids(store, clock, "w2") == [v2.message_id]


async def test_an_old_version_that_fails_after_a_newer_arrived_is_superseded_not_retried(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    v1 = await store.accept(submission(content="v1"))
    first = await lease_one(store, clock)
    assert await store.mark_sending(first)
    v2 = await store.accept(submission(content="v2"))
    assert await store.record_outcome(first, Outcome.retry(clock() + timedelta(minutes=1), "503", "busy"))
    old = await store.get(v1.message_id)
    assert old is not None and old.state is State.SUPERSEDED and old.superseded_by == v2.message_id
    assert await leased_ids(store, clock) == [v2.message_id]


async def test_overlapping_documents_go_out_in_acceptance_order_per_shared_ma_lk(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    a = await store.accept(submission(("LK1", "LK2"), "a"))
    b = await store.accept(submission(("LK2", "LK3"), "b"))
    c = await store.accept(submission(("LK3",), "c"))
    d = await store.accept(submission(("LK4",), "d"))
    leases = await store.lease("w1", clock(), 10, 60)
    assert [x.message_id for x in leases] == [a.message_id, d.message_id]
    await deliver(store, leases[0])
    await deliver(store, leases[1])
    assert await leased_ids(store, clock) == [b.message_id]
    assert await leased_ids(store, clock) == []
    clock.advance(minutes=2)  # b's lease expires unsent: it is simply leased again
    [again] = await store.lease("w2", clock(), 10, 60)
    assert again.message_id == b.message_id and not again.resend
    await deliver(store, again)
    assert await leased_ids(store, clock) == [c.message_id]


async def test_a_message_waiting_to_retry_holds_back_later_ones_of_its_ma_lk(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    a = await store.accept(submission(("LK1", "LK2"), "a"))
    b = await store.accept(submission(("LK2",), "b"))
    await fail(store, clock, await lease_one(store, clock), "retry")
    assert await leased_ids(store, clock) == []
    clock.advance(minutes=1)
    assert await leased_ids(store, clock) == [a.message_id]
    message = await store.get(b.message_id)
    assert message is not None and message.state is State.QUEUED


async def test_a_worker_that_lost_its_lease_cannot_record_an_outcome(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    accepted = await store.accept(submission())
    stale = await lease_one(store, clock, "w1", seconds=30)
    clock.advance(seconds=31)
    fresh = await lease_one(store, clock, "w2")
    assert fresh.token > stale.token
    assert not await store.mark_sending(stale)
    assert not await store.record_outcome(stale, Outcome.delivered("GD-late", None, b"{}"))
    assert await store.mark_sending(fresh)
    message = await store.get(accepted.message_id)
    assert message is not None and message.state is State.SENDING
    fenced = [r for r in await store.history(accepted.message_id) if r.action == "outcome_fenced"]
    assert fenced and fenced[0].actor == "w1" and fenced[0].detail_dict()["receipt"] == "GD-late"


async def test_a_crash_after_sending_leads_to_an_audited_resend(store: SqliteOutboxStore, clock: FakeClock) -> None:
    accepted = await store.accept(submission())
    crashed = await lease_one(store, clock, "w1", seconds=30)
    assert await store.mark_sending(crashed)
    clock.advance(seconds=31)  # w1 died after sending: nobody knows if the portal got it
    retry = await lease_one(store, clock, "w2")
    assert retry.resend and retry.attempt == 2
    assert await store.mark_sending(retry)
    history = await store.history(accepted.message_id)
    assert [(r.action, r.from_state, r.to_state) for r in history] == [
        ("accepted", None, "QUEUED"),
        ("send", "QUEUED", "SENDING"),
        ("lease_expired", "SENDING", "RETRY_WAIT"),
        ("resend", "RETRY_WAIT", "SENDING"),
    ]
    assert "unknown" in history[-1].detail_dict()["reason"]


async def test_an_unknown_outcome_makes_the_next_send_a_resend(store: SqliteOutboxStore, clock: FakeClock) -> None:
    accepted = await store.accept(submission())
    await fail(store, clock, await lease_one(store, clock), "unknown")
    clock.advance(minutes=1)
    assert await store.mark_sending(await lease_one(store, clock))
    actions = [r.action for r in await store.history(accepted.message_id)]
    assert actions == ["accepted", "send", "outcome.UNKNOWN", "resend"]


async def test_a_known_failure_makes_the_next_send_an_ordinary_retry(store: SqliteOutboxStore, clock: FakeClock) -> None:
    accepted = await store.accept(submission())
    await fail(store, clock, await lease_one(store, clock), "retry")
    clock.advance(minutes=1)
    lease = await lease_one(store, clock)
    assert not lease.resend and await store.mark_sending(lease)
    assert [r.action for r in await store.history(accepted.message_id)][-1] == "send"


async def test_delivered_keeps_the_receipt_and_the_portal_answer(store: SqliteOutboxStore, clock: FakeClock) -> None:
    accepted = await store.accept(submission())
    lease = await lease_one(store, clock)
    answer = json.dumps({"maKetQua": "200", "maGiaoDich": "GD-9", "thoiGianTiepNhan": "20260304090102"}).encode()
    assert await store.mark_sending(lease, hashlib.sha256(b"the form body").hexdigest())
    assert await store.record_outcome(lease, Outcome.delivered("GD-9", "20260304090102", answer))
    message = await store.get(accepted.message_id)
    assert message is not None
    assert (message.state, message.receipt, message.portal_time) == (State.DELIVERED, "GD-9", "20260304090102")
    assert message.delivered_at == clock()
    send, outcome = (await store.history(accepted.message_id))[1:]
    assert send.body_digest == hashlib.sha256(b"the form body").hexdigest()
    assert outcome.detail_dict()["answer"] == answer.decode()
    assert outcome.detail_dict()["answer_sha256"] == hashlib.sha256(answer).hexdigest()


async def test_delivered_without_sending_is_refused(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission())
    lease = await lease_one(store, clock)
    with pytest.raises(OutboxInputError) as caught:
        await store.record_outcome(lease, Outcome.delivered("GD-1", None))
    assert caught.value.code == "outbox.invalid_transition"


async def test_failing_credentials_hold_the_facility_not_retry_it_to_death(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    first = await store.accept(submission(("LK1",), "a"))
    second = await store.accept(submission(("LK2",), "b"))
    other = await store.accept(submission(("LK1",), "c", facility="79001"))
    await fail(store, clock, await lease_one(store, clock), "held")
    states = {m.message_id: m.state for m in (await store.list_messages()).items}
    assert states[first.message_id] is State.HELD and states[second.message_id] is State.HELD
    assert states[other.message_id] is State.QUEUED
    late = await store.accept(submission(("LK3",), "d"))
    assert late.state is State.HELD
    assert await leased_ids(store, clock) == [other.message_id]


async def test_an_expired_send_of_an_old_version_is_superseded_by_the_newer(
    store: SqliteOutboxStore, clock: FakeClock
) -> None:
    v1 = await store.accept(submission(content="v1"))
    assert await store.mark_sending(await lease_one(store, clock, seconds=30))
    v2 = await store.accept(submission(content="v2"))
    clock.advance(seconds=31)
    assert await leased_ids(store, clock) == [v2.message_id]
    old = await store.get(v1.message_id)
    assert old is not None and old.state is State.SUPERSEDED and old.outcome_unknown


async def test_a_message_superseded_while_leased_must_not_be_sent(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission(content="v1"))
    lease = await lease_one(store, clock)
    await store.accept(submission(content="v2"))
    assert not await store.mark_sending(lease)


async def test_a_lease_can_be_extended_while_it_is_held(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission())
    lease = await lease_one(store, clock, seconds=30)
    assert await store.mark_sending(lease)
    clock.advance(seconds=25)
    longer = await store.extend_lease(lease, 120)
    assert longer is not None and longer.expires_at == clock() + timedelta(seconds=120)
    clock.advance(seconds=60)
    assert await leased_ids(store, clock, "w2") == []
    assert await store.record_outcome(lease, Outcome.delivered("GD-1", None))


async def test_extending_a_lost_lease_fails(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission())
    lease = await lease_one(store, clock, seconds=30)
    clock.advance(seconds=31)
    await lease_one(store, clock, "w2")
    assert await store.extend_lease(lease, 60) is None


async def test_without_resend_on_unknown_an_unknown_outcome_waits_for_an_operator(
    open_test_store: StoreFactory, clock: FakeClock
) -> None:
    store = await open_test_store(resend_on_unknown=False)
    accepted = await store.accept(submission(("LK1",), "a"))
    crashed = await store.accept(submission(("LK2",), "b"))
    await fail(store, clock, await lease_one(store, clock), "unknown")
    assert await store.mark_sending(await lease_one(store, clock, seconds=30))
    clock.advance(seconds=31)
    assert await leased_ids(store, clock) == []
    for message_id in (accepted.message_id, crashed.message_id):
        message = await store.get(message_id)
        assert message is not None and message.state is State.DEAD and message.outcome_unknown
    replayed = await store.replay(crashed.message_id, "ops:lan", "checked the portal: not received")
    assert replayed.state is State.QUEUED
    assert await store.mark_sending(await lease_one(store, clock))
    assert (await store.history(crashed.message_id))[-1].action == "resend"
