"""Receipts: the gateway's signed acknowledgement of a submission.

A hospital keeps the receipt to prove what it handed over and when. The format (namespace
`urn:vn-health-insurance-gateway:receipt:1`, UTF-8, no whitespace between elements):

    <Receipt xmlns="urn:vn-health-insurance-gateway:receipt:1" version="1">
      <MessageId>...</MessageId>              the gateway's message id
      <Facility>01001</Facility>              the submitting facility (MACSKCB)
      <MaLkList><MA_LK>...</MA_LK>...</MaLkList>   every MA_LK of the submission, sorted
      <ReceivedSha256>hex</ReceivedSha256>    SHA-256 of the exact bytes received
      <ReceivedAt>2026-03-04T08:30:00Z</ReceivedAt>  time of receipt, UTC, seconds
      <ds:Signature>...</ds:Signature>        enveloped, by the gateway's own key
    </Receipt>

The signature follows the same closed profile as dossiers (one Reference URI="", enveloped +
C14N 1.0, RSA-SHA256 or ECDSA-SHA256, X509Data), but sits directly under the root. It must
chain to the trust directory's roots and its certificate must be one of the pinned
`receipt-signers/`. The chain is judged at ReceivedAt, so a receipt stays verifiable after
the gateway's certificate is renewed or expires.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from gateway.signing.certutil import fingerprint, parse_time, utc
from gateway.signing.errors import RECEIPT_MALFORMED, RECEIPT_SIGNER, SignatureRejected
from gateway.signing.sign import sign_element
from gateway.signing.signer import GATEWAY_KEY_ID, Signer
from gateway.signing.structure import locate_at_root
from gateway.signing.trust import TrustStore
from gateway.signing.verify import SignerInfo, check_signed_content, judge_signer
from gateway.xml.safe import parse_bytes

RECEIPT_NS = "urn:vn-health-insurance-gateway:receipt:1"
_R = "{" + RECEIPT_NS + "}"
_FIELDS = ("MessageId", "Facility", "MaLkList", "ReceivedSha256", "ReceivedAt")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Receipt:
    """What the gateway acknowledges having received."""

    message_id: str
    facility: str
    ma_lk: tuple[str, ...]
    received_sha256: str
    received_at: datetime

    @classmethod
    def for_submission(
        cls,
        message_id: str,
        facility: str,
        ma_lk: Iterable[str],
        received: bytes,
        received_at: datetime,
    ) -> Receipt:
        """The receipt for the exact bytes received (MA_LK sorted, time to the second, UTC)."""
        return cls(
            message_id,
            facility,
            tuple(sorted(set(ma_lk))),
            hashlib.sha256(received).hexdigest(),
            utc(received_at).replace(microsecond=0),
        )

    def to_xml(self) -> etree._Element:
        """The unsigned receipt element."""
        root = etree.Element(f"{_R}Receipt", nsmap={None: RECEIPT_NS}, version="1")
        etree.SubElement(root, f"{_R}MessageId").text = self.message_id
        etree.SubElement(root, f"{_R}Facility").text = self.facility
        listing = etree.SubElement(root, f"{_R}MaLkList")
        for value in self.ma_lk:
            etree.SubElement(listing, f"{_R}MA_LK").text = value
        etree.SubElement(root, f"{_R}ReceivedSha256").text = self.received_sha256
        etree.SubElement(root, f"{_R}ReceivedAt").text = utc(self.received_at).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        return root


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt whose signature, chain and signer were checked."""

    receipt: Receipt
    signer: SignerInfo


def sign_receipt(receipt: Receipt, signer: Signer, key_id: str = GATEWAY_KEY_ID) -> bytes:
    """The signed receipt document (UTF-8 bytes).

    Raises SigningInputError `signing.key_unknown` / `signing.key_mismatch`, SigningFault.
    """
    root = receipt.to_xml()
    return sign_element(root, root, signer, key_id)


def verify_receipt(data: bytes, trust: TrustStore, at: datetime | None = None) -> VerifiedReceipt:
    """Verify a receipt: signature, chain at ReceivedAt (or `at`), revocation, pinned signer.

    Raises SignatureRejected (`signature.*`, `receipt.malformed`, `receipt.unknown_signer`),
    gateway.xml.errors.XmlInputError when the bytes do not parse.
    """
    root = parse_bytes(data, what="receipt").getroot()
    if root.tag != f"{_R}Receipt":
        raise SignatureRejected(RECEIPT_MALFORMED, f"root element {root.tag} is not a receipt")
    parts = check_signed_content(root, locate_at_root)
    receipt = _read(root)  # only now: the content is proven to be what the gateway signed
    when = utc(at) if at is not None else receipt.received_at
    verified = judge_signer(parts, trust, when)
    if fingerprint(parts.leaf) not in trust.receipt_signers:
        raise SignatureRejected(
            RECEIPT_SIGNER,
            f"{parts.leaf.subject.rfc4514_string()} is not a "
            "gateway receipt signer (trust/receipt-signers/)",
        )
    return VerifiedReceipt(receipt, verified.signer_info(None, when))


def _read(root: etree._Element) -> Receipt:
    fields = [child for child in root.iterchildren(tag=etree.Element) if child.tag.startswith(_R)]
    if [etree.QName(child).localname for child in fields] != list(_FIELDS) or root.get(
        "version"
    ) != "1":
        raise SignatureRejected(
            RECEIPT_MALFORMED, f"a receipt has {', '.join(_FIELDS)} in this order"
        )
    message_id, facility, _listing, sha, received_at = (
        (child.text or "").strip() for child in fields
    )
    ma_lk = tuple((item.text or "").strip() for item in fields[2].iterchildren(f"{_R}MA_LK"))
    if not _HEX64.match(sha):
        raise SignatureRejected(RECEIPT_MALFORMED, "ReceivedSha256 is not 64 lowercase hex digits")
    try:
        when = parse_time(received_at)
    except ValueError:
        raise SignatureRejected(
            RECEIPT_MALFORMED, f"ReceivedAt {received_at!r} is not a time"
        ) from None
    return Receipt(message_id, facility, ma_lk, sha, when)
