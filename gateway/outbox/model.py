"""The outbox's values: message states and their transitions, what goes in and what comes out.

Everything here is a frozen value; the store implementations (SQLite now, PostgreSQL later)
take and return only these.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.outbox.errors import SUBMISSION_INVALID, OutboxInputError

Clock = Callable[[], datetime]  # returns an aware UTC datetime; injected everywhere


class State(enum.Enum):
    """Where a message stands. See TRANSITIONS for the allowed moves."""

    QUEUED = "QUEUED"  # accepted, waiting for a worker
    SENDING = "SENDING"  # a worker is (or was, if it crashed) sending it: outcome unknown
    RETRY_WAIT = "RETRY_WAIT"  # a transient failure: due again at `due_at`
    HELD = "HELD"  # the facility's portal credentials fail: parked until released
    DELIVERED = "DELIVERED"  # the portal answered 200: receipt (maGiaoDich) kept
    REFUSED = "REFUSED"  # the portal said no: final, reason kept
    DEAD = "DEAD"  # retries exhausted: final until an operator replays it
    SUPERSEDED = "SUPERSEDED"  # a newer version of the same document replaced it before delivery

    @property
    def pending(self) -> bool:
        """Still to be delivered: it blocks later documents sharing one of its MA_LK."""
        return self in PENDING_STATES

    @property
    def final(self) -> bool:
        return not self.pending


PENDING_STATES = frozenset({State.QUEUED, State.SENDING, State.RETRY_WAIT, State.HELD})

# (from, to) -> the operations that make the move. None is "not yet stored".
TRANSITIONS: dict[tuple[State | None, State], str] = {
    (None, State.QUEUED): "accept",
    (None, State.HELD): "accept (facility held)",
    (State.QUEUED, State.SENDING): "mark_sending",
    (State.RETRY_WAIT, State.SENDING): "mark_sending (a retry; audited as a re-send if the "
    "previous outcome is unknown)",
    (State.SENDING, State.DELIVERED): "record_outcome DELIVERED",
    (State.SENDING, State.REFUSED): "record_outcome REFUSED",
    (State.SENDING, State.RETRY_WAIT): "record_outcome RETRY / UNKNOWN; lease expired while "
    "sending (outcome unknown)",
    (State.SENDING, State.DEAD): "record_outcome DEAD; an unknown outcome when resend_on_unknown "
    "is off",
    (State.SENDING, State.HELD): "record_outcome HELD (credentials) or lease expired while the "
    "facility is held",
    (State.SENDING, State.SUPERSEDED): "outcome not final, or lease expired, and a newer version "
    "was accepted meanwhile",
    (State.QUEUED, State.RETRY_WAIT): "record_outcome RETRY before sending (e.g. token endpoint down)",
    (State.QUEUED, State.HELD): "hold_facility; record_outcome HELD before sending",
    (State.QUEUED, State.DEAD): "record_outcome DEAD before sending",
    (State.QUEUED, State.SUPERSEDED): "accept of a newer version",
    (State.RETRY_WAIT, State.RETRY_WAIT): "record_outcome RETRY before sending",
    (State.RETRY_WAIT, State.HELD): "hold_facility; record_outcome HELD before sending",
    (State.RETRY_WAIT, State.DEAD): "record_outcome DEAD before sending",
    (State.RETRY_WAIT, State.SUPERSEDED): "accept of a newer version",
    (State.HELD, State.QUEUED): "release_facility",
    (State.HELD, State.SUPERSEDED): "accept of a newer version",
    (State.DEAD, State.QUEUED): "replay by an operator (who and why audited)",
    (State.DEAD, State.HELD): "replay by an operator while the facility is held",
}


class DocumentType(enum.Enum):
    """The three kinds of document the gateway delivers (the validator's `document_type`)."""

    ENVELOPE = "envelope"  # GIAMDINHHS: XML1-XML11, XML13-XML15 per HOSO, keyed by MA_LK
    CHECKIN = "XML0"  # keyed by MA_LK
    ASSESSMENT = "XML12"  # keyed by SO_BIEN_BAN; facility = the authenticated submitter


@dataclass(frozen=True)
class Submission:
    """One received document, validated, ready to be made durable.

    `keys` is the MA_LK set (SO_BIEN_BAN for XML12); `content_digest` is
    gateway.signing.content_digest of the document (CHUKYDONVI emptied); `content` is the exact
    bytes received. `submitter` is the authenticated party (audited as "who").
    """

    facility: str
    document_type: DocumentType
    keys: tuple[str, ...]
    content_digest: str
    content: bytes
    submitter: str
    idempotency_key: str | None = None
    schema_version: str = "4750"

    def __post_init__(self) -> None:
        if not self.facility or not self.keys or not self.content_digest or not self.content:
            raise OutboxInputError(
                SUBMISSION_INVALID, "a submission needs a facility, keys, a content digest and content"
            )
        if any(not k for k in self.keys):
            raise OutboxInputError(SUBMISSION_INVALID, "an empty key in the key set")
        object.__setattr__(self, "keys", tuple(sorted(set(self.keys))))

    @property
    def body_sha256(self) -> str:
        """SHA-256 hex of the exact bytes received (the audit's "digest of what was received")."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Accepted:
    """The store's answer to `accept`: what the 202 says.

    `receipt_ref` is the hash of the audit record of the acceptance: the gateway's signed
    receipt quotes it, tying the receipt to the chain. `duplicate` is True when the same content
    was already the current version (the existing message is returned).
    """

    message_id: str
    state: State
    duplicate: bool
    receipt_ref: str
    version: int
    superseded_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lease:
    """A worker's right to send one message, until `expires_at`; `token` fences its outcome."""

    message_id: str
    worker_id: str
    token: int
    expires_at: datetime
    lease_seconds: float
    attempt: int  # the number of this attempt (1 for the first; counted again from 1 after a replay)
    resend: bool  # an earlier send's outcome is unknown: this send may duplicate it
    facility: str
    document_type: DocumentType
    keys: tuple[str, ...]
    content_digest: str
    content: bytes = field(repr=False)
    version: int
    schema_version: str
    received_at: datetime
    # The retry window (what the retry policy's attempt limit and deadline count): it starts at
    # the first send, and again after an operator's replay or the facility's release, so that
    # attempts met by an account refusal and time spent HELD are not held against the document.
    retry_attempt: int = 1  # this attempt's number in the window (1: the window starts now)
    first_attempt_at: datetime | None = None  # when the window's first send went out; None: not yet


class OutcomeKind(enum.Enum):
    """What a delivery attempt came to."""

    DELIVERED = "DELIVERED"  # portal 200: -> DELIVERED
    REFUSED = "REFUSED"  # portal said no (format, rules): -> REFUSED, final
    RETRY = "RETRY"  # transient, and the portal did not get it: -> RETRY_WAIT
    UNKNOWN = "UNKNOWN"  # sent, but no answer (timeout, reset): -> RETRY_WAIT, re-send audited
    HELD = "HELD"  # the facility's credentials fail: -> HELD, and the facility is held
    DEAD = "DEAD"  # the retry policy gave up: -> DEAD


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt, as the delivery worker saw it. Build with the class methods."""

    kind: OutcomeKind
    receipt: str | None = None  # maGiaoDich
    portal_time: str | None = None  # thoiGianTiepNhan, as the portal wrote it (yyyyMMddHHmmss)
    code: str | None = None  # the portal's maKetQua, or our error code
    reason: str | None = None
    answer: bytes | None = field(default=None, repr=False)  # the portal's raw answer (audited)
    retry_at: datetime | None = None

    @classmethod
    def delivered(cls, receipt: str, portal_time: str | None, answer: bytes | None = None) -> Outcome:
        return cls(OutcomeKind.DELIVERED, receipt=receipt, portal_time=portal_time, code="200", answer=answer)

    @classmethod
    def refused(cls, code: str, reason: str, answer: bytes | None = None) -> Outcome:
        return cls(OutcomeKind.REFUSED, code=code, reason=reason, answer=answer)

    @classmethod
    def retry(cls, retry_at: datetime, code: str, reason: str, answer: bytes | None = None) -> Outcome:
        return cls(OutcomeKind.RETRY, code=code, reason=reason, answer=answer, retry_at=retry_at)

    @classmethod
    def unknown(cls, retry_at: datetime, code: str, reason: str) -> Outcome:
        return cls(OutcomeKind.UNKNOWN, code=code, reason=reason, retry_at=retry_at)

    @classmethod
    def held(cls, code: str, reason: str, answer: bytes | None = None) -> Outcome:
        return cls(OutcomeKind.HELD, code=code, reason=reason, answer=answer)

    @classmethod
    def dead(cls, code: str, reason: str, answer: bytes | None = None) -> Outcome:
        return cls(OutcomeKind.DEAD, code=code, reason=reason, answer=answer)
