"""Idempotency-Key: same key and body give the original answer; same key, other body is 409."""

from __future__ import annotations

from .support import Documents, Gateway


async def test_the_same_key_and_body_return_the_original_answer(gateway: Gateway, documents: Documents) -> None:
    first = await gateway.submit(documents.envelope(20), key="k-20")
    again = await gateway.submit(documents.envelope(20), key="k-20")
    assert first.status == again.status == 202
    assert again.body["id"] == first.body["id"]
    assert again.body["duplicate"] is False  # the original answer, not a new duplicate
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers


async def test_the_same_key_with_another_body_is_a_conflict(gateway: Gateway, documents: Documents) -> None:
    assert (await gateway.submit(documents.envelope(21), key="k-21")).status == 202
    reply = await gateway.submit(documents.envelope(22), key="k-21")
    assert reply.status == 409 and reply.body["code"] == "idempotency.conflict"


async def test_keys_belong_to_their_facility(gateway: Gateway, documents: Documents) -> None:
    mine = await gateway.submit(documents.envelope(23), key="shared-key")
    theirs = await gateway.submit(documents.envelope(23, "79001"), "79001", key="shared-key")
    assert mine.status == theirs.status == 202
    assert mine.body["id"] != theirs.body["id"]


async def test_a_malformed_key_is_refused(gateway: Gateway, documents: Documents) -> None:
    reply = await gateway.submit(documents.envelope(24), key="with space")
    assert reply.status == 400 and reply.body["code"] == "idempotency.key_invalid"


async def test_without_a_key_a_resubmission_is_the_existing_message(gateway: Gateway, documents: Documents) -> None:
    first = await gateway.submit(documents.envelope(25))
    second = await gateway.submit(documents.envelope(25), key="late-key")
    assert second.body["id"] == first.body["id"] and second.body["duplicate"] is True
