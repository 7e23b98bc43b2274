"""The cryptographic check of one signature that passed the closed profile (structure.py).

python-xmlsec (libxmlsec1) checks SignatureValue and the Reference digest in place, on the very
tree we parsed: no re-serialisation, no second parser. It is restricted to the transforms and
algorithms the profile allowed for this signature, and given the key of the certificate we
validate, never a key of its own choosing. xmlsec reports one failure for both a bad signature
and a bad digest; on that (rare) path we recompute the digest with lxml's C14N to say which.
"""

from __future__ import annotations

import copy
import hashlib

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree

from gateway.signing.algorithms import C14N_10, DIGEST_ALGORITHMS, ENVELOPED, SignatureAlgorithm
from gateway.signing.errors import DIGEST_MISMATCH, INVALID, SignatureRejected
from gateway.signing.structure import SignatureParts

_C = xmlsec.constants
_TRANSFORMS = {
    ENVELOPED: _C.TransformEnveloped,
    C14N_10: _C.TransformInclC14N,
    "http://www.w3.org/2001/04/xmlenc#sha256": _C.TransformSha256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": _C.TransformSha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": _C.TransformSha512,
    SignatureAlgorithm.RSA_SHA256.value: _C.TransformRsaSha256,
    SignatureAlgorithm.RSA_SHA384.value: _C.TransformRsaSha384,
    SignatureAlgorithm.RSA_SHA512.value: _C.TransformRsaSha512,
    SignatureAlgorithm.ECDSA_SHA256.value: _C.TransformEcdsaSha256,
    SignatureAlgorithm.ECDSA_SHA384.value: _C.TransformEcdsaSha384,
    SignatureAlgorithm.ECDSA_SHA512.value: _C.TransformEcdsaSha512,
}


_KEYS: dict[bytes, xmlsec.Key] = {}
_MAX_KEYS = 20_000  # ~13,000 facilities, a few certificates each over a renewal


def _xmlsec_key(cert: x509.Certificate) -> xmlsec.Key:
    # Loading a key costs ~0.1 ms; a facility signs thousands of documents with one certificate.
    # The bare public key, not the certificate: the context duplicates the key it is given, in
    # ~50 µs for a certificate-backed key against <1 µs for the public key alone.
    name = cert.fingerprint(hashes.SHA256())
    key = _KEYS.get(name)
    if key is None:
        if len(_KEYS) >= _MAX_KEYS:
            _KEYS.clear()
        spki = cert.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        key = _KEYS[name] = xmlsec.Key.from_memory(spki, _C.KeyDataFormatPem)
    return key


def check_signature(parts: SignatureParts) -> None:
    """Check SignatureValue over SignedInfo and the Reference digest over the document.

    Raises SignatureRejected `signature.digest_mismatch` (the content changed) or
    `signature.invalid` (SignatureValue does not verify with the certificate's key).
    """
    context = xmlsec.SignatureContext()
    context.key = _xmlsec_key(parts.leaf)
    for uri in (ENVELOPED, parts.canonicalization, parts.digest_method):
        context.enable_reference_transform(_TRANSFORMS[uri])
    for uri in (parts.canonicalization, parts.algorithm.value):
        context.enable_signature_transform(_TRANSFORMS[uri])
    try:
        context.verify(parts.element)
    except (xmlsec.VerificationError, xmlsec.Error):
        if reference_digest(parts.element, parts.digest_method) != parts.digest_value:
            raise SignatureRejected(
                DIGEST_MISMATCH, "the signed content was changed after signing (digest mismatch)"
            ) from None
        raise SignatureRejected(
            INVALID, f"SignatureValue does not verify with {parts.leaf.subject.rfc4514_string()}"
        ) from None


def reference_digest(signature: etree._Element, digest_method: str) -> bytes:
    """The digest of the whole document minus `signature` (enveloped transform, C14N 1.0)."""
    # Walk to the signature's twin in a copy by child positions (names may be ambiguous).
    steps = []
    node = signature
    while (parent := node.getparent()) is not None:
        steps.append(parent.index(node))
        node = parent
    twin_root = copy.deepcopy(node)
    twin = twin_root
    for position in reversed(steps):
        twin = twin[position]
    parent = twin.getparent()
    if parent is None:
        return b""
    # The transform removes the element, not the text after it: keep the tail.
    if twin.tail:
        previous = twin.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + twin.tail
        else:
            parent.text = (parent.text or "") + twin.tail
    parent.remove(twin)
    data = etree.tostring(twin_root, method="c14n", exclusive=False, with_comments=False)
    return hashlib.new(DIGEST_ALGORITHMS[digest_method], data).digest()
