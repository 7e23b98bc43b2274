"""The group-commit writer: many operations, few commits; one failure fails only its caller."""

from __future__ import annotations

import asyncio

import pytest

from gateway.outbox import IdempotencyConflict, State, StoreUnavailable
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import StoreFactory, submission


async def test_concurrent_accepts_share_commits(store: SqliteOutboxStore) -> None:
    before = store.commits
    results = await asyncio.gather(*(store.accept(submission((f"LK{n}",), str(n))) for n in range(200)))
    assert len({r.message_id for r in results}) == 200
    assert store.commits - before < 200


async def test_a_failing_operation_does_not_fail_its_group(store: SqliteOutboxStore) -> None:
    await store.accept(submission(content="v1", idempotency_key="k"))
    outcomes = await asyncio.gather(
        store.accept(submission(("LK2",), "a")),
        store.accept(submission(content="v2", idempotency_key="k")),
        store.accept(submission(("LK3",), "b")),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], IdempotencyConflict)
    for accepted in (outcomes[0], outcomes[2]):
        assert not isinstance(accepted, BaseException) and accepted.state is State.QUEUED
        assert await store.get(accepted.message_id) is not None


async def test_a_closed_store_refuses_work(open_test_store: StoreFactory) -> None:
    store = await open_test_store()
    await store.close()
    with pytest.raises(StoreUnavailable) as caught:
        await store.accept(submission())
    assert caught.value.code == "store.closed"
    with pytest.raises(StoreUnavailable):
        await store.get("01ANY")


async def test_reopening_continues_the_chain(open_test_store: StoreFactory) -> None:
    first = await open_test_store()
    accepted = await first.accept(submission())
    await first.close()
    second = await open_test_store()
    again = await second.accept(submission())
    assert again.duplicate and again.message_id == accepted.message_id
    records = await second.history(accepted.message_id)
    assert [r.seq for r in records] == [1, 2] and records[1].prev_hash == records[0].hash
