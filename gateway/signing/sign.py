"""`sign`: put an enveloped XML-DSig signature into a document's CHUKYDONVI.

The profile (DOMAIN.md "Signatures"): C14N 1.0, RSA-SHA256 (ECDSA-P256-SHA256 for EC keys), one
Reference URI="" with the enveloped-signature transform followed by the C14N 1.0 transform
(explicit, so no verifier has to guess the default), SHA-256 digest, and KeyInfo/X509Data with
the signer's certificate and its intermediates. signxml builds the signature; the private-key
operation goes to the `Signer` as a digest, so keys never leave the signing component.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from gateway.signing.algorithms import (
    C14N_10,
    DS,
    DS_NS,
    ENVELOPED,
    SIGNING_ALGORITHMS,
    SignatureAlgorithm,
)
from gateway.signing.errors import (
    ALREADY_SIGNED,
    KEY_MISMATCH,
    NO_CONTAINER,
    SIGNER_FAILED,
    SigningFault,
    SigningInputError,
)
from gateway.signing.signer import Signer
from gateway.xml.dossier import SIGNATURE_CONTAINER, ParsedDocument
from gateway.xml.safe import parse_bytes

_ID_ATTRIBUTES = ("Id", "ID", "id")
# As in the VSS templates (lxml would write single quotes).
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def sign(
    document: bytes | ParsedDocument,
    signer: Signer,
    key_id: str,
    *,
    algorithm: SignatureAlgorithm | None = None,
) -> bytes:
    """Sign an unsigned QĐ 130 document (envelope, XML0 or XML12) in its CHUKYDONVI.

    `algorithm` defaults to RSA-SHA256 for an RSA key and ECDSA-SHA256 for an EC key. Returns
    the signed document as UTF-8 bytes with an XML declaration; the input is not modified.
    Raises SigningInputError `signature.no_container` (no single CHUKYDONVI child of the root),
    `signature.already_signed` (CHUKYDONVI not empty, or a ds:Signature elsewhere),
    `signing.key_unknown` / `signing.key_mismatch`; SigningFault `signing.failed`;
    gateway.xml.errors.XmlInputError for bytes that do not parse.
    """
    if isinstance(document, bytes):
        root = parse_bytes(document, what="document").getroot()
    else:
        root = copy.deepcopy(document.root)
    containers = root.findall(SIGNATURE_CONTAINER)
    if len(containers) != 1:
        raise SigningInputError(
            NO_CONTAINER,
            f"the root <{root.tag}> needs exactly one {SIGNATURE_CONTAINER} child, "
            f"it has {len(containers)}",
        )
    return sign_element(root, containers[0], signer, key_id, algorithm=algorithm)


def sign_element(
    root: etree._Element,
    container: etree._Element,
    signer: Signer,
    key_id: str,
    *,
    algorithm: SignatureAlgorithm | None = None,
) -> bytes:
    """Sign the whole document of `root` (which this call may modify) with the signature in
    `container` (CHUKYDONVI, or the root itself for a receipt); returns the serialised document.

    Raises as `sign`.
    """
    occupied = container is not root and (len(container) or (container.text or "").strip())
    if occupied or root.find(f".//{DS}Signature") is not None:
        raise SigningInputError(
            ALREADY_SIGNED,
            f"<{container.tag}> is not empty: the document is "
            "already signed (a signed document is never altered)",
        )
    if any(name in root.attrib for name in _ID_ATTRIBUTES):
        # signxml would then reference "#<id>" instead of the whole document (URI="").
        raise SigningInputError(NO_CONTAINER, f"the root <{root.tag}> carries an Id attribute")
    chain = signer.certificate_chain(key_id)
    public_key = chain[0].public_key()
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    algorithm = algorithm or (
        SignatureAlgorithm.RSA_SHA256 if is_rsa else SignatureAlgorithm.ECDSA_SHA256
    )
    if algorithm not in SIGNING_ALGORITHMS:
        raise SigningInputError(KEY_MISMATCH, f"{algorithm.name} is not a signing algorithm here")
    if algorithm.is_rsa != is_rsa or not isinstance(
        public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    ):
        raise SigningInputError(KEY_MISMATCH, f"key {key_id} cannot sign with {algorithm.name}")
    if container is not root:
        container.text = None  # the signature replaces any indentation inside CHUKYDONVI
    etree.SubElement(container, f"{DS}Signature", Id="placeholder", nsmap={"ds": DS_NS})
    xml_signer = _PrivateTreeSigner(
        root,
        _certificate_texts(tuple(chain)),
        signature_algorithm=SignatureMethod(algorithm.value),
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod(C14N_10),
    )
    key = _DelegatedKey(signer, key_id, algorithm, public_key.key_size)
    signed = xml_signer.sign(root, key=cast(Any, key))
    _check_result(signed, container)
    return XML_DECLARATION + etree.tostring(signed, encoding="utf-8")


@functools.lru_cache(maxsize=256)
def _certificate_texts(chain: tuple[x509.Certificate, ...]) -> tuple[str, ...]:
    # X509Certificate contents, base64 in 64-character lines as in PEM; computed once per chain.
    texts = []
    for cert in chain:
        encoded = base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")
        texts.append("\n".join(encoded[i : i + 64] for i in range(0, len(encoded), 64)))
    return tuple(texts)


class _PrivateTreeSigner(XMLSigner):
    """signxml with two costs removed, both safe because our tree is private to this signature.

    - signxml serialises and re-parses its input twice (~0.06 ms each on a 40 KB envelope): once
      for the document it returns, which may be our tree itself; once for the document it
      digests (placeholder removed), for which a deep copy of the root element is exact (a root
      has no inherited namespaces) and four times cheaper.
    - KeyInfo/X509Data comes from certificate texts encoded once per chain.
    `_check_result` guards what comes out.
    """

    def __init__(
        self, private_root: etree._Element, certificates: tuple[str, ...], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._private_root = private_root
        self._returned = False
        self._certificates = certificates
        self.signature_annotators = [self._add_x509_data]

    def get_root(self, data: Any) -> Any:
        """Our tree itself the first time, a deep copy the second (see the class docstring)."""
        if data is not self._private_root:
            return super().get_root(data)
        if not self._returned:
            self._returned = True
            return data
        return copy.deepcopy(data)

    def _add_x509_data(self, signature: etree._Element, signing_settings: object) -> None:
        x509_data = etree.SubElement(etree.SubElement(signature, f"{DS}KeyInfo"), f"{DS}X509Data")
        for text in self._certificates:
            etree.SubElement(x509_data, f"{DS}X509Certificate").text = text


class _DelegatedKey:
    """What signxml takes for a private key: it hands the SignedInfo bytes to `.sign`, and we
    pass their digest on to the Signer. Holds no key material."""

    def __init__(
        self, signer: Signer, key_id: str, algorithm: SignatureAlgorithm, key_size: int
    ) -> None:
        self._signer = signer
        self._key_id = key_id
        self._algorithm = algorithm
        self.key_size = key_size  # signxml sizes ECDSA's r and s from it

    def sign(self, data: bytes, *args: object, **kwargs: object) -> bytes:
        """Sign `data` (SignedInfo, canonicalised) through the Signer; raises SigningFault."""
        hash_name = self._algorithm.hash_name
        scheme = kwargs.get("padding")
        if self._algorithm.is_rsa and not isinstance(scheme, padding.PKCS1v15):
            raise SigningFault(SIGNER_FAILED, f"signxml asked for RSA padding {scheme!r}")
        chosen = kwargs.get("algorithm") or getattr(
            kwargs.get("signature_algorithm"), "algorithm", None
        )
        if not isinstance(chosen, hashes.HashAlgorithm) or chosen.name != hash_name:
            raise SigningFault(SIGNER_FAILED, f"signxml asked for {chosen!r}, expected {hash_name}")
        value = self._signer.sign_digest(
            self._key_id, self._algorithm, hashlib.new(hash_name, data).digest()
        )
        if self._algorithm.is_rsa:
            return value
        half = len(value) // 2  # signxml wants DER and converts it back to r || s
        return utils.encode_dss_signature(
            int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big")
        )


def _check_result(signed: etree._Element, container: etree._Element) -> None:
    # Cheap guards on what signxml produced, so a library change cannot silently weaken output.
    signatures = [el for el in container if el.tag == f"{DS}Signature"]
    signature = signatures[0] if len(signatures) == 1 else None
    references = signature.findall(f"{DS}SignedInfo/{DS}Reference") if signature is not None else []
    transforms = (
        [t.get("Algorithm") for t in references[0].iterfind(f"{DS}Transforms/{DS}Transform")]
        if references
        else []
    )
    if (
        signature is None
        or signed is not container.getroottree().getroot()
        or len(references) != 1
        or references[0].get("URI") != ""
        or transforms != [ENVELOPED, C14N_10]
        or signature.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate") is None
    ):
        raise SigningFault(SIGNER_FAILED, "the signature produced does not match the profile")
