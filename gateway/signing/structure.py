"""The closed signature profile: what a ds:Signature must look like before any cryptography runs.

Closed against signature wrapping by construction: exactly one ds:Signature in the document,
in the one place it may be (`/*/CHUKYDONVI` for QĐ 130 documents, a child of the root for our
receipts), alone there; no ds:Object; exactly one Reference with URI="" (the whole document);
only the enveloped-signature transform, optionally followed by C14N 1.0; KeyInfo with X509Data
only. Anything else is rejected with a code before the signature is even checked, so the
library that checks it only ever sees the one shape we allow.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from gateway.signing.algorithms import (
    C14N_10,
    DIGEST_ALGORITHMS,
    DS,
    ENVELOPED,
    MIN_EC_BITS,
    MIN_RSA_BITS,
    WEAK_ALGORITHMS,
    SignatureAlgorithm,
)
from gateway.signing.errors import (
    ALGORITHM,
    CANONICALIZATION,
    KEY_INFO,
    MALFORMED,
    MISSING,
    REFERENCE,
    TRANSFORM,
    WEAK_ALGORITHM,
    WRAPPING,
    SignatureRejected,
)
from gateway.xml.dossier import SIGNATURE_CONTAINER

_MAX_CERTIFICATES = 10
_INFORMATIONAL_X509 = frozenset({f"{DS}X509IssuerSerial", f"{DS}X509SubjectName", f"{DS}X509SKI"})


@dataclass(frozen=True)
class VerificationProfile:
    """What verification accepts; immutable, built once from configuration (safe defaults).

    There is no switch to accept SHA-1, short keys or other transforms: a deployment that must
    read such signatures needs a deliberately written profile, not a flag.
    """

    canonicalization: frozenset[str] = frozenset({C14N_10})
    signature_algorithms: frozenset[SignatureAlgorithm] = frozenset(SignatureAlgorithm)
    digest_algorithms: frozenset[str] = frozenset(DIGEST_ALGORITHMS)
    min_rsa_bits: int = MIN_RSA_BITS
    min_ec_bits: int = MIN_EC_BITS


DEFAULT_PROFILE = VerificationProfile()


@dataclass(frozen=True)
class SignatureParts:
    """The checked pieces of the one signature of a document."""

    element: etree._Element
    algorithm: SignatureAlgorithm
    digest_method: str
    digest_value: bytes
    leaf: x509.Certificate
    others: tuple[x509.Certificate, ...] = field(default=())
    canonicalization: str = C14N_10


Locator = Callable[[etree._Element], etree._Element]


def _reject(code: str, message: str) -> SignatureRejected:
    return SignatureRejected(code, message)


def _elements(parent: etree._Element) -> list[etree._Element]:
    return list(parent.iterchildren(tag=etree.Element))


def _only_whitespace(text: str | None) -> bool:
    return text is None or not text.strip()


def locate_in_container(root: etree._Element) -> etree._Element:
    """The one ds:Signature of a QĐ 130 document, alone in `/*/CHUKYDONVI`.

    Raises SignatureRejected `signature.missing` or `signature.wrapping`.
    """
    containers = root.findall(SIGNATURE_CONTAINER)
    signatures = list(root.iter(f"{DS}Signature"))
    if len(containers) > 1:
        raise _reject(WRAPPING, f"{len(containers)} {SIGNATURE_CONTAINER} elements under the root")
    if not signatures:
        where = "is empty" if containers else "is missing"
        raise _reject(MISSING, f"no signature: {SIGNATURE_CONTAINER} {where}")
    _single(signatures, containers[0] if containers else None, f"/*/{SIGNATURE_CONTAINER}")
    return signatures[0]


def locate_at_root(root: etree._Element) -> etree._Element:
    """The one ds:Signature of a receipt, a child of the root element.

    Raises SignatureRejected `signature.missing` or `signature.wrapping`.
    """
    signatures = list(root.iter(f"{DS}Signature"))
    if not signatures:
        raise _reject(MISSING, "no signature in the document")
    _single(signatures, root, "/*", alone=False)
    return signatures[0]


def _single(
    signatures: list[etree._Element],
    parent: etree._Element | None,
    where: str,
    *,
    alone: bool = True,
) -> None:
    if len(signatures) > 1:
        raise _reject(WRAPPING, f"{len(signatures)} ds:Signature elements; exactly one is allowed")
    signature = signatures[0]
    if parent is None or signature.getparent() is not parent:
        raise _reject(WRAPPING, f"the ds:Signature is not at {where} (line {signature.sourceline})")
    if alone and (
        _elements(parent) != [signature]
        or not _only_whitespace(parent.text)
        or not _only_whitespace(signature.tail)
    ):
        raise _reject(WRAPPING, f"{where} holds content beside the ds:Signature")


def examine(
    root: etree._Element, locate: Locator, profile: VerificationProfile = DEFAULT_PROFILE
) -> SignatureParts:
    """Locate the signature and check it against the closed profile; no cryptography yet.

    Raises SignatureRejected with `signature.missing`, `.wrapping`, `.reference`, `.transform`,
    `.canonicalization`, `.algorithm`, `.weak_algorithm`, `.key_info` or `.malformed`.
    """
    signature = locate(root)
    children = _elements(signature)
    tags = [child.tag for child in children]
    if f"{DS}Object" in tags:
        raise _reject(WRAPPING, "a ds:Object inside the signature (content outside the document)")
    if tags[:2] != [f"{DS}SignedInfo", f"{DS}SignatureValue"]:
        raise _reject(MALFORMED, "ds:Signature must start with SignedInfo and SignatureValue")
    if tags[2:] != [f"{DS}KeyInfo"]:
        raise _reject(KEY_INFO, "ds:Signature must end with one KeyInfo carrying the certificate")
    signed_info, signature_value, key_info = children
    algorithm, reference = _signed_info(signed_info, profile)
    digest_method, digest_value = _reference(reference, profile)
    _decode(signature_value, "SignatureValue")
    leaf, others = _key_info(key_info)
    _check_key(leaf, algorithm, profile)
    c14n = _elements(signed_info)[0].get("Algorithm") or C14N_10
    return SignatureParts(signature, algorithm, digest_method, digest_value, leaf, others, c14n)


def _signed_info(
    signed_info: etree._Element, profile: VerificationProfile
) -> tuple[SignatureAlgorithm, etree._Element]:
    children = _elements(signed_info)
    tags = [child.tag for child in children]
    if tags[:2] != [f"{DS}CanonicalizationMethod", f"{DS}SignatureMethod"]:
        raise _reject(
            MALFORMED, "SignedInfo must start with CanonicalizationMethod, SignatureMethod"
        )
    if tags[2:] != [f"{DS}Reference"]:
        count = tags.count(f"{DS}Reference")
        raise _reject(
            REFERENCE, f"SignedInfo has {count} Reference elements; exactly one is allowed"
        )
    c14n, method, reference = children
    if c14n.get("Algorithm") not in profile.canonicalization or _elements(c14n):
        raise _reject(
            CANONICALIZATION,
            f"SignedInfo canonicalization {c14n.get('Algorithm')!r} is "
            "not C14N 1.0 without comments",
        )
    uri = method.get("Algorithm") or ""
    if uri in WEAK_ALGORITHMS:
        raise _reject(WEAK_ALGORITHM, f"signature algorithm {uri} is too weak")
    try:
        algorithm = SignatureAlgorithm(uri)
    except ValueError:
        raise _reject(ALGORITHM, f"signature algorithm {uri!r} is not accepted") from None
    if algorithm not in profile.signature_algorithms or _elements(method):
        raise _reject(ALGORITHM, f"signature algorithm {uri} is not accepted here")
    return algorithm, reference


def _reference(reference: etree._Element, profile: VerificationProfile) -> tuple[str, bytes]:
    if reference.get("URI") != "":
        raise _reject(
            REFERENCE,
            f'the Reference URI is {reference.get("URI")!r}; only URI="" '
            "(the whole document) is allowed",
        )
    children = _elements(reference)
    tags = [child.tag for child in children]
    if tags != [f"{DS}Transforms", f"{DS}DigestMethod", f"{DS}DigestValue"]:
        if f"{DS}Transforms" not in tags:
            raise _reject(TRANSFORM, "the Reference has no Transforms (enveloped-signature needed)")
        raise _reject(MALFORMED, "a Reference holds Transforms, DigestMethod, DigestValue")
    transforms, method, value = children
    steps = _elements(transforms)
    algorithms = [step.get("Algorithm") for step in steps]
    allowed = [[ENVELOPED]] + [[ENVELOPED, c14n] for c14n in profile.canonicalization]
    if (
        algorithms not in allowed
        or any(_elements(step) for step in steps)
        or any(step.tag != f"{DS}Transform" for step in steps)
    ):
        raise _reject(
            TRANSFORM,
            f"transforms {algorithms} are not accepted; only enveloped-signature "
            "optionally followed by C14N 1.0",
        )
    uri = method.get("Algorithm") or ""
    if uri in WEAK_ALGORITHMS:
        raise _reject(WEAK_ALGORITHM, f"digest algorithm {uri} is too weak")
    if uri not in profile.digest_algorithms or _elements(method):
        raise _reject(ALGORITHM, f"digest algorithm {uri!r} is not accepted")
    digest = _decode(value, "DigestValue")
    return uri, digest


def _decode(element: etree._Element, what: str) -> bytes:
    text = "".join((element.text or "").split())
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _reject(MALFORMED, f"{what} is not base64") from None
    if not value or _elements(element):
        raise _reject(MALFORMED, f"{what} is empty")
    return value


def _key_info(key_info: etree._Element) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    children = _elements(key_info)
    if [child.tag for child in children] != [f"{DS}X509Data"]:
        raise _reject(
            KEY_INFO,
            "KeyInfo must carry exactly one X509Data and nothing else "
            f"(found {[etree.QName(c).localname for c in children]})",
        )
    certs: list[x509.Certificate] = []
    for item in _elements(children[0]):
        if item.tag in _INFORMATIONAL_X509:
            continue  # never read: the certificate itself is what we check
        if item.tag != f"{DS}X509Certificate":
            raise _reject(KEY_INFO, f"X509Data holds {etree.QName(item).localname}")
        try:
            certs.append(x509.load_der_x509_certificate(_decode(item, "X509Certificate")))
        except ValueError:
            raise _reject(KEY_INFO, "an X509Certificate cannot be read") from None
    if not certs or len(certs) > _MAX_CERTIFICATES:
        raise _reject(
            KEY_INFO, f"X509Data carries {len(certs)} certificates (1 to {_MAX_CERTIFICATES})"
        )
    # The signer is the end of the chain the certificates form: the one that issued no other.
    issuers = {c.issuer for c in certs}
    ends = [c for c in certs if c.subject not in issuers or len(certs) == 1]
    if len(ends) != 1:
        raise _reject(KEY_INFO, "the certificates in X509Data do not name exactly one signer")
    leaf = ends[0]
    return leaf, tuple(c for c in certs if c is not leaf)


def _check_key(
    leaf: x509.Certificate, algorithm: SignatureAlgorithm, profile: VerificationProfile
) -> None:
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < profile.min_rsa_bits:
            raise _reject(
                WEAK_ALGORITHM, f"RSA-{key.key_size} key; at least {profile.min_rsa_bits} bits"
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < profile.min_ec_bits:
            raise _reject(WEAK_ALGORITHM, f"EC curve {key.curve.name} is too small")
    else:
        raise _reject(ALGORITHM, f"{type(key).__name__} keys are not accepted")
    if algorithm.is_rsa != isinstance(key, rsa.RSAPublicKey):
        raise _reject(KEY_INFO, f"{algorithm.name} signature with a {type(key).__name__}")
