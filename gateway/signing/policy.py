"""The per-facility signature policy the HTTP intake applies to every received document.

- `required`: an unsigned document is rejected (`signature.missing`);
- `delegated`: an unsigned document is signed with the facility's own key from the signer
  (remote signing for facilities that cannot sign in their HIS); a signed one is verified and
  kept exactly as received;
- `optional`: a signature is verified when present;
- `off`: nothing is checked (the 2023 pilot accepted an empty CHUKYDONVI).

Whatever the policy, a signed document's bytes are never altered, and the gateway's own key never
signs a facility's document.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from gateway.signing.algorithms import DS
from gateway.signing.errors import (
    KEY_UNKNOWN,
    MISSING,
    SignatureRejected,
    SigningFault,
    SigningInputError,
)
from gateway.signing.sign import sign
from gateway.signing.signer import Signer, facility_key_id
from gateway.signing.trust import TrustStore
from gateway.signing.verify import SignerInfo, verify
from gateway.xml.dossier import SIGNATURE_CONTAINER, ParsedDocument


class SignaturePolicy(enum.Enum):
    """How a facility's documents are signed (module docstring)."""

    REQUIRED = "required"
    DELEGATED = "delegated"
    OPTIONAL = "optional"
    OFF = "off"


@dataclass(frozen=True)
class FacilityPolicies:
    """The policy of every facility: a default and per-facility exceptions, from configuration."""

    default: SignaturePolicy = SignaturePolicy.REQUIRED
    overrides: Mapping[str, SignaturePolicy] = field(default_factory=lambda: MappingProxyType({}))

    def for_facility(self, facility: str) -> SignaturePolicy:
        """The policy that applies to `facility`."""
        return self.overrides.get(facility, self.default)


@dataclass(frozen=True)
class PolicyOutcome:
    """What to store: the document's bytes, the signer (None when unsigned and allowed)."""

    document_bytes: bytes
    signer_info: SignerInfo | None
    signed_by_gateway: bool


def is_signed(parsed: ParsedDocument) -> bool:
    """True when the document carries anything where a signature goes (verification decides
    whether it is a valid one): CHUKYDONVI not empty, or a ds:Signature anywhere."""
    root = parsed.root
    for container in root.findall(SIGNATURE_CONTAINER):
        if len(container) or (container.text or "").strip():
            return True
    return root.find(f".//{DS}Signature") is not None


def apply_policy(
    parsed_doc: ParsedDocument,
    policy: SignaturePolicy,
    facility: str,
    trust: TrustStore,
    keystore: Signer,
    at: datetime,
) -> PolicyOutcome:
    """Apply `policy` to a document received from the authenticated `facility` at time `at`.

    A delegated signature is made with the key `facility:<facility>` and then verified like any
    other (chain, revocation, registry), so a facility's key cannot sign another facility's
    dossier. Raises SignatureRejected (`signature.missing` under `required`, any verification
    code), SigningInputError (`signature.no_container` for a document without CHUKYDONVI under
    `delegated`), SigningFault (`signing.key_unknown`: `delegated` without a key for the facility).
    """
    if policy is SignaturePolicy.OFF:
        return PolicyOutcome(parsed_doc.raw, None, False)
    if is_signed(parsed_doc):
        return PolicyOutcome(
            parsed_doc.raw, verify(parsed_doc, trust, at, submitter=facility), False
        )
    if policy is SignaturePolicy.REQUIRED:
        raise SignatureRejected(
            MISSING, f"facility {facility} must sign its documents ({SIGNATURE_CONTAINER} is empty)"
        )
    if policy is SignaturePolicy.OPTIONAL:
        return PolicyOutcome(parsed_doc.raw, None, False)
    try:
        signed = sign(parsed_doc, keystore, facility_key_id(facility))
    except SigningInputError as exc:
        if exc.code == KEY_UNKNOWN:
            raise SigningFault(
                KEY_UNKNOWN,
                f"facility {facility} delegates signing, but the signer holds no key for it",
            ) from None
        raise
    return PolicyOutcome(signed, verify(signed, trust, at, submitter=facility), True)
