"""Signing and verifying QĐ 130 documents: the happy paths and what `sign` refuses."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from lxml import etree

from gateway.signing.algorithms import C14N_10, DS, ENVELOPED, SignatureAlgorithm
from gateway.signing.certutil import fingerprint, utc
from gateway.signing.content import content_digest
from gateway.signing.errors import (
    ALREADY_SIGNED,
    KEY_MISMATCH,
    KEY_UNKNOWN,
    NO_CONTAINER,
    SigningInputError,
)
from gateway.signing.sign import sign
from gateway.signing.signer import facility_key_id
from gateway.signing.verify import SignerInfo, verify
from gateway.xml.dossier import ParsedDocument, parse_document

from .support import XML12, Pki


def _signature(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    found = root.find(f"CHUKYDONVI/{DS}Signature")
    assert found is not None
    return found


def test_signed_envelope_verifies_and_names_the_facility(pki: Pki, signed_envelope: bytes) -> None:
    info = verify(signed_envelope, pki.trust)
    leaf = pki.signer.certificate_chain(facility_key_id("01001"))[0]
    assert info.facility == "01001"
    assert info.fingerprint == fingerprint(leaf)
    assert info.signature_algorithm == SignatureAlgorithm.RSA_SHA256.value
    assert len(info.chain) == 3  # leaf, intermediate, root
    assert info.revocation == "good:crl"


def test_signature_follows_the_profile(signed_envelope: bytes) -> None:
    signature = _signature(signed_envelope)
    signed_info = signature.find(f"{DS}SignedInfo")
    assert signed_info is not None
    assert signed_info.find(f"{DS}CanonicalizationMethod").get("Algorithm") == C14N_10
    references = signed_info.findall(f"{DS}Reference")
    assert [r.get("URI") for r in references] == [""]
    transforms = [t.get("Algorithm") for t in references[0].iter(f"{DS}Transform")]
    assert transforms == [ENVELOPED, C14N_10]
    assert [c.tag for c in signature.find(f"{DS}KeyInfo")] == [f"{DS}X509Data"]
    assert etree.fromstring(signed_envelope)[-1].tag == "CHUKYDONVI"


def test_ecdsa_p256_signature_verifies(pki: Pki, envelope: bytes) -> None:
    document = envelope.replace(b"<MACSKCB>01001<", b"<MACSKCB>01002<")
    signed = sign(document, pki.signer, facility_key_id("01002"))
    assert _signature(signed).find(f"{DS}SignedInfo/{DS}SignatureMethod").get("Algorithm") == (
        SignatureAlgorithm.ECDSA_SHA256.value
    )
    assert verify(signed, pki.trust).facility == "01002"


def test_checkin_document_is_signed_in_its_root(pki: Pki, checkin: bytes) -> None:
    signed = sign(checkin, pki.signer, facility_key_id("01001"))
    assert verify(signed, pki.trust).facility == "01001"


def test_assessment_document_is_bound_to_the_submitter(pki: Pki) -> None:
    signed = sign(XML12, pki.signer, facility_key_id("79001"))
    assert verify(signed, pki.trust, submitter="79001").facility == "79001"


def test_verify_accepts_a_parsed_document_and_runs_the_validator_on_the_same_parse(
    pki: Pki, signed_envelope: bytes
) -> None:
    parsed = parse_document(signed_envelope)
    seen: list[ParsedDocument] = []
    info = verify(parsed, pki.trust, validate=seen.append)
    assert seen == [parsed]
    assert info.facility == "01001"


def test_validator_hook_on_bytes_gets_the_decoded_tables(pki: Pki, signed_envelope: bytes) -> None:
    seen: list[ParsedDocument] = []
    verify(signed_envelope, pki.trust, validate=seen.append)
    assert [f.table for f in seen[0].hosos[0].files] == ["XML1", "XML2", "XML3"]


def test_verifying_does_not_modify_the_parsed_tree(pki: Pki, signed_envelope: bytes) -> None:
    parsed = parse_document(signed_envelope)
    before = etree.tostring(parsed.tree)
    verify(parsed, pki.trust)
    assert etree.tostring(parsed.tree) == before


def test_signer_info_round_trips_through_the_store(pki: Pki, signed_envelope: bytes) -> None:
    info = verify(signed_envelope, pki.trust)
    assert SignerInfo.from_dict(info.to_dict()) == info


def test_archive_check_at_a_past_receipt_time(pki: Pki, signed_envelope: bytes) -> None:
    at = utc(None) - timedelta(minutes=10)
    assert verify(signed_envelope, pki.trust, at=at).verified_at == at


def test_content_digest_is_unchanged_by_signing(
    pki: Pki, envelope: bytes, signed_envelope: bytes
) -> None:
    ec_signed = sign(envelope, pki.odd, "ec")
    assert content_digest(envelope) == content_digest(signed_envelope) == content_digest(ec_signed)


def test_content_digest_ignores_whitespace_inside_chukydonvi(envelope: bytes) -> None:
    spaced = envelope.replace(b"<CHUKYDONVI/>", b"<CHUKYDONVI>\n    </CHUKYDONVI>")
    assert content_digest(spaced) == content_digest(envelope)


def test_content_digest_changes_with_any_table_byte(envelope: bytes) -> None:
    root = etree.fromstring(envelope)
    field = root.find(".//FILEHOSO/NOIDUNGFILE")
    assert field is not None and field.text
    inner = base64.b64decode(field.text)
    field.text = base64.b64encode(inner.replace(b"<STT>1</STT>", b"<STT>2</STT>", 1)).decode()
    assert content_digest(etree.tostring(root)) != content_digest(envelope)


def test_content_digest_of_parsed_and_raw_agree(envelope: bytes) -> None:
    assert content_digest(parse_document(envelope)) == content_digest(envelope)


def test_sign_refuses_a_signed_document(pki: Pki, signed_envelope: bytes) -> None:
    with pytest.raises(SigningInputError) as caught:
        sign(signed_envelope, pki.signer, facility_key_id("01001"))
    assert caught.value.code == ALREADY_SIGNED


def test_sign_refuses_a_document_without_chukydonvi(pki: Pki, envelope: bytes) -> None:
    with pytest.raises(SigningInputError) as caught:
        sign(envelope.replace(b"<CHUKYDONVI/>", b""), pki.signer, facility_key_id("01001"))
    assert caught.value.code == NO_CONTAINER


def test_sign_does_not_modify_a_parsed_document(pki: Pki, envelope: bytes) -> None:
    parsed = parse_document(envelope)
    before = etree.tostring(parsed.tree)
    sign(parsed, pki.signer, facility_key_id("01001"))
    assert etree.tostring(parsed.tree) == before


def test_sign_with_an_unknown_key_id_is_an_input_error(pki: Pki, envelope: bytes) -> None:
    with pytest.raises(SigningInputError) as caught:
        sign(envelope, pki.signer, facility_key_id("99999"))
    assert caught.value.code == KEY_UNKNOWN


def test_ecdsa_requested_for_an_rsa_key_is_refused(pki: Pki, envelope: bytes) -> None:
    with pytest.raises(SigningInputError) as caught:
        sign(
            envelope,
            pki.signer,
            facility_key_id("01001"),
            algorithm=SignatureAlgorithm.ECDSA_SHA256,
        )
    assert caught.value.code == KEY_MISMATCH


def test_any_signer_implementation_can_sign(pki: Pki, envelope: bytes) -> None:
    # The in-memory signer stands for an HSM: callers do not change.
    signed = sign(envelope, pki.odd, "ec")
    assert verify(signed, pki.trust).facility == "01001"


def test_signer_repr_never_shows_key_material(pki: Pki) -> None:
    text = repr(pki.signer)
    assert "facility:01001" in text and "PRIVATE" not in text and "key=" not in text
