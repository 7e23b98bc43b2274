"""Listing messages for the status API and operators; JSON log lines with MA_LK masked."""

from __future__ import annotations

import json
import logging

import pytest

from gateway.outbox import DocumentType, MessageFilter, OutboxInputError, State
from gateway.outbox.logs import mask_key
from gateway.outbox.sqlite_store import SqliteOutboxStore
from tests.outbox.conftest import FakeClock, submission
from tests.outbox.helpers import deliver, lease_one


async def test_list_pages_newest_first(store: SqliteOutboxStore) -> None:
    ids = [(await store.accept(submission((f"LK{n}",), str(n)))).message_id for n in range(5)]
    first = await store.list_messages(limit=2)
    assert [m.message_id for m in first.items] == ids[:-3:-1]
    second = await store.list_messages(cursor=first.next_cursor, limit=2)
    third = await store.list_messages(cursor=second.next_cursor, limit=2)
    assert [m.message_id for m in second.items + third.items] == ids[2::-1]
    assert third.next_cursor is None


async def test_list_filters_by_facility_state_type_and_key(store: SqliteOutboxStore, clock: FakeClock) -> None:
    a = await store.accept(submission(("LK1", "LK2"), "a"))
    await deliver(store, await lease_one(store, clock))
    b = await store.accept(submission(("LK2",), "b", document_type=DocumentType.CHECKIN))
    await store.accept(submission(("LK2",), "c", facility="79001"))
    delivered = await store.list_messages(MessageFilter(states=frozenset({State.DELIVERED})))
    assert [m.message_id for m in delivered.items] == [a.message_id]
    by_key = await store.list_messages(MessageFilter(facility="01001", key="LK2"))
    assert {m.message_id for m in by_key.items} == {a.message_id, b.message_id}
    checkins = await store.list_messages(MessageFilter(document_type=DocumentType.CHECKIN))
    assert [m.message_id for m in checkins.items] == [b.message_id]
    window = await store.list_messages(MessageFilter(received_from=clock(), received_to=clock()))
    assert window.items == ()


async def test_a_forged_cursor_is_refused(store: SqliteOutboxStore) -> None:
    with pytest.raises(OutboxInputError):
        await store.list_messages(cursor="not-a-cursor!")


async def test_state_changes_are_logged_as_json_with_ma_lk_masked(
    store: SqliteOutboxStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.outbox")
    accepted = await store.accept(submission(("HS2026001234",), "a"))
    await deliver(store, await lease_one(store, clock))
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "gateway.outbox"]
    transitions = [line for line in lines if line["event"] == "outbox.transition"]
    assert [(t["from_state"], t["to_state"]) for t in transitions] == [
        (None, "QUEUED"), ("QUEUED", "SENDING"), ("SENDING", "DELIVERED")]
    assert all(t["message_id"] == accepted.message_id for t in transitions)
    assert all(t["keys"] == ["HS********34"] for t in transitions)
    assert "HS2026001234" not in caplog.text and "GIAMDINHHS" not in caplog.text


def test_short_keys_are_masked_entirely() -> None:
    assert mask_key("LK1") == "***"
