"""The CPU-bound checks of one received document, and the signing of its receipt: what runs off
the event loop (cpu.py decides where: a worker process by default, or a thread).

    safe parse -> the submitter may submit it (403) -> validate (422) -> the facility's
    signature policy (422) -> content digest

No I/O, no store: bytes in, an `Examined` value (or a coded ApiError) out, so the same code runs
in the gateway process or in its worker process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from gateway.http.errors import DOCUMENT_INVALID, INBOX_FACILITY, WRONG_FACILITY, ApiError
from gateway.outbox import DocumentType, Message
from gateway.signing import (
    FacilityPolicies,
    PolicyOutcome,
    Receipt,
    SignatureRejected,
    Signer,
    SigningError,
    SigningFault,
    TrustStore,
    apply_policy,
    content_digest,
    sign_receipt,
)
from gateway.signing.certutil import utc
from gateway.xml.dossier import DocumentKind, ParsedDocument, parse_document
from gateway.xml.errors import XmlInputError
from gateway.xml.report import Report
from gateway.xml.safe import ParseLimits
from gateway.xml.validate import validate_parsed

_TYPES = {
    DocumentKind.ENVELOPE: DocumentType.ENVELOPE,
    DocumentKind.CHECKIN: DocumentType.CHECKIN,
    DocumentKind.ASSESSMENT: DocumentType.ASSESSMENT,
}
_SIZE_CODES = frozenset({"xml.too_large", "xml.too_many_elements"})


@dataclass(frozen=True)
class Examined:
    """A document that passed every check before the commit (picklable)."""

    facility: str
    document_type: DocumentType
    report: Report
    outcome: PolicyOutcome
    digest: str
    seconds: float = 0.0  # CPU-bound time spent on it


def receipt_of(message: Message) -> Receipt:
    """The gateway's receipt for a stored message (so GET answers the same receipt as the 202).

    For XML12 the key list holds SO_BIEN_BAN (it has no MA_LK); under `delegated` signing the
    digest is that of the document as signed on the facility's behalf (what is stored and sent).
    """
    return Receipt(
        message.message_id,
        message.facility,
        tuple(sorted(message.keys)),
        message.body_sha256,
        utc(message.received_at).replace(microsecond=0),
    )


def named_facilities(parsed: ParsedDocument) -> set[str]:
    """The facility codes a document names: the envelope's MACSKCB, every XML0 record's
    MA_CSKCB; XML12 names none."""
    if parsed.kind is DocumentKind.ENVELOPE:
        path = "THONGTINDONVI/MACSKCB"
    elif parsed.kind is DocumentKind.CHECKIN:
        path = ".//TRANG_THAI_KCB/MA_CSKCB"
    else:
        return set()
    return {(el.text or "").strip() for el in parsed.root.iterfind(path)} - {""}


class Examiner:
    """Checks documents and signs receipts with the trust, keys and policies it was built with."""

    def __init__(
        self, trust: TrustStore, signer: Signer, policies: FacilityPolicies, limits: ParseLimits, schema_version: str
    ) -> None:
        self._trust = trust
        self._signer = signer
        self._policies = policies
        self._limits = limits
        self._version = schema_version

    def examine(self, body: bytes, facility: str | None, at: datetime) -> Examined:
        """Check one document received from `facility` at time `at` (see the module docstring).

        `facility` None: a watched folder without a facility; the document's own is taken.
        Raises ApiError: 400 (`xml.*`, `document.unknown_root`), 413 (`xml.too_large`,
        `xml.too_many_elements`), 403 `auth.wrong_facility`, 422 (`document.invalid` with the
        report, `signature.*`, `inbox.facility_unknown`), 500 (`signing.*`: our keys).
        """
        started = time.process_time()
        try:
            parsed = parse_document(body, self._limits)
        except XmlInputError as exc:
            status = 413 if exc.code in _SIZE_CODES else 400
            raise ApiError(status, exc.code, exc.message, extra={"line": exc.line}) from None
        document_type = _TYPES[parsed.kind]
        owner = self._owner(parsed, facility, document_type)
        report = validate_parsed(parsed, version=self._version)
        if not report.valid:
            raise ApiError(
                422,
                DOCUMENT_INVALID,
                f"the document has {len(report.errors)} error(s); see report",
                # The answer goes to the facility that sent the data: values unmasked.
                extra={"report": report.to_json(masked=False)},
                document_type=document_type.value,
            )
        try:
            outcome = apply_policy(parsed, self._policies.for_facility(owner), owner, self._trust, self._signer, at)
        except SigningFault as exc:
            raise ApiError(500, exc.code, "the gateway cannot apply this facility's signature policy",
                           document_type=document_type.value) from None
        except (SignatureRejected, SigningError) as exc:
            raise ApiError(422, exc.code, exc.message, document_type=document_type.value) from None
        digest = content_digest(parsed)
        return Examined(owner, document_type, report, outcome, digest, time.process_time() - started)

    def sign_receipt(self, receipt: Receipt) -> bytes:
        """The signed receipt. Raises SigningError when the gateway key cannot sign."""
        return sign_receipt(receipt, self._signer)

    def _owner(self, parsed: ParsedDocument, facility: str | None, document_type: DocumentType) -> str:
        named = named_facilities(parsed)
        if facility is not None:
            others = named - {facility}
            if others:
                raise ApiError(
                    403,
                    WRONG_FACILITY,
                    f"the document names facility {', '.join(sorted(others))}; "
                    f"you are authenticated as {facility}",
                    document_type=document_type.value,
                )
            return facility
        if len(named) == 1:
            return next(iter(named))
        if not named and document_type is DocumentType.ASSESSMENT:
            raise ApiError(422, INBOX_FACILITY, "an XML12 document names no facility, and this "
                           "watched folder has no facility configured ([inbox] facility)",
                           document_type=document_type.value)
        # None or several: the validator reports the missing or inconsistent code.
        return "" if not named else sorted(named)[0]
