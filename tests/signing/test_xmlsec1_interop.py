"""Interoperability with the independent `xmlsec1` tool, both directions, RSA and ECDSA, over a
three-level chain (root -> intermediate -> leaf; KeyInfo carries the leaf only).

xmlsec1 is required: CI installs it (Debian package `xmlsec1`). Without it these tests fail.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.signing.algorithms import C14N_10, DIGEST_SHA256, DS_NS, ENVELOPED, SignatureAlgorithm
from gateway.signing.certutil import utc
from gateway.signing.receipt import Receipt, sign_receipt
from gateway.signing.sign import sign
from gateway.signing.signer import facility_key_id
from gateway.signing.verify import verify

from .support import Pki

FACILITIES = {"rsa": "01001", "ecdsa": "01002"}  # 01002's key is EC P-256


def require_xmlsec1() -> str:
    """The xmlsec1 binary; a test FAILS (never skips) without it."""
    path = shutil.which("xmlsec1")
    if path is None:
        pytest.fail(
            "xmlsec1 is not installed: `apt-get install -y xmlsec1` (interop is a requirement)"
        )
    return path


def run(xmlsec1: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([xmlsec1, *args], capture_output=True, text=True, timeout=60, check=False)


def xmlsec1_verifies(xmlsec1: str, pki: Pki, path: Path) -> subprocess.CompletedProcess[str]:
    return run(
        xmlsec1,
        "--verify",
        "--trusted-pem",
        str(pki.dev.trust_dir / "root-ca.pem"),
        "--untrusted-pem",
        str(pki.dev.trust_dir / "intermediate-ca.pem"),
        str(path),
    )


def document_for(envelope: bytes, facility: str) -> bytes:
    return envelope.replace(b"<MACSKCB>01001<", f"<MACSKCB>{facility}<".encode())


@pytest.mark.parametrize("alg", ["rsa", "ecdsa"])
def test_xmlsec1_verifies_our_signature(
    pki: Pki, envelope: bytes, tmp_path: Path, alg: str
) -> None:
    xmlsec1 = require_xmlsec1()
    xmlsec1 = require_xmlsec1()
    facility = FACILITIES[alg]
    path = tmp_path / "signed.xml"
    path.write_bytes(sign(document_for(envelope, facility), pki.signer, facility_key_id(facility)))
    result = xmlsec1_verifies(xmlsec1, pki, path)
    assert result.returncode == 0, result.stderr


def test_xmlsec1_rejects_our_signature_once_tampered(
    pki: Pki, signed_envelope: bytes, tmp_path: Path
) -> None:
    xmlsec1 = require_xmlsec1()
    xmlsec1 = require_xmlsec1()
    path = tmp_path / "tampered.xml"
    path.write_bytes(signed_envelope.replace(b"<NGAYLAP>20260301<", b"<NGAYLAP>20260302<"))
    assert xmlsec1_verifies(xmlsec1, pki, path).returncode != 0


def test_xmlsec1_verifies_our_receipt(pki: Pki, envelope: bytes, tmp_path: Path) -> None:
    xmlsec1 = require_xmlsec1()
    xmlsec1 = require_xmlsec1()
    path = tmp_path / "receipt.xml"
    path.write_bytes(
        sign_receipt(Receipt.for_submission("m", "01001", ["A"], envelope, utc(None)), pki.signer)
    )
    result = xmlsec1_verifies(xmlsec1, pki, path)
    assert result.returncode == 0, result.stderr


def template(envelope: bytes, method: SignatureAlgorithm) -> bytes:
    """The envelope with an xmlsec1 signing template in CHUKYDONVI (what a HIS would produce)."""
    signature = (
        f'<ds:Signature xmlns:ds="{DS_NS}"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{C14N_10}"/>'
        f'<ds:SignatureMethod Algorithm="{method.value}"/>'
        f'<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="{ENVELOPED}"/></ds:Transforms>'
        f'<ds:DigestMethod Algorithm="{DIGEST_SHA256}"/><ds:DigestValue/></ds:Reference>'
        "</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
    )
    return envelope.replace(b"<CHUKYDONVI/>", f"<CHUKYDONVI>{signature}</CHUKYDONVI>".encode())


@pytest.mark.parametrize("alg", ["rsa", "ecdsa"])
def test_we_verify_what_xmlsec1_signs(pki: Pki, envelope: bytes, tmp_path: Path, alg: str) -> None:
    xmlsec1 = require_xmlsec1()
    xmlsec1 = require_xmlsec1()
    facility = FACILITIES[alg]
    method = SignatureAlgorithm.RSA_SHA256 if alg == "rsa" else SignatureAlgorithm.ECDSA_SHA256
    (tmp_path / "template.xml").write_bytes(template(document_for(envelope, facility), method))
    folder = pki.dev.identity(facility)
    result = run(
        xmlsec1,
        "--sign",
        "--privkey-pem",
        f"{folder / 'key.pem'},{folder / 'cert.pem'}",
        "--output",
        str(tmp_path / "signed.xml"),
        str(tmp_path / "template.xml"),
    )
    assert result.returncode == 0, result.stderr
    info = verify((tmp_path / "signed.xml").read_bytes(), pki.trust)
    assert info.facility == facility and info.signature_algorithm == method.value
    assert len(info.chain) == 3


def test_we_verify_xmlsec1_output_carrying_the_intermediate(
    pki: Pki, envelope: bytes, tmp_path: Path
) -> None:
    xmlsec1 = require_xmlsec1()
    xmlsec1 = require_xmlsec1()
    (tmp_path / "template.xml").write_bytes(template(envelope, SignatureAlgorithm.RSA_SHA256))
    folder = pki.dev.identity("01001")
    result = run(
        xmlsec1,
        "--sign",
        "--privkey-pem",
        f"{folder / 'key.pem'},{folder / 'cert.pem'},{pki.dev.trust_dir / 'intermediate-ca.pem'}",
        "--output",
        str(tmp_path / "signed.xml"),
        str(tmp_path / "template.xml"),
    )
    assert result.returncode == 0, result.stderr
    signed = (tmp_path / "signed.xml").read_bytes()
    assert signed.count(b"X509Certificate>") == 4  # two certificates, open and close tags
    assert verify(signed, pki.trust_with(intermediates=())).facility == "01001"
