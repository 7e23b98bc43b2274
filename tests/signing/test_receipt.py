"""Receipts: signed by the gateway's own key, verifiable by anyone holding the trust directory."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from gateway.signing import errors
from gateway.signing.certutil import utc
from gateway.signing.errors import SignatureRejected
from gateway.signing.receipt import Receipt, sign_receipt, verify_receipt
from gateway.signing.signer import facility_key_id

from .support import Pki


def receipt(envelope: bytes) -> Receipt:
    return Receipt.for_submission("msg-0001", "01001", ["SYN20260301001"], envelope, utc(None))


def test_a_receipt_verifies_and_reads_back(pki: Pki, envelope: bytes) -> None:
    original = receipt(envelope)
    verified = verify_receipt(sign_receipt(original, pki.signer), pki.trust)
    assert verified.receipt == original
    assert verified.receipt.received_sha256 == hashlib.sha256(envelope).hexdigest()
    assert verified.signer.facility is None


def test_a_receipt_lists_ma_lk_sorted_without_duplicates(envelope: bytes) -> None:
    assert Receipt.for_submission("m", "01001", ["B", "A", "B"], envelope, utc(None)).ma_lk == (
        "A",
        "B",
    )


def test_an_altered_receipt_is_rejected(pki: Pki, envelope: bytes) -> None:
    signed = sign_receipt(receipt(envelope), pki.signer)
    forged = signed.replace(b"<Facility>01001<", b"<Facility>79001<")
    with pytest.raises(SignatureRejected) as caught:
        verify_receipt(forged, pki.trust)
    assert caught.value.code == errors.DIGEST_MISMATCH


def test_a_receipt_signed_by_a_facility_key_is_not_a_gateway_receipt(
    pki: Pki, envelope: bytes
) -> None:
    signed = sign_receipt(receipt(envelope), pki.signer, facility_key_id("01001"))
    with pytest.raises(SignatureRejected) as caught:
        verify_receipt(signed, pki.trust)
    assert caught.value.code == errors.RECEIPT_SIGNER


def test_a_receipt_is_judged_at_its_time_of_receipt(pki: Pki, envelope: bytes) -> None:
    # Years later the gateway certificate has expired; the receipt still proves the submission.
    early = Receipt.for_submission("m", "01001", [], envelope, utc(None) - timedelta(minutes=30))
    verified = verify_receipt(sign_receipt(early, pki.signer), pki.trust)
    assert verified.signer.verified_at == early.received_at


def test_a_receipt_with_an_extra_field_is_malformed(pki: Pki, envelope: bytes) -> None:
    root = receipt(envelope).to_xml()
    root.insert(1, root.makeelement(root[0].tag.replace("MessageId", "Extra")))
    from gateway.signing.sign import sign_element

    signed = sign_element(root, root, pki.signer, "gateway")
    with pytest.raises(SignatureRejected) as caught:
        verify_receipt(signed, pki.trust)
    assert caught.value.code == errors.RECEIPT_MALFORMED
