"""`verify`: prove who signed a QĐ 130 document, and return only what was proven (`SignerInfo`).

The steps, each with its rejection code (errors.py), in this order:

1. structure (structure.py): one ds:Signature alone in /*/CHUKYDONVI, one Reference URI="",
   enveloped + C14N 1.0 only, X509Data only, no weak algorithm or short key; no comment in the
   document (C14N without comments leaves comments unsigned);
2. cryptography (crypto.py): SignatureValue and the Reference digest, on the same parsed tree;
3. certificate path to a trusted root at the time of receipt, key usage (trust.py);
4. revocation at the time of receipt (revocation.py);
5. facility binding: the certificate is registered for the document's facility (registry.py).

The result is stored with the message (`SignerInfo.to_dict`), so a retry or a replay reads the
verdict instead of judging again with later trust data; archives are re-checked explicitly with
`gateway verify --at TIME`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from lxml import etree

from gateway.signing.certutil import fingerprint, parse_time, utc
from gateway.signing.crypto import check_signature
from gateway.signing.errors import NOT_REGISTERED, UNSIGNED_CONTENT, SignatureRejected
from gateway.signing.revocation import check_chain
from gateway.signing.structure import (
    DEFAULT_PROFILE,
    Locator,
    SignatureParts,
    VerificationProfile,
    examine,
    locate_in_container,
)
from gateway.signing.trust import TrustStore
from gateway.xml.dossier import ENVELOPE_ROOT, STANDALONE_ROOTS, ParsedDocument, parse_document
from gateway.xml.errors import XmlInputError
from gateway.xml.safe import parse_bytes

Validate = Callable[[ParsedDocument], object]


@dataclass(frozen=True)
class SignerInfo:
    """What verification proved about a document's signature; the only part to trust."""

    facility: str | None  # the facility the signature is bound to (None for receipts)
    subject: str  # RFC 4514
    issuer: str
    serial_number: str  # hex
    fingerprint: str  # SHA-256 of the certificate DER, hex (the registry key)
    not_before: datetime
    not_after: datetime
    chain: tuple[str, ...]  # fingerprints, signer first, trusted root last
    signature_algorithm: str  # XML-DSig URI
    digest_algorithm: str  # XML-DSig URI
    verified_at: datetime  # the time of receipt the verdict is for
    revocation: str  # "good:crl", "good:ocsp", "unknown" (policy soft), "unchecked" (off)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601 UTC) for the store."""
        data = dict(self.__dict__)
        for name in ("not_before", "not_after", "verified_at"):
            data[name] = data[name].isoformat()
        data["chain"] = list(self.chain)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignerInfo:
        """The inverse of to_dict; raises KeyError/ValueError for a malformed record."""
        values = dict(data)
        for name in ("not_before", "not_after", "verified_at"):
            values[name] = parse_time(values[name])
        values["chain"] = tuple(values["chain"])
        return cls(**values)


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature whose structure, cryptography, chain and revocation status were checked."""

    parts: SignatureParts
    chain: tuple[x509.Certificate, ...]
    revocation: str

    def signer_info(self, facility: str | None, at: datetime) -> SignerInfo:
        """What to store: the proven signer, bound to `facility`, judged at time `at`."""
        leaf = self.parts.leaf
        return SignerInfo(
            facility=facility,
            subject=leaf.subject.rfc4514_string(),
            issuer=leaf.issuer.rfc4514_string(),
            serial_number=format(leaf.serial_number, "x"),
            fingerprint=fingerprint(leaf),
            not_before=leaf.not_valid_before_utc,
            not_after=leaf.not_valid_after_utc,
            chain=tuple(fingerprint(cert) for cert in self.chain),
            signature_algorithm=self.parts.algorithm.value,
            digest_algorithm=self.parts.digest_method,
            verified_at=at,
            revocation=self.revocation,
        )


def check_signed_content(
    root: etree._Element, locate: Locator, profile: VerificationProfile = DEFAULT_PROFILE
) -> SignatureParts:
    """Steps 1–2 of the module docstring: structure and cryptography, no trust decision yet.

    Raises SignatureRejected (structure codes, `signature.unsigned_content`, `.invalid`,
    `.digest_mismatch`).
    """
    parts = examine(root, locate, profile)
    comment = next(root.iter(etree.Comment), None)
    if comment is not None:
        # "<MA_LK>A<!---->B</MA_LK>" digests as "AB" but reads as "A" in lxml's .text.
        raise SignatureRejected(
            UNSIGNED_CONTENT, f"a comment inside the document (line {comment.sourceline})"
        )
    check_signature(parts)
    return parts


def judge_signer(parts: SignatureParts, trust: TrustStore, at: datetime) -> VerifiedSignature:
    """Steps 3–4 of the module docstring: certificate path and revocation at time `at`.

    Raises SignatureRejected (`signature.untrusted_chain`, `.expired`, `.not_yet_valid`,
    `.key_usage`, `.revoked`, `.revocation_unknown`).
    """
    chain = trust.validate_chain(parts.leaf, parts.others, at)
    return VerifiedSignature(parts, chain, check_chain(chain, trust, at))


def verify(
    document: bytes | ParsedDocument,
    trust: TrustStore,
    at: datetime | None = None,
    *,
    submitter: str | None = None,
    validate: Validate | None = None,
    profile: VerificationProfile = DEFAULT_PROFILE,
) -> SignerInfo:
    """Verify the facility signature of an envelope, XML0 or XML12 document, at time `at`
    (the time of receipt; now when None).

    Give a ParsedDocument to share one parse with schema validation; or give bytes and a
    `validate` hook, which is called once with the ParsedDocument before the signature checks
    (its return value is ignored, its exceptions propagate). The signature is bound to the
    facility the document names (envelope MACSKCB, XML0 MA_CSKCB); XML12 names none, so it is
    bound to `submitter`, the authenticated facility. That the submitter may submit for the
    document's facility is the caller's check, not this one.

    Raises SignatureRejected (codes in errors.py: `signature.missing`, `.wrapping`, ...,
    `.not_registered`); gateway.xml.errors.XmlInputError when bytes do not parse or the root is
    not a QĐ 130 document.
    """
    at = utc(at)
    root = _root(document, validate)
    verified = judge_signer(check_signed_content(root, locate_in_container, profile), trust, at)
    facility = bound_facility(root, submitter)
    leaf_fingerprint = fingerprint(verified.parts.leaf)
    if not trust.registry.is_registered(facility, leaf_fingerprint):
        registered = trust.registry.facilities_of(leaf_fingerprint)
        elsewhere = f" (it is registered for {', '.join(registered)})" if registered else ""
        raise SignatureRejected(
            NOT_REGISTERED,
            f"{verified.parts.leaf.subject.rfc4514_string()} is not registered for facility "
            f"{facility}{elsewhere}",
        )
    return verified.signer_info(facility, at)


def bound_facility(root: etree._Element, submitter: str | None) -> str:
    """The facility a document's signature must be registered for.

    Raises SignatureRejected `signature.not_registered` when there is none to bind to (an XML12
    without a submitter, an envelope without MACSKCB, an XML0 naming several facilities).
    """
    if root.tag == ENVELOPE_ROOT:
        codes = {(el.text or "").strip() for el in root.findall("THONGTINDONVI/MACSKCB")}
    elif STANDALONE_ROOTS.get(root.tag) == "XML0":
        codes = {(el.text or "").strip() for el in root.iterfind(".//TRANG_THAI_KCB/MA_CSKCB")}
    else:
        codes = {submitter} if submitter else set()
    codes.discard("")
    if len(codes) != 1:
        what = "names several facilities" if codes else "names no facility to bind the signature to"
        raise SignatureRejected(NOT_REGISTERED, f"the document {what}")
    return codes.pop()


def _root(document: bytes | ParsedDocument, validate: Validate | None) -> etree._Element:
    if isinstance(document, ParsedDocument):
        if validate is not None:
            validate(document)
        return document.root
    if validate is not None:
        parsed = parse_document(document)
        validate(parsed)
        return parsed.root
    # Signature checks need only the outer document: skip decoding the inner tables.
    root = parse_bytes(document, what="document").getroot()
    if root.tag != ENVELOPE_ROOT and root.tag not in STANDALONE_ROOTS:
        raise XmlInputError(
            "document.unknown_root",
            f"root element <{root.tag}> is not a QĐ 130 document",
            line=root.sourceline,
        )
    return root
