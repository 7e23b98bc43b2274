"""Idempotency-Key: the same key and body get the original answer for 24 hours."""

from __future__ import annotations

import pytest

from gateway.outbox import IdempotencyConflict, State
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, submission


async def test_same_key_and_body_returns_the_original_answer(store: SqliteOutboxStore) -> None:
    first = await store.accept(submission(idempotency_key="k-1"))
    again = await store.accept(submission(idempotency_key="k-1"))
    assert again == first
    assert [r.action for r in await store.history(first.message_id)] == ["accepted"]


async def test_same_key_with_another_body_is_a_conflict(store: SqliteOutboxStore) -> None:
    await store.accept(submission(content="v1", idempotency_key="k-1"))
    with pytest.raises(IdempotencyConflict) as caught:
        await store.accept(submission(content="v2", idempotency_key="k-1"))
    assert caught.value.code == "idempotency.conflict"


async def test_same_key_with_another_signature_is_a_conflict(store: SqliteOutboxStore) -> None:
    await store.accept(submission(content="v1", idempotency_key="k-1"))
    with pytest.raises(IdempotencyConflict):
        await store.accept(submission(content="v1", signature="other", idempotency_key="k-1"))


async def test_a_conflict_changes_nothing(store: SqliteOutboxStore) -> None:
    first = await store.accept(submission(content="v1", idempotency_key="k-1"))
    with pytest.raises(IdempotencyConflict):
        await store.accept(submission(content="v2", idempotency_key="k-1"))
    message = await store.get(first.message_id)
    assert message is not None and message.state is State.QUEUED
    page = await store.list_messages()
    assert [m.message_id for m in page.items] == [first.message_id]


async def test_keys_are_scoped_to_the_submitter(store: SqliteOutboxStore) -> None:
    one = await store.accept(submission(facility="01001", idempotency_key="k-1"))
    other = await store.accept(submission(facility="79001", content="other", idempotency_key="k-1"))
    assert other.message_id != one.message_id


async def test_keys_expire_after_24_hours(store: SqliteOutboxStore, clock: FakeClock) -> None:
    first = await store.accept(submission(content="v1", idempotency_key="k-1"))
    clock.advance(hours=24, seconds=1)
    second = await store.accept(submission(content="v2", idempotency_key="k-1"))
    assert second.message_id != first.message_id and second.version == 2


async def test_lookup_answers_before_parsing(store: SqliteOutboxStore, clock: FakeClock) -> None:
    sub = submission(idempotency_key="k-1")
    assert await store.idempotency_lookup(sub.submitter, "k-1", sub.content) is None
    first = await store.accept(sub)
    assert await store.idempotency_lookup(sub.submitter, "k-1", sub.content) == first
    with pytest.raises(IdempotencyConflict):
        await store.idempotency_lookup(sub.submitter, "k-1", b"another body")
    clock.advance(hours=25)
    assert await store.idempotency_lookup(sub.submitter, "k-1", sub.content) is None


async def test_prune_forgets_expired_keys(store: SqliteOutboxStore, clock: FakeClock) -> None:
    await store.accept(submission(idempotency_key="k-1"))
    await store.accept(submission(content="v2", idempotency_key="k-2"))
    clock.advance(hours=30)
    result = await store.prune(clock())
    assert result.idempotency_keys_expired == 2
