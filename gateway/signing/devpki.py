"""`gateway certs init`: a complete development PKI in one directory (layout: certs/README.md).

    DIR/ca/root-ca.pem, root-ca.key.pem, intermediate-ca.pem, intermediate-ca.key.pem
    DIR/gateway/cert.pem, key.pem, chain.pem          the gateway's own signing identity
    DIR/facilities/<code>/cert.pem, key.pem, chain.pem  one per facility (delegated signing, mTLS)
    DIR/tls/cert.pem, key.pem, chain.pem              TLS server for localhost and 127.0.0.1
    DIR/trust/                                        what the gateway reads (TrustStore):
        root-ca.pem, intermediate-ca.pem, crl/*.crl.pem, registry.json,
        receipt-signers/gateway.pem

Private keys are written 0600, PKCS#8, encrypted when a passphrase is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gateway.signing.certs import (
    Issuer,
    PrivateKey,
    Validity,
    dev_name,
    issue_ca,
    issue_crl,
    issue_signing_cert,
    issue_tls_server,
    new_key,
)
from gateway.signing.certutil import load_certificates, utc
from gateway.signing.errors import KEY_LOAD, SigningFault
from gateway.signing.registry import REGISTRY_FILE, check_facility_code, register_certificate

CRL_DAYS = 30


@dataclass(frozen=True)
class DevPki:
    """Paths of a development PKI directory."""

    base: Path

    @property
    def trust_dir(self) -> Path:
        """The trust directory the gateway reads."""
        return self.base / "trust"

    @property
    def root_cert(self) -> Path:
        """The development root CA certificate."""
        return self.base / "ca" / "root-ca.pem"

    @property
    def intermediate_cert(self) -> Path:
        """The development issuing CA certificate."""
        return self.base / "ca" / "intermediate-ca.pem"

    @property
    def registry(self) -> Path:
        """The facility certificate registry in the trust directory."""
        return self.trust_dir / REGISTRY_FILE

    def ca_key(self, name: str) -> Path:
        """The private key of the CA `root-ca` or `intermediate-ca`."""
        return self.base / "ca" / f"{name}.key.pem"

    def identity(self, who: str) -> Path:
        """Directory of an identity: "gateway", "tls" or a facility code."""
        return self.base / (who if who in ("gateway", "tls") else f"facilities/{who}")

    def key(self, who: str) -> Path:
        """The private key of an identity (see `identity`)."""
        return self.identity(who) / "key.pem"

    def cert(self, who: str) -> Path:
        """The certificate of an identity (see `identity`)."""
        return self.identity(who) / "cert.pem"

    def chain(self, who: str) -> Path:
        """The certificate of an identity followed by its issuing CA."""
        return self.identity(who) / "chain.pem"


def write_private_key(path: Path, key: PrivateKey, passphrase: bytes | None = None) -> None:
    """Write a PKCS#8 PEM key readable by its owner only (0600), encrypted if a passphrase is given.

    Raises OSError when the file cannot be written.
    """
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to an existing file


def write_certificates(path: Path, certs: Sequence[x509.Certificate]) -> None:
    """Write certificates as a PEM bundle (0644); raises OSError when the file cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))


def load_issuer(pki: DevPki, name: str, passphrase: bytes | None = None) -> Issuer:
    """The development CA `root-ca` or `intermediate-ca`, for issuing more test certificates.

    Raises SigningFault `signing.key_load` when the key cannot be read.
    """
    cert = load_certificates((pki.base / "ca" / f"{name}.pem").read_bytes())[0]
    try:
        key = serialization.load_pem_private_key(pki.ca_key(name).read_bytes(), passphrase)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningFault(KEY_LOAD, f"{pki.ca_key(name)}: {exc}") from None
    if not isinstance(key, PrivateKey):
        raise SigningFault(KEY_LOAD, f"{pki.ca_key(name)}: not an RSA or EC key")
    return Issuer(cert, key)


def init_dev_pki(
    base: Path,
    facilities: Sequence[str] = ("01001",),
    *,
    key_type: str = "rsa",
    passphrase: bytes | None = None,
    now: datetime | None = None,
) -> DevPki:
    """Create the development PKI under `base` (see the module docstring) and return its paths.

    Raises SigningInputError for a bad facility code, ValueError for a bad key type.
    """
    for code in facilities:
        check_facility_code(code)
    now = utc(now)
    pki = DevPki(base)
    root_key = new_key("rsa")
    root = Issuer(
        issue_ca(
            dev_name("Gateway Dev Root CA", "Gateway development PKI"),
            root_key,
            Validity.days(3650, now=now),
            path_length=1,
        ),
        root_key,
    )
    inter_key = new_key("rsa")
    inter = Issuer(
        issue_ca(
            dev_name("Gateway Dev Issuing CA", "Gateway development PKI"),
            inter_key,
            Validity.days(1825, now=now),
            issuer=root,
            path_length=0,
        ),
        inter_key,
    )
    for name, issuer in (("root-ca", root), ("intermediate-ca", inter)):
        write_certificates(pki.base / "ca" / f"{name}.pem", [issuer.certificate])
        write_private_key(pki.ca_key(name), issuer.key, passphrase)
        write_certificates(pki.trust_dir / f"{name}.pem", [issuer.certificate])
    (pki.base / "ca" / "revoked.json").write_text("[]\n")

    gateway_cert = _identity(
        pki,
        "gateway",
        dev_name("Gateway receipt signer", "Gateway (development)"),
        inter,
        key_type,
        passphrase,
        now,
    )
    write_certificates(pki.trust_dir / "receipt-signers" / "gateway.pem", [gateway_cert])
    tls_key = new_key(key_type)
    tls_cert = issue_tls_server(
        ["localhost", "127.0.0.1"], tls_key.public_key(), inter, Validity.days(730, now=now)
    )
    write_private_key(pki.key("tls"), tls_key, passphrase)
    write_certificates(pki.cert("tls"), [tls_cert])
    write_certificates(pki.chain("tls"), [tls_cert, inter.certificate])
    for code in facilities:
        add_facility(pki, code, key_type=key_type, passphrase=passphrase, now=now, issuer=inter)
    write_crls(pki, passphrase, now=now)
    return pki


def add_facility(
    pki: DevPki,
    code: str,
    *,
    key_type: str = "rsa",
    passphrase: bytes | None = None,
    now: datetime | None = None,
    issuer: Issuer | None = None,
    register: bool = True,
) -> x509.Certificate:
    """Issue a facility signing certificate and key into `facilities/<code>/`, and register it.

    Raises SigningInputError for a bad facility code, SigningFault when the CA key cannot be read.
    """
    check_facility_code(code)
    issuer = issuer or load_issuer(pki, "intermediate-ca", passphrase)
    subject = dev_name(
        f"Cơ sở KCB {code} (phát triển)", f"Cơ sở khám chữa bệnh {code}", tax_code=f"DEV{code}"
    )
    cert = _identity(pki, code, subject, issuer, key_type, passphrase, utc(now))
    if register:
        register_certificate(pki.registry, code, cert, now=now)
    return cert


def _identity(
    pki: DevPki,
    who: str,
    subject: x509.Name,
    issuer: Issuer,
    key_type: str,
    passphrase: bytes | None,
    now: datetime,
) -> x509.Certificate:
    key = new_key(key_type)
    cert = issue_signing_cert(subject, key.public_key(), issuer, Validity.days(730, now=now))
    write_private_key(pki.key(who), key, passphrase)
    write_certificates(pki.cert(who), [cert])
    write_certificates(pki.chain(who), [cert, issuer.certificate])
    return cert


def revoke(
    pki: DevPki,
    cert: x509.Certificate,
    *,
    passphrase: bytes | None = None,
    when: datetime | None = None,
) -> None:
    """Revoke a certificate issued by the development intermediate CA and re-issue the CRLs.

    Raises SigningFault when a CA key cannot be read.
    """
    state = pki.base / "ca" / "revoked.json"
    revoked = json.loads(state.read_text())
    revoked.append(
        {
            "serial": format(cert.serial_number, "x"),
            "issuer": cert.issuer.rfc4514_string(),
            "at": utc(when).isoformat(),
        }
    )
    state.write_text(json.dumps(revoked, indent=2) + "\n")
    write_crls(pki, passphrase, now=when)


def write_crls(
    pki: DevPki, passphrase: bytes | None = None, *, now: datetime | None = None
) -> None:
    """(Re-)issue both CRLs into `trust/crl/` from `ca/revoked.json`, valid for CRL_DAYS.

    Raises SigningFault when a CA key cannot be read, OSError when a file cannot be written.
    """
    now = utc(now)
    revoked = json.loads((pki.base / "ca" / "revoked.json").read_text())
    for name in ("root-ca", "intermediate-ca"):
        issuer = load_issuer(pki, name, passphrase)
        mine = [
            (int(item["serial"], 16), datetime.fromisoformat(item["at"]))
            for item in revoked
            if item["issuer"] == issuer.certificate.subject.rfc4514_string()
        ]
        crl = issue_crl(
            issuer,
            mine,
            this_update=now - timedelta(minutes=5),
            next_update=now + timedelta(days=CRL_DAYS),
            number=len(mine) + 1,
        )
        path = pki.trust_dir / "crl" / f"{name}.crl.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
