"""Callback notices: the gateway tells a facility that one of its documents reached a final
state (DELIVERED, REFUSED, DEAD), signed with the gateway's own key like a receipt.

    <Notice xmlns="urn:vn-health-insurance-gateway:notice:1" version="1">
      <AuditRef>hash of the audit record of the change</AuditRef>
      <MessageId>...</MessageId><Facility>01001</Facility><DocumentType>envelope</DocumentType>
      <MaLkList><MA_LK>...</MA_LK></MaLkList>
      <State>DELIVERED</State><At>2026-03-04T08:30:00.000000Z</At>
      <MaGiaoDich>...</MaGiaoDich><ThoiGianTiepNhan>...</ThoiGianTiepNhan>   (DELIVERED)
      <Code>...</Code><Reason>...</Reason>                                   (REFUSED, DEAD)
      <ds:Signature>...</ds:Signature>      enveloped, directly under the root
    </Notice>

POSTed as `application/xml`. The signature follows the receipts' profile; a HIS checks it with
the gateway certificate it already pins for receipts (`verify_notice`, or
`xmlsec1 --verify --trusted-pem root-ca.pem --untrusted-pem intermediate-ca.pem notice.xml`).
`AuditRef` is unique per change: a HIS drops a notice it has seen (we send at least once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from gateway.outbox import Message
from gateway.signing import SignatureRejected, Signer, TrustStore
from gateway.signing.certutil import fingerprint, parse_time
from gateway.signing.errors import RECEIPT_MALFORMED, RECEIPT_SIGNER
from gateway.signing.sign import sign_element
from gateway.signing.signer import GATEWAY_KEY_ID
from gateway.signing.structure import locate_at_root
from gateway.signing.verify import check_signed_content, judge_signer
from gateway.xml.safe import parse_bytes

NOTICE_NS = "urn:vn-health-insurance-gateway:notice:1"
_N = "{" + NOTICE_NS + "}"
NOTIFY_STATES = frozenset({"DELIVERED", "REFUSED", "DEAD"})


@dataclass(frozen=True)
class StateChange:
    """One audit record of the outbox that moved a message into a new state."""

    seq: int
    at: str
    message_id: str | None
    to_state: str | None
    hash: str


def build_notice(change: StateChange, message: Message) -> etree._Element:
    """The unsigned notice of `change` for `message`."""
    root = etree.Element(f"{_N}Notice", nsmap={None: NOTICE_NS}, version="1")

    def add(name: str, text: str | None) -> None:
        if text is not None:
            etree.SubElement(root, f"{_N}{name}").text = text

    add("AuditRef", change.hash)
    add("MessageId", message.message_id)
    add("Facility", message.facility)
    add("DocumentType", message.document_type.value)
    listing = etree.SubElement(root, f"{_N}MaLkList")
    for key in message.keys:
        etree.SubElement(listing, f"{_N}MA_LK").text = key
    add("State", change.to_state)
    add("At", change.at)
    if change.to_state == "DELIVERED":
        add("MaGiaoDich", message.receipt)
        add("ThoiGianTiepNhan", message.portal_time)
    else:
        add("Code", message.last_code)
        add("Reason", message.last_reason)
    return root


def sign_notice(change: StateChange, message: Message, signer: Signer) -> bytes:
    """The signed notice (UTF-8 bytes). Raises SigningError when the gateway key cannot sign."""
    root = build_notice(change, message)
    return sign_element(root, root, signer, GATEWAY_KEY_ID)


@dataclass(frozen=True)
class VerifiedNotice:
    message_id: str
    facility: str
    state: str
    audit_ref: str
    at: datetime


def verify_notice(data: bytes, trust: TrustStore) -> VerifiedNotice:
    """Check a notice: signature, chain at its `At` time, and a pinned gateway signer.

    Raises SignatureRejected (`signature.*`, `receipt.malformed`, `receipt.unknown_signer`),
    gateway.xml.errors.XmlInputError for bytes that do not parse.
    """
    root = parse_bytes(data, what="notice").getroot()
    if root.tag != f"{_N}Notice":
        raise SignatureRejected(RECEIPT_MALFORMED, f"root element {root.tag} is not a notice")
    parts = check_signed_content(root, locate_at_root)
    fields = {etree.QName(child).localname: (child.text or "") for child in root if isinstance(child.tag, str)}
    try:
        at = parse_time(fields["At"])
        verified = VerifiedNotice(fields["MessageId"], fields["Facility"], fields["State"], fields["AuditRef"], at)
    except (KeyError, ValueError):
        raise SignatureRejected(RECEIPT_MALFORMED, "a notice needs MessageId, Facility, State, AuditRef, At") from None
    judge_signer(parts, trust, at)
    if fingerprint(parts.leaf) not in trust.receipt_signers:
        raise SignatureRejected(RECEIPT_SIGNER, "the notice is not signed by a gateway receipt signer")
    return verified
