"""The command line: certs init/register/unregister/export-p12, sign, verify, verify-receipt."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from gateway.signing.certutil import fingerprint, utc
from gateway.signing.receipt import Receipt, sign_receipt
from gateway.signing.registry import load_registry

from .support import Pki, run_cli


@pytest.fixture(scope="module")
def small_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cli-pki") / "pki"
    code, _, err = run_cli("certs", "init", str(base), "--facilities", "01001,79001")
    assert code == 0, err
    return base


def test_certs_init_writes_the_documented_layout(small_pki: Path) -> None:
    expected = [
        "ca/root-ca.pem",
        "ca/intermediate-ca.pem",
        "gateway/cert.pem",
        "gateway/key.pem",
        "facilities/01001/key.pem",
        "facilities/01001/cert.pem",
        "facilities/79001/chain.pem",
        "tls/cert.pem",
        "tls/key.pem",
        "trust/root-ca.pem",
        "trust/intermediate-ca.pem",
        "trust/crl/intermediate-ca.crl.pem",
        "trust/crl/root-ca.crl.pem",
        "trust/registry.json",
        "trust/receipt-signers/gateway.pem",
    ]
    assert [p for p in expected if not (small_pki / p).is_file()] == []


def test_private_keys_are_owner_only(small_pki: Path) -> None:
    keys = [*small_pki.rglob("key.pem"), *small_pki.rglob("*.key.pem")]
    assert keys and all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)


def test_no_private_key_lands_in_the_trust_directory(small_pki: Path) -> None:
    assert not [
        p for p in (small_pki / "trust").rglob("*") if p.is_file() and b"PRIVATE" in p.read_bytes()
    ]


def test_the_tls_certificate_names_localhost_and_loopback(small_pki: Path) -> None:
    cert = x509.load_pem_x509_certificate((small_pki / "tls/cert.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_init_registers_every_facility(small_pki: Path) -> None:
    registry = load_registry(small_pki / "trust/registry.json")
    cert = x509.load_pem_x509_certificate((small_pki / "facilities/79001/cert.pem").read_bytes())
    assert registry.is_registered("79001", fingerprint(cert))
    assert not registry.is_registered("01001", fingerprint(cert))


def test_init_refuses_a_non_empty_directory(small_pki: Path) -> None:
    code, _, err = run_cli("certs", "init", str(small_pki))
    assert code == 2 and "not empty" in err


def test_init_encrypts_keys_with_a_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PKI_PASS", "correct horse")
    code, _, err = run_cli(
        "certs", "init", str(tmp_path / "p"), "--passphrase-env", "PKI_PASS", "--key-type", "ec"
    )
    assert code == 0, err
    data = (tmp_path / "p/facilities/01001/key.pem").read_bytes()
    assert b"ENCRYPTED" in data
    serialization.load_pem_private_key(data, b"correct horse")


def test_sign_and_verify_from_the_command_line(
    small_pki: Path, envelope: bytes, tmp_path: Path
) -> None:
    (tmp_path / "in.xml").write_bytes(envelope)
    code, _, err = run_cli(
        "sign",
        str(tmp_path / "in.xml"),
        str(tmp_path / "out.xml"),
        "--key",
        str(small_pki / "facilities/01001/key.pem"),
        "--cert",
        str(small_pki / "facilities/01001/cert.pem"),
    )
    assert code == 0, err
    code, out, _ = run_cli("verify", str(tmp_path / "out.xml"), "--trust", str(small_pki / "trust"))
    assert code == 0 and out.startswith("OK")


def test_verify_reports_each_failure_with_its_code(
    small_pki: Path, envelope: bytes, tmp_path: Path
) -> None:
    (tmp_path / "unsigned.xml").write_bytes(envelope)
    (tmp_path / "in.xml").write_bytes(envelope)
    run_cli(
        "sign",
        str(tmp_path / "in.xml"),
        str(tmp_path / "good.xml"),
        "--key",
        str(small_pki / "facilities/01001/key.pem"),
        "--cert",
        str(small_pki / "facilities/01001/cert.pem"),
    )
    code, out, _ = run_cli(
        "verify",
        str(tmp_path / "good.xml"),
        str(tmp_path / "unsigned.xml"),
        "--trust",
        str(small_pki / "trust"),
        "--json",
    )
    report = json.loads(out)
    assert code == 1
    assert [r["ok"] for r in report["results"]] == [True, False]
    assert report["results"][1]["code"] == "signature.missing"


def test_verify_at_a_time_before_the_certificates_is_not_yet_valid(
    small_pki: Path, envelope: bytes, tmp_path: Path
) -> None:
    (tmp_path / "in.xml").write_bytes(envelope)
    run_cli(
        "sign",
        str(tmp_path / "in.xml"),
        str(tmp_path / "good.xml"),
        "--key",
        str(small_pki / "facilities/01001/key.pem"),
        "--cert",
        str(small_pki / "facilities/01001/cert.pem"),
    )
    code, out, _ = run_cli(
        "verify",
        str(tmp_path / "good.xml"),
        "--trust",
        str(small_pki / "trust"),
        "--at",
        "2020-01-01T00:00:00Z",
    )
    assert code == 1 and "signature.not_yet_valid" in out


def test_usage_errors_exit_2(small_pki: Path, tmp_path: Path) -> None:
    assert (
        run_cli("verify", "x.xml", "--trust", str(small_pki / "trust"), "--at", "yesterday")[0] == 2
    )
    assert run_cli("verify", "x.xml", "--trust", str(tmp_path / "missing"))[0] == 2
    assert run_cli("verify")[0] == 2


def test_sign_with_ecdsa_refused_for_an_rsa_key(
    small_pki: Path, envelope: bytes, tmp_path: Path
) -> None:
    (tmp_path / "in.xml").write_bytes(envelope)
    code, _, err = run_cli(
        "sign",
        str(tmp_path / "in.xml"),
        str(tmp_path / "o.xml"),
        "--alg",
        "ecdsa-sha256",
        "--key",
        str(small_pki / "facilities/01001/key.pem"),
        "--cert",
        str(small_pki / "facilities/01001/cert.pem"),
    )
    assert code == 2 and "signing.key_mismatch" in err


def test_register_and_unregister(small_pki: Path, tmp_path: Path) -> None:
    trust = small_pki / "trust"
    cert_path = small_pki / "facilities/79001/cert.pem"
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert run_cli("certs", "register", "01001", str(cert_path), "--trust", str(trust))[0] == 0
    assert load_registry(trust / "registry.json").is_registered("01001", fingerprint(cert))
    assert (
        run_cli(
            "certs",
            "unregister",
            "01001",
            "--fingerprint",
            fingerprint(cert),
            "--trust",
            str(trust),
        )[0]
        == 0
    )
    assert not load_registry(trust / "registry.json").is_registered("01001", fingerprint(cert))
    assert load_registry(trust / "registry.json").is_registered("79001", fingerprint(cert))


def test_register_refuses_a_bad_facility_code(small_pki: Path) -> None:
    code, _, err = run_cli(
        "certs",
        "register",
        "1001",
        str(small_pki / "facilities/01001/cert.pem"),
        "--trust",
        str(small_pki / "trust"),
    )
    assert code == 2 and "registry.facility_code" in err


@pytest.mark.parametrize("legacy", [False, True])
def test_export_p12_loads_back_with_its_chain(
    small_pki: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, legacy: bool
) -> None:
    monkeypatch.setenv("P12_PASS", "s3cret")
    out = tmp_path / "01001.p12"
    args = [
        "certs",
        "export-p12",
        "--key",
        str(small_pki / "facilities/01001/key.pem"),
        "--cert",
        str(small_pki / "facilities/01001/chain.pem"),
        str(out),
        "--passphrase-env",
        "P12_PASS",
    ]
    code, _, err = run_cli(*args, *(["--legacy"] if legacy else []))
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    loaded = pkcs12.load_pkcs12(out.read_bytes(), b"s3cret")
    assert loaded.key is not None and len(loaded.additional_certs) == 1


def test_a_p12_key_signs(
    small_pki: Path, envelope: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P12_PASS", "s3cret")
    p12 = tmp_path / "k.p12"
    run_cli(
        "certs",
        "export-p12",
        "--key",
        str(small_pki / "facilities/01001/key.pem"),
        "--cert",
        str(small_pki / "facilities/01001/chain.pem"),
        str(p12),
        "--passphrase-env",
        "P12_PASS",
    )
    (tmp_path / "in.xml").write_bytes(envelope)
    code, _, err = run_cli(
        "sign",
        str(tmp_path / "in.xml"),
        str(tmp_path / "o.xml"),
        "--key",
        str(p12),
        "--passphrase-env",
        "P12_PASS",
    )
    assert code == 0, err
    assert run_cli("verify", str(tmp_path / "o.xml"), "--trust", str(small_pki / "trust"))[0] == 0


def test_a_wrong_passphrase_is_a_clear_error(
    small_pki: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P12_PASS", "s3cret")
    monkeypatch.setenv("WRONG", "nope")
    p12 = tmp_path / "k.p12"
    run_cli(
        "certs",
        "export-p12",
        "--key",
        str(small_pki / "facilities/01001/key.pem"),
        "--cert",
        str(small_pki / "facilities/01001/cert.pem"),
        str(p12),
        "--passphrase-env",
        "P12_PASS",
    )
    code, _, err = run_cli(
        "sign", "in.xml", "out.xml", "--key", str(p12), "--passphrase-env", "WRONG"
    )
    assert code == 2 and "signing.key_load" in err and "s3cret" not in err


def test_verify_receipt_command(pki: Pki, envelope: bytes, tmp_path: Path) -> None:
    path = tmp_path / "receipt.xml"
    path.write_bytes(
        sign_receipt(Receipt.for_submission("m-1", "01001", ["A"], envelope, utc(None)), pki.signer)
    )
    code, out, _ = run_cli("verify-receipt", str(path), "--trust", str(pki.dev.trust_dir), "--json")
    assert code == 0
    assert json.loads(out)["results"][0]["receipt"]["message_id"] == "m-1"
    path.write_bytes(path.read_bytes().replace(b"m-1", b"m-2"))
    assert run_cli("verify-receipt", str(path), "--trust", str(pki.dev.trust_dir))[0] == 1
