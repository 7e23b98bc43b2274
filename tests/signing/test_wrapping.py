"""XML signature wrapping (XSW): moving, duplicating or hiding signed content is refused."""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from gateway.signing import errors
from gateway.signing.algorithms import DS
from gateway.signing.errors import SignatureRejected
from gateway.signing.verify import verify

from .support import Pki


def rejection(root: etree._Element, pki: Pki) -> str:
    with pytest.raises(SignatureRejected) as caught:
        verify(etree.tostring(root, xml_declaration=True, encoding="utf-8"), pki.trust)
    return caught.value.code


def signature_of(root: etree._Element) -> etree._Element:
    found = root.find(f"CHUKYDONVI/{DS}Signature")
    assert found is not None
    return found


@pytest.fixture
def signed(signed_envelope: bytes) -> etree._Element:
    return etree.fromstring(signed_envelope)


def test_a_second_signature_beside_the_first(pki: Pki, signed: etree._Element) -> None:
    signed.find("CHUKYDONVI").append(copy.deepcopy(signature_of(signed)))
    assert rejection(signed, pki) == errors.WRAPPING


def test_a_second_signature_elsewhere(pki: Pki, signed: etree._Element) -> None:
    signed.find("THONGTINHOSO").append(copy.deepcopy(signature_of(signed)))
    assert rejection(signed, pki) == errors.WRAPPING


def test_the_signature_moved_to_the_root(pki: Pki, signed: etree._Element) -> None:
    signed.append(signature_of(signed))
    assert rejection(signed, pki) == errors.WRAPPING


def test_the_signature_moved_into_the_tables(pki: Pki, signed: etree._Element) -> None:
    signed.find(".//HOSO").append(signature_of(signed))
    assert rejection(signed, pki) == errors.WRAPPING


def test_the_signature_nested_in_a_wrapper_inside_chukydonvi(
    pki: Pki, signed: etree._Element
) -> None:
    wrapper = etree.SubElement(signed.find("CHUKYDONVI"), "WRAPPER")
    wrapper.append(signature_of(signed))
    assert rejection(signed, pki) == errors.WRAPPING


def test_a_second_chukydonvi(pki: Pki, signed: etree._Element) -> None:
    etree.SubElement(signed, "CHUKYDONVI")
    assert rejection(signed, pki) == errors.WRAPPING


def test_content_beside_the_signature_in_chukydonvi(pki: Pki, signed: etree._Element) -> None:
    etree.SubElement(signed.find("CHUKYDONVI"), "NOTE").text = "unsigned?"
    assert rejection(signed, pki) == errors.WRAPPING


def test_original_content_hidden_in_a_ds_object(
    pki: Pki, envelope: bytes, signed: etree._Element
) -> None:
    # Classic XSW: keep the signed original inside the signature, show forged content outside.
    original = copy.deepcopy(signed.find("THONGTINHOSO"))
    signature = signature_of(signed)
    obj = etree.SubElement(signature, f"{DS}Object")
    obj.append(original)
    signed.find("THONGTINHOSO/NGAYLAP").text = "20991231"
    assert rejection(signed, pki) == errors.WRAPPING


def test_duplicated_signed_content_is_a_digest_mismatch(pki: Pki, signed: etree._Element) -> None:
    hosos = signed.find("THONGTINHOSO/DANHSACHHOSO")
    hosos.append(copy.deepcopy(hosos[0]))
    assert rejection(signed, pki) == errors.DIGEST_MISMATCH


def test_signed_content_moved_under_a_new_element(pki: Pki, signed: etree._Element) -> None:
    original = signed.find("THONGTINHOSO")
    forged = copy.deepcopy(original)
    forged.find("NGAYLAP").text = "20991231"
    holder = etree.Element("GOC")
    signed.replace(original, forged)
    holder.append(original)
    signed.insert(0, holder)
    assert rejection(signed, pki) == errors.DIGEST_MISMATCH


def test_a_signature_transplanted_from_another_dossier(
    pki: Pki, envelope: bytes, signed: etree._Element
) -> None:
    other = etree.fromstring(envelope.replace(b"<NGAYLAP>20260301<", b"<NGAYLAP>20260305<"))
    other.find("CHUKYDONVI").append(signature_of(signed))
    assert rejection(other, pki) == errors.DIGEST_MISMATCH


def test_a_second_reference_is_refused(pki: Pki, signed: etree._Element) -> None:
    signed_info = signature_of(signed).find(f"{DS}SignedInfo")
    reference = signed_info.find(f"{DS}Reference")
    extra = copy.deepcopy(reference)
    extra.set("URI", "#other")
    signed_info.append(extra)
    assert rejection(signed, pki) == errors.REFERENCE


def test_a_second_signed_info_is_malformed(pki: Pki, signed: etree._Element) -> None:
    signature = signature_of(signed)
    signature.insert(1, copy.deepcopy(signature.find(f"{DS}SignedInfo")))
    assert rejection(signed, pki) == errors.MALFORMED


def test_a_reference_without_uri_is_refused(pki: Pki, signed: etree._Element) -> None:
    del signature_of(signed).find(f"{DS}SignedInfo/{DS}Reference").attrib["URI"]
    assert rejection(signed, pki) == errors.REFERENCE


def test_an_extra_transform_is_refused(pki: Pki, signed: etree._Element) -> None:
    transforms = signature_of(signed).find(f"{DS}SignedInfo/{DS}Reference/{DS}Transforms")
    etree.SubElement(
        transforms,
        f"{DS}Transform",
        Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116",
    )
    assert rejection(signed, pki) == errors.TRANSFORM


def test_a_signature_in_a_foreign_namespace_counts_as_none(pki: Pki, envelope: bytes) -> None:
    forged = envelope.replace(
        b"<CHUKYDONVI/>", b"<CHUKYDONVI><Signature xmlns='urn:x'/></CHUKYDONVI>"
    )
    with pytest.raises(SignatureRejected) as caught:
        verify(forged, pki.trust)
    assert caught.value.code == errors.MISSING
