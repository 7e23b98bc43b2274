"""The registry file, the trust directory and the key store: loading and their failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.signing import errors
from gateway.signing.certutil import fingerprint
from gateway.signing.errors import SignatureRejected, SigningFault, SigningInputError
from gateway.signing.registry import (
    load_registry,
    register_certificate,
    unregister_certificate,
)
from gateway.signing.sign import sign
from gateway.signing.signer import FileKeySigner, KeySource, PassphraseSource, facility_key_id
from gateway.signing.trust import TrustStore
from gateway.signing.verify import verify

from .support import Pki


def test_registering_twice_keeps_one_entry(pki: Pki, tmp_path: Path) -> None:
    cert = pki.signer.certificate_chain(facility_key_id("01001"))[0]
    path = tmp_path / "registry.json"
    register_certificate(path, "01001", cert)
    register_certificate(path, "01001", cert)
    assert load_registry(path).facilities["01001"][0].sha256 == fingerprint(cert)
    assert len(load_registry(path).facilities["01001"]) == 1


def test_a_certificate_may_serve_several_facilities(pki: Pki, tmp_path: Path) -> None:
    cert = pki.signer.certificate_chain(facility_key_id("01001"))[0]
    path = tmp_path / "registry.json"
    register_certificate(path, "01001", cert)
    register_certificate(path, "01002", cert)
    assert load_registry(path).facilities_of(fingerprint(cert)) == ("01001", "01002")
    assert unregister_certificate(path, "01002", fingerprint(cert))
    assert not unregister_certificate(path, "01002", fingerprint(cert))


def test_a_missing_registry_is_empty(tmp_path: Path) -> None:
    assert load_registry(tmp_path / "none.json").facilities == {}


def test_a_broken_registry_is_our_fault(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text('{"format": "something else"}')
    with pytest.raises(SigningFault) as caught:
        load_registry(path)
    assert caught.value.code == errors.REGISTRY_LOAD


def test_a_bad_facility_code_is_refused(pki: Pki, tmp_path: Path) -> None:
    cert = pki.signer.certificate_chain(facility_key_id("01001"))[0]
    with pytest.raises(SigningInputError) as caught:
        register_certificate(tmp_path / "r.json", "01 001", cert)
    assert caught.value.code == errors.FACILITY_CODE


def test_unregistering_stops_verification(pki: Pki, signed_envelope: bytes, tmp_path: Path) -> None:
    trust_dir = tmp_path / "trust"
    shutil.copytree(pki.dev.trust_dir, trust_dir)
    cert = pki.signer.certificate_chain(facility_key_id("01001"))[0]
    unregister_certificate(trust_dir / "registry.json", "01001", fingerprint(cert))
    with pytest.raises(SignatureRejected) as caught:
        verify(signed_envelope, TrustStore.load(trust_dir))
    assert caught.value.code == errors.NOT_REGISTERED


def test_a_checkin_naming_two_facilities_cannot_be_bound(pki: Pki, checkin: bytes) -> None:
    row = checkin[checkin.index(b"<TRANG_THAI_KCB>") : checkin.index(b"</TRANG_THAI_KCB>") + 17]
    second = row.replace(b"<MA_CSKCB>01001<", b"<MA_CSKCB>79001<")
    document = checkin.replace(row, row + second)
    with pytest.raises(SignatureRejected) as caught:
        verify(sign(document, pki.signer, facility_key_id("01001")), pki.trust)
    assert caught.value.code == errors.NOT_REGISTERED


def test_a_trust_directory_without_a_root_is_our_fault(tmp_path: Path) -> None:
    with pytest.raises(SigningFault) as caught:
        TrustStore.load(tmp_path)
    assert caught.value.code == errors.TRUST_LOAD


def test_a_missing_trust_directory_is_our_fault(tmp_path: Path) -> None:
    with pytest.raises(SigningFault):
        TrustStore.load(tmp_path / "nowhere")


def test_trust_loading_sorts_roots_from_intermediates(pki: Pki) -> None:
    assert [c.subject.rfc4514_string() for c in pki.trust.anchors] == [
        pki.issuer.certificate.issuer.rfc4514_string()
    ]
    assert pki.issuer.certificate in pki.trust.intermediates
    assert len(pki.trust.receipt_signers) == 1


def test_an_unset_passphrase_variable_is_reported(pki: Pki) -> None:
    source = KeySource(
        "k", pki.dev.key("01001"), pki.dev.cert("01001"), PassphraseSource(env="NO_SUCH_VAR_X")
    )
    with pytest.raises(SigningFault) as caught:
        FileKeySigner([source])
    assert caught.value.code == errors.KEY_LOAD


def test_a_certificate_for_another_key_is_refused(pki: Pki) -> None:
    with pytest.raises(SigningInputError) as caught:
        FileKeySigner([KeySource("k", pki.dev.key("01001"), pki.dev.cert("79001"))])
    assert caught.value.code == errors.KEY_MISMATCH


def test_a_passphrase_file_is_read(tmp_path: Path, pki: Pki) -> None:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pki.dev.key("79001").read_bytes(), None)
    encrypted = tmp_path / "key.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"from a file"),
        )
    )
    (tmp_path / "pass").write_text("from a file\n")
    source = KeySource(
        "k", encrypted, pki.dev.cert("79001"), PassphraseSource(file=tmp_path / "pass")
    )
    assert FileKeySigner([source]).key_ids() == ("k",)
