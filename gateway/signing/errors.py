"""The exception root of gateway.signing, and every code it can emit.

Three branches, because callers must treat them differently (STYLE.md "one exception root"):

- `SignatureRejected`: the document (or receipt) was examined and found wanting. A coded 4xx/422
  at the HTTP edge, exit status 1 in the CLI. Never an alarm on our side.
- `SigningInputError`: the caller asked for something impossible (sign an already signed
  document, an unknown key id, a bad facility code). A coded 400, exit status 2.
- `SigningFault`: our own fault (a key that does not load, a broken trust directory, a signer
  that fails). A 5xx and an alarm.

`CODES` lists every code with a one-line meaning; the project-wide `schemas/errors.yaml` mirrors it.
"""

from __future__ import annotations

from gateway.errors import CodedError

# -- verification outcomes (SignatureRejected) -------------------------------------------------
MISSING = "signature.missing"
WRAPPING = "signature.wrapping"
REFERENCE = "signature.reference"
TRANSFORM = "signature.transform"
CANONICALIZATION = "signature.canonicalization"
ALGORITHM = "signature.algorithm"
WEAK_ALGORITHM = "signature.weak_algorithm"
KEY_INFO = "signature.key_info"
MALFORMED = "signature.malformed"
UNSIGNED_CONTENT = "signature.unsigned_content"
INVALID = "signature.invalid"
DIGEST_MISMATCH = "signature.digest_mismatch"
UNTRUSTED_CHAIN = "signature.untrusted_chain"
EXPIRED = "signature.expired"
NOT_YET_VALID = "signature.not_yet_valid"
KEY_USAGE = "signature.key_usage"
REVOKED = "signature.revoked"
REVOCATION_UNKNOWN = "signature.revocation_unknown"
NOT_REGISTERED = "signature.not_registered"
RECEIPT_SIGNER = "receipt.unknown_signer"
RECEIPT_MALFORMED = "receipt.malformed"

# -- the caller's mistakes (SigningInputError) -------------------------------------------------
ALREADY_SIGNED = "signature.already_signed"
NO_CONTAINER = "signature.no_container"
KEY_UNKNOWN = "signing.key_unknown"
KEY_MISMATCH = "signing.key_mismatch"
FACILITY_CODE = "registry.facility_code"
CERTIFICATE_INPUT = "certs.bad_certificate"
FILE_READ = "io.read"

# -- our own faults (SigningFault) -------------------------------------------------------------
KEY_LOAD = "signing.key_load"
SIGNER_FAILED = "signing.failed"
TRUST_LOAD = "trust.load"
REGISTRY_LOAD = "registry.load"

CODES: dict[str, str] = {
    MISSING: "no ds:Signature in CHUKYDONVI (or no CHUKYDONVI) where a signature is required",
    WRAPPING: "more than one ds:Signature, a signature outside /*/CHUKYDONVI, a duplicated "
    "CHUKYDONVI, other content beside the signature, or a ds:Object (XML signature wrapping)",
    REFERENCE: 'the signature does not have exactly one Reference with URI=""',
    TRANSFORM: "a Reference transform other than enveloped-signature and the configured C14N "
    "(XPath, XSLT, ...)",
    CANONICALIZATION: "SignedInfo canonicalization is not the configured C14N 1.0",
    ALGORITHM: "a signature or digest algorithm outside the accepted set (HMAC, unknown URI)",
    WEAK_ALGORITHM: "SHA-1 or MD5, an RSA key under 2048 bits, or an EC curve under P-256",
    KEY_INFO: "KeyInfo is missing, carries something other than X509Data, or its certificates "
    "do not name exactly one signer",
    MALFORMED: "the ds:Signature element does not follow the XML-DSig structure",
    UNSIGNED_CONTENT: "a comment inside the document: C14N without comments leaves it unsigned, and "
    "it can split a value a reader sees (QĐ 130 documents carry none)",
    INVALID: "SignatureValue does not verify with the signer's certificate",
    DIGEST_MISMATCH: "the signed content changed after signing (Reference digest mismatch)",
    UNTRUSTED_CHAIN: "the certificate does not chain to a trusted root (self-signed, unknown "
    "issuer, bad CA certificate)",
    EXPIRED: "a certificate of the chain had expired at the time of receipt",
    NOT_YET_VALID: "a certificate of the chain was not yet valid at the time of receipt",
    KEY_USAGE: "the signer's certificate lacks the digitalSignature key usage, or its extended "
    "key usage excludes document signing",
    REVOKED: "a certificate of the chain was revoked at the time of receipt",
    REVOCATION_UNKNOWN: "revocation status could not be established (policy 'hard')",
    NOT_REGISTERED: "the signer's certificate is not registered for the document's facility",
    RECEIPT_SIGNER: "a receipt signed by a certificate that is not a gateway receipt signer",
    RECEIPT_MALFORMED: "a receipt document that does not follow the receipt format",
    ALREADY_SIGNED: "sign() was given a document whose CHUKYDONVI is not empty",
    NO_CONTAINER: "sign() was given a document without a CHUKYDONVI child of its root",
    KEY_UNKNOWN: "no key with this id in the signer",
    KEY_MISMATCH: "the key, its certificate and the requested algorithm do not fit together",
    FACILITY_CODE: "a facility code that is not 5 letters or digits",
    CERTIFICATE_INPUT: "a certificate file that cannot be read",
    FILE_READ: "`gateway verify`: a FILE argument that cannot be read",
    KEY_LOAD: "a private key that cannot be loaded (missing file, wrong passphrase, bad format)",
    SIGNER_FAILED: "the signer failed to produce a signature",
    TRUST_LOAD: "the trust directory cannot be read (missing, unreadable certificate or CRL)",
    REGISTRY_LOAD: "the facility certificate registry cannot be read or written",
}


class SigningError(CodedError):
    """Root of every exception raised by gateway.signing."""


class SignatureRejected(SigningError):
    """A signature (or its absence) does not satisfy the verification policy."""


class SigningInputError(SigningError):
    """The caller's request cannot be carried out as asked."""


class SigningFault(SigningError):
    """Our own configuration or machinery failed; not the submitter's fault."""
