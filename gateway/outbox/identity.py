"""Message identity and ids.

A message is identified by (facility, document type, sorted key set, content digest):

- the key set is the document's MA_LK values; XML12 carries no MA_LK and no facility code, so
  its keys are the SO_BIEN_BAN of its records and its facility is the authenticated submitter;
- the content digest is gateway.signing.content_digest (CHUKYDONVI emptied), so the same dossier
  signed again is the same message.

Same facility, type and key set with another digest is a new *version* of that document.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime

from gateway.outbox.errors import SUBMISSION_INVALID, OutboxInputError
from gateway.outbox.model import DocumentType, Submission
from gateway.signing.content import content_digest as digest_of
from gateway.xml.dossier import DocumentKind, ParsedDocument
from gateway.xml.report import Report

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # 10 bits -> 2 characters
_KEYSET = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_KIND_TO_TYPE = {
    DocumentKind.ENVELOPE: DocumentType.ENVELOPE,
    DocumentKind.CHECKIN: DocumentType.CHECKIN,
    DocumentKind.ASSESSMENT: DocumentType.ASSESSMENT,
}


def new_message_id(now: datetime, random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, in Crockford's base32 (26
    characters, ascending ASCII, so ids sort by time of acceptance to the millisecond);
    unguessable."""
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | int.from_bytes(random_bytes(10), "big")
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in range(120, -1, -10)])


def keyset_text(keys: Iterable[str]) -> str:
    """The stored form of a key set: a JSON array of the sorted distinct keys."""
    return _KEYSET.encode(sorted(set(keys)))


def keys_from_text(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def submission_from_document(
    doc: ParsedDocument,
    report: Report,
    *,
    submitter: str,
    submitter_facility: str | None = None,
    content_digest: str | None = None,
    idempotency_key: str | None = None,
) -> Submission:
    """The Submission for a validated document.

    `submitter_facility` is the authenticated facility: required for XML12 (which names none),
    ignored otherwise. `content_digest` defaults to gateway.signing.content_digest(doc).
    Raises OutboxInputError `submission.invalid` for an invalid report, an XML12 without a
    submitter facility, or a document without keys.
    """
    if not report.valid:
        raise OutboxInputError(SUBMISSION_INVALID, "only a valid document can be accepted")
    document_type = _KIND_TO_TYPE[doc.kind]
    if document_type is DocumentType.ASSESSMENT:
        facility = submitter_facility
    else:
        facility = doc.facility or report.facility
    if not facility:
        raise OutboxInputError(SUBMISSION_INVALID, "the document's facility is not known")
    if content_digest is None:
        content_digest = digest_of(doc)
    return Submission(
        facility=facility,
        document_type=document_type,
        keys=tuple(report.ma_lk),
        content_digest=content_digest,
        content=doc.raw,
        submitter=submitter,
        idempotency_key=idempotency_key,
        schema_version=report.schema_version or "4750",
    )
