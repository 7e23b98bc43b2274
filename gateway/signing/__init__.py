"""XML signatures of QĐ 130 documents: sign, verify, trust, revocation, registry, receipts.

One component owns the keys (`Signer`); everything else asks it to sign digests. Every rejection
is a `SignatureRejected` with a stable code (`errors.CODES`).
"""

from gateway.signing.algorithms import SignatureAlgorithm
from gateway.signing.content import content_digest
from gateway.signing.errors import (
    CODES,
    SignatureRejected,
    SigningError,
    SigningFault,
    SigningInputError,
)
from gateway.signing.policy import FacilityPolicies, PolicyOutcome, SignaturePolicy, apply_policy
from gateway.signing.receipt import Receipt, VerifiedReceipt, sign_receipt, verify_receipt
from gateway.signing.registry import FacilityRegistry, load_registry
from gateway.signing.sign import sign
from gateway.signing.signer import (
    GATEWAY_KEY_ID,
    FileKeySigner,
    KeySource,
    PassphraseSource,
    Signer,
    facility_key_id,
)
from gateway.signing.structure import DEFAULT_PROFILE, VerificationProfile
from gateway.signing.trust import OcspFetch, RevocationPolicy, TrustStore
from gateway.signing.verify import SignerInfo, verify

__all__ = [
    "CODES",
    "DEFAULT_PROFILE",
    "GATEWAY_KEY_ID",
    "FacilityPolicies",
    "FacilityRegistry",
    "FileKeySigner",
    "KeySource",
    "OcspFetch",
    "PassphraseSource",
    "PolicyOutcome",
    "Receipt",
    "RevocationPolicy",
    "SignatureAlgorithm",
    "SignaturePolicy",
    "SignatureRejected",
    "Signer",
    "SignerInfo",
    "SigningError",
    "SigningFault",
    "SigningInputError",
    "TrustStore",
    "VerificationProfile",
    "VerifiedReceipt",
    "apply_policy",
    "content_digest",
    "facility_key_id",
    "load_registry",
    "sign",
    "sign_receipt",
    "verify",
    "verify_receipt",
]
