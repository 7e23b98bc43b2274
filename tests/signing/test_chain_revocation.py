"""Certificate paths through intermediates, validity at the time of receipt, revocation (CRL,
OCSP behind an injected fetch) and the hard/soft/off policies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from lxml import etree

from gateway.signing import errors
from gateway.signing.algorithms import DS
from gateway.signing.certs import (
    Issuer,
    Validity,
    dev_name,
    issue_ca,
    issue_crl,
    issue_signing_cert,
    new_key,
)
from gateway.signing.certutil import fingerprint, utc
from gateway.signing.devpki import load_issuer
from gateway.signing.errors import SignatureRejected
from gateway.signing.registry import FacilityRegistry, RegisteredCertificate
from gateway.signing.sign import sign
from gateway.signing.signer import FileKeySigner, KeySource
from gateway.signing.trust import RevocationPolicy, TrustStore
from gateway.signing.verify import verify

from .support import MemorySigner, Pki

OCSP_URL = "http://ocsp.ca.test/"


def rejection(document: bytes, trust: TrustStore, **kwargs: Any) -> str:
    with pytest.raises(SignatureRejected) as caught:
        verify(document, trust, **kwargs)
    return caught.value.code


def identity(pki: Pki, issuer: Issuer, name: str, **options: Any) -> MemorySigner:
    key = new_key("rsa")
    subject = dev_name(f"chain test: {name}", "Cơ sở khám chữa bệnh 01001", tax_code="DEV01001")
    validity = options.pop("validity", Validity.days(365))
    cert = issue_signing_cert(subject, key.public_key(), issuer, validity, **options)
    signer = MemorySigner()
    signer.add(name, key, cert)
    return signer


def registered(pki: Pki, *signers: MemorySigner, **changes: object) -> TrustStore:
    """The session trust store with these signers registered for 01001, and other changes."""
    facilities = dict(pki.trust.registry.facilities)
    extra = tuple(
        RegisteredCertificate(fingerprint(s.certificate_chain(k)[0]))
        for s in signers
        for k in s.key_ids()
    )
    facilities["01001"] = facilities["01001"] + extra
    return pki.trust_with(registry=FacilityRegistry(facilities), **changes)


# -- paths ---------------------------------------------------------------------------------------


def test_key_info_with_only_the_leaf_chains_through_the_trust_directory(
    pki: Pki, signed_envelope: bytes
) -> None:
    certs = etree.fromstring(signed_envelope).findall(f".//{DS}X509Certificate")
    assert len(certs) == 1
    assert len(verify(signed_envelope, pki.trust).chain) == 3


def test_an_intermediate_carried_in_key_info_is_used(pki: Pki, envelope: bytes) -> None:
    base = pki.dev.base / "facilities" / "01001"
    signer = FileKeySigner([KeySource("with-chain", base / "key.pem", base / "chain.pem")])
    signed = sign(envelope, signer, "with-chain")
    assert len(verify(signed, pki.trust_with(intermediates=())).chain) == 3


def test_without_the_intermediate_anywhere_the_chain_is_untrusted(
    pki: Pki, signed_envelope: bytes
) -> None:
    assert rejection(signed_envelope, pki.trust_with(intermediates=())) == errors.UNTRUSTED_CHAIN


def test_a_leaf_cannot_act_as_an_issuer(pki: Pki, envelope: bytes) -> None:
    leaf_key = new_key("rsa")
    leaf = issue_signing_cert(
        dev_name("not a CA", "x"), leaf_key.public_key(), pki.issuer, Validity.days(30)
    )
    child = identity(pki, Issuer(leaf, leaf_key), "child-of-leaf")
    trust = registered(pki, child, intermediates=(*pki.trust.intermediates, leaf))
    assert rejection(sign(envelope, child, "child-of-leaf"), trust) == errors.UNTRUSTED_CHAIN


def test_an_expired_intermediate_is_reported_as_expired(pki: Pki, envelope: bytes) -> None:
    root = load_issuer(pki.dev, "root-ca")
    now = utc(None)
    key = new_key("rsa")
    old = issue_ca(
        dev_name("Old Issuing CA", "x"),
        key,
        Validity(now - timedelta(days=900), now - timedelta(days=1)),
        issuer=root,
        path_length=0,
    )
    signer = identity(
        pki,
        Issuer(old, key),
        "under-old-ca",
        validity=Validity(now - timedelta(days=10), now + timedelta(days=10)),
    )
    trust = registered(pki, signer, intermediates=(*pki.trust.intermediates, old))
    assert rejection(sign(envelope, signer, "under-old-ca"), trust) == errors.EXPIRED


# -- CRLs and policies ---------------------------------------------------------------------------


def test_a_revoked_certificate_is_rejected(pki: Pki, envelope: bytes) -> None:
    assert rejection(sign(envelope, pki.odd, "revoked"), pki.trust) == errors.REVOKED


def test_a_certificate_revoked_after_receipt_was_good_at_receipt(pki: Pki, envelope: bytes) -> None:
    signed = sign(envelope, pki.odd, "revoked_later")
    assert verify(signed, pki.trust).revocation == "good:crl"
    assert rejection(signed, pki.trust, at=utc(None) + timedelta(days=11)) == errors.REVOKED


def test_unknown_status_is_rejected_under_hard(pki: Pki, signed_envelope: bytes) -> None:
    assert rejection(signed_envelope, pki.trust_with(crls=())) == errors.REVOCATION_UNKNOWN


def test_unknown_status_is_accepted_and_recorded_under_soft(
    pki: Pki, signed_envelope: bytes
) -> None:
    trust = pki.trust_with(crls=(), revocation=RevocationPolicy.SOFT)
    assert verify(signed_envelope, trust).revocation == "unknown"


def test_revocation_is_not_checked_under_off(pki: Pki, envelope: bytes) -> None:
    trust = pki.trust_with(revocation=RevocationPolicy.OFF)
    assert verify(sign(envelope, pki.odd, "revoked"), trust).revocation == "unchecked"


def test_a_stale_crl_gives_no_answer(pki: Pki, signed_envelope: bytes) -> None:
    at = utc(None) + timedelta(days=45)  # past the CRLs' nextUpdate (30 days)
    assert rejection(signed_envelope, pki.trust, at=at) == errors.REVOCATION_UNKNOWN


def test_a_crl_not_signed_by_the_issuer_is_ignored(pki: Pki, envelope: bytes) -> None:
    impostor = Issuer(pki.issuer.certificate, new_key("rsa"))  # same name, another key
    now = utc(None)
    fake = issue_crl(impostor, [], this_update=now, next_update=now + timedelta(days=5))
    trust = pki.trust_with(crls=(fake,))
    assert rejection(sign(envelope, pki.odd, "revoked"), trust) == errors.REVOCATION_UNKNOWN


def test_a_revoked_intermediate_is_rejected(pki: Pki, envelope: bytes) -> None:
    root = load_issuer(pki.dev, "root-ca")
    now = utc(None)
    key = new_key("rsa")
    ca = issue_ca(
        dev_name("Second Issuing CA", "x"), key, Validity.days(365), issuer=root, path_length=0
    )
    signer = identity(pki, Issuer(ca, key), "under-revoked-ca")
    root_crl = issue_crl(
        root,
        [(ca.serial_number, now - timedelta(hours=1))],
        this_update=now - timedelta(minutes=1),
        next_update=now + timedelta(days=1),
    )
    own_crl = issue_crl(
        Issuer(ca, key),
        [],
        this_update=now - timedelta(minutes=1),
        next_update=now + timedelta(days=1),
    )
    trust = registered(
        pki,
        signer,
        intermediates=(*pki.trust.intermediates, ca),
        crls=(*pki.trust.crls, root_crl, own_crl),
    )
    assert rejection(sign(envelope, signer, "under-revoked-ca"), trust) == errors.REVOKED


# -- OCSP ----------------------------------------------------------------------------------------


Responder = Callable[[str, bytes], bytes]


def responder(
    issuer: Issuer,
    status: ocsp.OCSPCertStatus,
    *,
    signer: Issuer | None = None,
    revoked_at: datetime | None = None,
    calls: list[str] | None = None,
) -> Responder:
    """A local OCSP responder: answers any request about the certificates `issuer` issued."""

    def fetch(url: str, request_der: bytes) -> bytes:
        if calls is not None:
            calls.append(url)
        request = ocsp.load_der_ocsp_request(request_der)
        now = utc(None)
        responding = signer or issuer
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                request.issuer_name_hash,
                request.issuer_key_hash,
                request.serial_number,
                request.hash_algorithm,
                status,
                now - timedelta(minutes=5),
                now + timedelta(hours=4),
                revoked_at if status is ocsp.OCSPCertStatus.REVOKED else None,
                None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, responding.certificate)
        )
        if signer is not None:
            builder = builder.certificates([signer.certificate])
        response = builder.sign(responding.key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    return fetch


@pytest.fixture(scope="module")
def ocsp_signer(pki: Pki) -> MemorySigner:
    return identity(pki, pki.issuer, "with-ocsp", ocsp_url=OCSP_URL)


def ocsp_trust(
    pki: Pki, signer: MemorySigner, fetch: Responder, *, crls: bool = True
) -> TrustStore:
    # crls=False drops the issuing CA's CRL, so OCSP is the only source for the leaf.
    issuing = pki.issuer.certificate.subject
    kept = pki.trust.crls if crls else tuple(c for c in pki.trust.crls if c.issuer != issuing)
    return registered(pki, signer, crls=kept, ocsp_fetch=fetch)


def test_ocsp_good_is_used_when_configured(
    pki: Pki, envelope: bytes, ocsp_signer: MemorySigner
) -> None:
    calls: list[str] = []
    trust = ocsp_trust(
        pki, ocsp_signer, responder(pki.issuer, ocsp.OCSPCertStatus.GOOD, calls=calls), crls=False
    )
    info = verify(sign(envelope, ocsp_signer, "with-ocsp"), trust)
    assert calls == [OCSP_URL]
    assert info.revocation.startswith("good:") and "ocsp" in info.revocation


def test_ocsp_revoked_is_rejected(pki: Pki, envelope: bytes, ocsp_signer: MemorySigner) -> None:
    fetch = responder(
        pki.issuer, ocsp.OCSPCertStatus.REVOKED, revoked_at=utc(None) - timedelta(hours=1)
    )
    trust = ocsp_trust(pki, ocsp_signer, fetch)
    assert rejection(sign(envelope, ocsp_signer, "with-ocsp"), trust) == errors.REVOKED


def test_a_delegated_ocsp_responder_is_accepted(
    pki: Pki, envelope: bytes, ocsp_signer: MemorySigner
) -> None:
    key = new_key("ec")
    delegate = (
        x509.CertificateBuilder()
        .subject_name(dev_name("OCSP responder", "x"))
        .issuer_name(pki.issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(utc(None) - timedelta(hours=1))
        .not_valid_after(utc(None) + timedelta(days=5))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .sign(pki.issuer.key, hashes.SHA256())
    )
    fetch = responder(pki.issuer, ocsp.OCSPCertStatus.GOOD, signer=Issuer(delegate, key))
    trust = ocsp_trust(pki, ocsp_signer, fetch, crls=False)
    assert "ocsp" in verify(sign(envelope, ocsp_signer, "with-ocsp"), trust).revocation


def test_an_ocsp_answer_signed_by_a_stranger_is_no_answer(
    pki: Pki, envelope: bytes, ocsp_signer: MemorySigner
) -> None:
    stranger = Issuer(pki.issuer.certificate, new_key("rsa"))
    trust = ocsp_trust(pki, ocsp_signer, responder(stranger, ocsp.OCSPCertStatus.GOOD), crls=False)
    assert rejection(sign(envelope, ocsp_signer, "with-ocsp"), trust) == errors.REVOCATION_UNKNOWN


def test_an_unreachable_responder_falls_back_to_crls(
    pki: Pki, envelope: bytes, ocsp_signer: MemorySigner
) -> None:
    def down(url: str, request: bytes) -> bytes:
        raise TimeoutError("no route to responder")

    trust = ocsp_trust(pki, ocsp_signer, down)
    assert verify(sign(envelope, ocsp_signer, "with-ocsp"), trust).revocation == "good:crl"


def test_ocsp_unknown_status_without_crls_is_unknown(
    pki: Pki, envelope: bytes, ocsp_signer: MemorySigner
) -> None:
    trust = ocsp_trust(
        pki, ocsp_signer, responder(pki.issuer, ocsp.OCSPCertStatus.UNKNOWN), crls=False
    )
    assert rejection(sign(envelope, ocsp_signer, "with-ocsp"), trust) == errors.REVOCATION_UNKNOWN
