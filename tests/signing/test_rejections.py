"""Every way a dossier signature can be wrong ends in its own coded rejection."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
import xmlsec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.signing import errors
from gateway.signing.algorithms import DS
from gateway.signing.errors import SignatureRejected
from gateway.signing.sign import sign
from gateway.signing.signer import facility_key_id
from gateway.signing.verify import verify
from gateway.xml.errors import XmlInputError

from .support import Pki, xmlsec_sign

C = xmlsec.constants


def rejection(document: bytes, pki: Pki, **kwargs: Any) -> str:
    with pytest.raises(SignatureRejected) as caught:
        verify(document, pki.trust, **kwargs)
    return caught.value.code


def with_table(signed: bytes, change: Callable[[bytes], bytes], index: int = 0) -> bytes:
    root = etree.fromstring(signed)
    field = root.findall(".//FILEHOSO/NOIDUNGFILE")[index]
    field.text = base64.b64encode(change(base64.b64decode(field.text or ""))).decode()
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def odd_signed(pki: Pki, envelope: bytes, name: str) -> bytes:
    return sign(envelope, pki.odd, name)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=st.integers(0, 2), where=st.floats(0, 1, exclude_max=True), delta=st.integers(1, 255))
def test_one_changed_byte_in_any_table_is_a_digest_mismatch(
    pki: Pki, signed_envelope: bytes, table: int, where: float, delta: int
) -> None:
    def flip(inner: bytes) -> bytes:
        at = int(where * len(inner))
        return inner[:at] + bytes([(inner[at] + delta) % 256]) + inner[at + 1 :]

    assert rejection(with_table(signed_envelope, flip, table), pki) == errors.DIGEST_MISMATCH


def test_a_changed_amount_is_a_digest_mismatch(pki: Pki, signed_envelope: bytes) -> None:
    forged = with_table(signed_envelope, lambda t: t.replace(b"15000.00", b"95000.00"), 1)
    assert rejection(forged, pki) == errors.DIGEST_MISMATCH


def test_a_changed_noidungfile_character_is_a_digest_mismatch(
    pki: Pki, signed_envelope: bytes
) -> None:
    start = signed_envelope.index(b"<NOIDUNGFILE>") + len(b"<NOIDUNGFILE>") + 40
    swapped = b"A" if signed_envelope[start : start + 1] != b"A" else b"B"
    forged = signed_envelope[:start] + swapped + signed_envelope[start + 1 :]
    assert rejection(forged, pki) == errors.DIGEST_MISMATCH


def test_a_changed_envelope_field_is_a_digest_mismatch(pki: Pki, signed_envelope: bytes) -> None:
    forged = signed_envelope.replace(b"<NGAYLAP>20260301<", b"<NGAYLAP>20260302<")
    assert rejection(forged, pki) == errors.DIGEST_MISMATCH


def test_a_changed_signature_value_is_invalid(pki: Pki, signed_envelope: bytes) -> None:
    root = etree.fromstring(signed_envelope)
    value = root.find(f".//{DS}SignatureValue")
    assert value is not None and value.text
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    assert rejection(etree.tostring(root), pki) == errors.INVALID


def test_another_facilitys_key_is_not_registered(pki: Pki, envelope: bytes) -> None:
    forged = sign(envelope, pki.signer, facility_key_id("79001"))
    assert rejection(forged, pki) == errors.NOT_REGISTERED


def test_an_xml12_without_submitter_cannot_be_bound(pki: Pki) -> None:
    from .support import XML12

    assert (
        rejection(sign(XML12, pki.signer, facility_key_id("01001")), pki) == errors.NOT_REGISTERED
    )


def test_a_self_signed_certificate_is_untrusted(pki: Pki, envelope: bytes) -> None:
    assert rejection(odd_signed(pki, envelope, "self_signed"), pki) == errors.UNTRUSTED_CHAIN


def test_an_expired_certificate_is_rejected(pki: Pki, envelope: bytes) -> None:
    assert rejection(odd_signed(pki, envelope, "expired"), pki) == errors.EXPIRED


def test_a_not_yet_valid_certificate_is_rejected(pki: Pki, envelope: bytes) -> None:
    assert rejection(odd_signed(pki, envelope, "not_yet_valid"), pki) == errors.NOT_YET_VALID


def test_a_certificate_without_digital_signature_usage_is_rejected(
    pki: Pki, envelope: bytes
) -> None:
    assert rejection(odd_signed(pki, envelope, "no_digital_signature"), pki) == errors.KEY_USAGE


def test_a_tls_server_certificate_cannot_sign_a_dossier(pki: Pki, envelope: bytes) -> None:
    assert rejection(odd_signed(pki, envelope, "tls_server"), pki) == errors.KEY_USAGE


def test_an_rsa_1024_key_is_weak(pki: Pki, envelope: bytes) -> None:
    assert rejection(odd_signed(pki, envelope, "rsa1024"), pki) == errors.WEAK_ALGORITHM


def test_sha1_signature_is_weak(pki: Pki, envelope: bytes) -> None:
    cert = pki.odd.certificate_chain("ec")[0]
    forged = xmlsec_sign(envelope, pki.odd.key("ec"), cert, method=C.TransformEcdsaSha1)
    assert rejection(forged, pki) == errors.WEAK_ALGORITHM


def test_sha1_digest_is_weak(pki: Pki, envelope: bytes) -> None:
    cert = pki.odd.certificate_chain("ec")[0]
    forged = xmlsec_sign(
        envelope, pki.odd.key("ec"), cert, method=C.TransformEcdsaSha256, digest=C.TransformSha1
    )
    assert rejection(forged, pki) == errors.WEAK_ALGORITHM


def test_an_xpath_transform_is_refused(pki: Pki, envelope: bytes) -> None:
    cert = pki.odd.certificate_chain("ec")[0]
    forged = xmlsec_sign(
        envelope,
        pki.odd.key("ec"),
        cert,
        method=C.TransformEcdsaSha256,
        transforms=(C.TransformXPath,),
        xpath="not(ancestor-or-self::THONGTINHOSO)",
    )
    assert rejection(forged, pki) == errors.TRANSFORM


def test_exclusive_canonicalization_is_refused(pki: Pki, envelope: bytes) -> None:
    cert = pki.odd.certificate_chain("ec")[0]
    forged = xmlsec_sign(
        envelope, pki.odd.key("ec"), cert, method=C.TransformEcdsaSha256, c14n=C.TransformExclC14N
    )
    assert rejection(forged, pki) == errors.CANONICALIZATION


def test_a_reference_with_a_non_empty_uri_is_refused(pki: Pki, envelope: bytes) -> None:
    # Sign only THONGTINDONVI: the tables would then be unsigned.
    document = envelope.replace(b"<THONGTINDONVI>", b'<THONGTINDONVI Id="who">')
    cert = pki.odd.certificate_chain("ec")[0]
    forged = xmlsec_sign(
        document,
        pki.odd.key("ec"),
        cert,
        method=C.TransformEcdsaSha256,
        uri="#who",
        transforms=(C.TransformEnveloped, C.TransformInclC14N),
    )
    assert rejection(forged, pki) == errors.REFERENCE


def test_key_value_in_key_info_is_refused(pki: Pki, signed_envelope: bytes) -> None:
    root = etree.fromstring(signed_envelope)
    key_info = root.find(f".//{DS}KeyInfo")
    assert key_info is not None
    key_value = etree.SubElement(key_info, f"{DS}KeyValue")
    leaf = pki.signer.certificate_chain(facility_key_id("79001"))[0]
    key_value.text = base64.b64encode(
        leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).decode()
    assert rejection(etree.tostring(root), pki) == errors.KEY_INFO


def test_no_key_info_is_refused(pki: Pki, signed_envelope: bytes) -> None:
    root = etree.fromstring(signed_envelope)
    key_info = root.find(f".//{DS}KeyInfo")
    assert key_info is not None
    key_info.getparent().remove(key_info)
    assert rejection(etree.tostring(root), pki) == errors.KEY_INFO


def test_an_unsigned_document_is_missing_its_signature(pki: Pki, envelope: bytes) -> None:
    assert rejection(envelope, pki) == errors.MISSING


def test_a_document_without_chukydonvi_is_missing_its_signature(pki: Pki, envelope: bytes) -> None:
    assert rejection(envelope.replace(b"<CHUKYDONVI/>", b""), pki) == errors.MISSING


def test_a_comment_splitting_a_signed_value_is_refused(pki: Pki, signed_envelope: bytes) -> None:
    # C14N drops comments, so the digest still matches, but lxml's .text would read "01".
    forged = signed_envelope.replace(b"<MACSKCB>01001<", b"<MACSKCB>01<!---->001<")
    assert rejection(forged, pki) == errors.UNSIGNED_CONTENT


def test_a_document_of_another_kind_is_an_input_error(pki: Pki) -> None:
    with pytest.raises(XmlInputError) as caught:
        verify(b"<OTHER><CHUKYDONVI/></OTHER>", pki.trust)
    assert caught.value.code == "document.unknown_root"
