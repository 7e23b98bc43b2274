"""Accepting documents: durability answer, duplicates, versions, identity."""

from __future__ import annotations

import hashlib

import pytest

from gateway.outbox import DocumentType, OutboxInputError, State, Submission
from gateway.outbox.identity import new_message_id, submission_from_document
from gateway.outbox.sqlite_store import SqliteOutboxStore
from gateway.samples import generate
from gateway.signing.content import content_digest
from gateway.xml.dossier import parse_document
from gateway.xml.validate import validate_parsed
from tests.outbox.conftest import FakeClock, submission
from tests.outbox.helpers import deliver, fail, lease_one


async def test_accepted_message_is_queued_with_its_acceptance_audited(store: SqliteOutboxStore) -> None:
    sub = submission()
    accepted = await store.accept(sub)
    assert (accepted.state, accepted.duplicate, accepted.version) == (State.QUEUED, False, 1)
    message = await store.get(accepted.message_id)
    assert message is not None and message.state is State.QUEUED
    [record] = await store.history(accepted.message_id)
    assert record.action == "accepted" and record.to_state == "QUEUED"
    assert record.body_digest == hashlib.sha256(sub.content).hexdigest()
    assert record.hash == accepted.receipt_ref
    assert await store.payload(accepted.message_id) == sub.content


async def test_duplicate_submission_returns_existing_message(store: SqliteOutboxStore) -> None:
    first = await store.accept(submission(content="v1"))
    again = await store.accept(submission(content="v1", signature="re-signed"))
    assert again.duplicate and again.message_id == first.message_id
    assert again.receipt_ref == first.receipt_ref
    actions = [r.action for r in await store.history(first.message_id)]
    assert actions == ["accepted", "duplicate"]


async def test_new_content_is_a_new_version_that_supersedes_the_undelivered_one(store: SqliteOutboxStore) -> None:
    v1 = await store.accept(submission(content="v1"))
    v2 = await store.accept(submission(content="v2"))
    assert v2.version == 2 and v2.superseded_ids == (v1.message_id,)
    old = await store.get(v1.message_id)
    assert old is not None and old.state is State.SUPERSEDED and old.superseded_by == v2.message_id


async def test_new_version_leaves_a_delivered_version_delivered(store: SqliteOutboxStore, clock: FakeClock) -> None:
    v1 = await store.accept(submission(content="v1"))
    await deliver(store, await lease_one(store, clock))
    v2 = await store.accept(submission(content="v2"))
    assert v2.superseded_ids == ()
    old = await store.get(v1.message_id)
    assert old is not None and old.state is State.DELIVERED


async def test_overlapping_key_sets_supersede_nothing(store: SqliteOutboxStore) -> None:
    first = await store.accept(submission(("LK1", "LK2"), "a"))
    second = await store.accept(submission(("LK2", "LK3"), "b"))
    assert second.superseded_ids == () and second.version == 1
    old = await store.get(first.message_id)
    assert old is not None and old.state is State.QUEUED


@pytest.mark.parametrize("kind", ["refused", "dead"])
async def test_resubmission_of_refused_or_dead_document_is_a_new_attempt(
    store: SqliteOutboxStore, clock: FakeClock, kind: str
) -> None:
    first = await store.accept(submission(content="v1"))
    await fail(store, clock, await lease_one(store, clock), kind)
    again = await store.accept(submission(content="v1"))
    assert not again.duplicate and again.message_id != first.message_id
    assert again.state is State.QUEUED and again.version == 2


async def test_resubmitting_an_older_content_after_a_newer_version_is_a_new_version(store: SqliteOutboxStore) -> None:
    await store.accept(submission(content="v1"))
    v2 = await store.accept(submission(content="v2"))
    back = await store.accept(submission(content="v1"))
    assert not back.duplicate and back.version == 3 and back.superseded_ids == (v2.message_id,)


async def test_same_content_from_another_facility_is_another_message(store: SqliteOutboxStore) -> None:
    one = await store.accept(submission(facility="01001"))
    other = await store.accept(submission(facility="79001"))
    assert other.message_id != one.message_id and not other.duplicate


async def test_key_order_does_not_change_identity(store: SqliteOutboxStore) -> None:
    one = await store.accept(submission(("LK2", "LK1"), "x"))
    same = await store.accept(submission(("LK1", "LK2", "LK1"), "x"))
    assert same.duplicate and same.message_id == one.message_id


def test_submission_without_keys_is_refused() -> None:
    with pytest.raises(OutboxInputError) as caught:
        Submission("01001", DocumentType.ENVELOPE, (), "d", b"x", "s")
    assert caught.value.code == "submission.invalid"


def test_message_ids_sort_by_time_and_do_not_repeat(clock: FakeClock) -> None:
    earlier = [new_message_id(clock()) for _ in range(50)]
    clock.advance(milliseconds=1)
    later = new_message_id(clock())
    assert len(set(earlier)) == 50 and all(len(i) == 26 for i in earlier)
    assert all(i < later for i in earlier)


def test_envelope_identity_is_its_facility_and_ma_lk_set() -> None:
    envelope = generate(None, 1, seed=3, profile="small")[0]
    doc = parse_document(envelope.content)
    report = validate_parsed(doc)
    assert report.valid, report.codes()
    sub = submission_from_document(doc, report, submitter="facility:01001")
    assert sub.document_type is DocumentType.ENVELOPE
    assert sub.facility == doc.facility and sub.keys == tuple(sorted(report.ma_lk))
    assert sub.content_digest == content_digest(doc) and sub.content == doc.raw


def test_xml12_identity_is_the_submitter_and_its_so_bien_ban() -> None:
    files = generate(None, 25, seed=3, profile="small")
    assessment = next(f for f in files if f.kind == "XML12")
    doc = parse_document(assessment.content)
    report = validate_parsed(doc)
    assert report.valid, report.codes()
    with pytest.raises(OutboxInputError):
        submission_from_document(doc, report, submitter="facility:01001")
    sub = submission_from_document(doc, report, submitter="facility:01001", submitter_facility="01001")
    assert sub.document_type is DocumentType.ASSESSMENT and sub.facility == "01001"
    assert sub.keys and sub.keys == report.ma_lk  # SO_BIEN_BAN values
