"""The per-facility signature policy applied at intake: required, delegated, optional, off."""

from __future__ import annotations

import pytest

from gateway.signing import errors
from gateway.signing.certutil import fingerprint, utc
from gateway.signing.content import content_digest
from gateway.signing.errors import SignatureRejected, SigningFault
from gateway.signing.policy import FacilityPolicies, SignaturePolicy, apply_policy
from gateway.signing.sign import sign
from gateway.signing.signer import GATEWAY_KEY_ID, FileKeySigner, facility_key_id
from gateway.signing.verify import verify
from gateway.xml.dossier import parse_document

from .support import Pki


def test_required_rejects_an_unsigned_document(pki: Pki, envelope: bytes) -> None:
    with pytest.raises(SignatureRejected) as caught:
        apply_policy(
            parse_document(envelope),
            SignaturePolicy.REQUIRED,
            "01001",
            pki.trust,
            pki.signer,
            utc(None),
        )
    assert caught.value.code == errors.MISSING


def test_required_keeps_a_signed_document_byte_for_byte(pki: Pki, signed_envelope: bytes) -> None:
    outcome = apply_policy(
        parse_document(signed_envelope),
        SignaturePolicy.REQUIRED,
        "01001",
        pki.trust,
        pki.signer,
        utc(None),
    )
    assert outcome.document_bytes is signed_envelope or outcome.document_bytes == signed_envelope
    assert outcome.signer_info is not None and outcome.signer_info.facility == "01001"
    assert not outcome.signed_by_gateway


def test_delegated_signs_with_the_facilitys_own_key(pki: Pki, envelope: bytes) -> None:
    outcome = apply_policy(
        parse_document(envelope),
        SignaturePolicy.DELEGATED,
        "01001",
        pki.trust,
        pki.signer,
        utc(None),
    )
    facility_leaf = pki.signer.certificate_chain(facility_key_id("01001"))[0]
    gateway_leaf = pki.signer.certificate_chain(GATEWAY_KEY_ID)[0]
    assert outcome.signed_by_gateway
    assert outcome.signer_info is not None
    assert (
        outcome.signer_info.fingerprint == fingerprint(facility_leaf) != fingerprint(gateway_leaf)
    )
    assert verify(outcome.document_bytes, pki.trust).facility == "01001"
    assert content_digest(outcome.document_bytes) == content_digest(envelope)


def test_delegated_verifies_and_keeps_an_already_signed_document(
    pki: Pki, signed_envelope: bytes
) -> None:
    outcome = apply_policy(
        parse_document(signed_envelope),
        SignaturePolicy.DELEGATED,
        "01001",
        pki.trust,
        pki.signer,
        utc(None),
    )
    assert outcome.document_bytes == signed_envelope
    assert not outcome.signed_by_gateway


def test_delegated_never_signs_another_facilitys_dossier(pki: Pki, envelope: bytes) -> None:
    # 79001 delegates signing but submits a dossier naming 01001: its key is not registered there.
    with pytest.raises(SignatureRejected) as caught:
        apply_policy(
            parse_document(envelope),
            SignaturePolicy.DELEGATED,
            "79001",
            pki.trust,
            pki.signer,
            utc(None),
        )
    assert caught.value.code == errors.NOT_REGISTERED


def test_delegated_without_a_key_is_our_fault(pki: Pki, envelope: bytes) -> None:
    with pytest.raises(SigningFault) as caught:
        apply_policy(
            parse_document(envelope),
            SignaturePolicy.DELEGATED,
            "01001",
            pki.trust,
            FileKeySigner([]),
            utc(None),
        )
    assert caught.value.code == errors.KEY_UNKNOWN


def test_optional_accepts_an_unsigned_document(pki: Pki, envelope: bytes) -> None:
    outcome = apply_policy(
        parse_document(envelope),
        SignaturePolicy.OPTIONAL,
        "01001",
        pki.trust,
        pki.signer,
        utc(None),
    )
    assert outcome.signer_info is None and outcome.document_bytes == envelope


def test_optional_still_rejects_a_bad_signature(pki: Pki, signed_envelope: bytes) -> None:
    forged = signed_envelope.replace(b"<NGAYLAP>20260301<", b"<NGAYLAP>20260309<")
    with pytest.raises(SignatureRejected) as caught:
        apply_policy(
            parse_document(forged),
            SignaturePolicy.OPTIONAL,
            "01001",
            pki.trust,
            pki.signer,
            utc(None),
        )
    assert caught.value.code == errors.DIGEST_MISMATCH


def test_off_checks_nothing(pki: Pki, signed_envelope: bytes) -> None:
    forged = signed_envelope.replace(b"<NGAYLAP>20260301<", b"<NGAYLAP>20260309<")
    outcome = apply_policy(
        parse_document(forged), SignaturePolicy.OFF, "01001", pki.trust, pki.signer, utc(None)
    )
    assert outcome.signer_info is None and outcome.document_bytes == forged


def test_an_xml12_is_bound_to_the_submitting_facility(pki: Pki) -> None:
    from .support import XML12

    signed = sign(XML12, pki.signer, facility_key_id("79001"))
    outcome = apply_policy(
        parse_document(signed), SignaturePolicy.REQUIRED, "79001", pki.trust, pki.signer, utc(None)
    )
    assert outcome.signer_info is not None and outcome.signer_info.facility == "79001"
    with pytest.raises(SignatureRejected):
        apply_policy(
            parse_document(signed),
            SignaturePolicy.REQUIRED,
            "01001",
            pki.trust,
            pki.signer,
            utc(None),
        )


def test_facility_policies_have_a_default_and_exceptions() -> None:
    policies = FacilityPolicies(SignaturePolicy.REQUIRED, {"79001": SignaturePolicy.DELEGATED})
    assert policies.for_facility("79001") is SignaturePolicy.DELEGATED
    assert policies.for_facility("01001") is SignaturePolicy.REQUIRED
