"""Issue development certificates, keys and CRLs (`gateway certs init`, test fixtures).

Development only: a real deployment uses certificates from the licensed Vietnamese CAs
(certs/README.md). The shapes follow what those CAs issue, so the verifier is exercised on
realistic input: organisation certificates name a tax code (UID "MST:..."), carry
digitalSignature + nonRepudiation, and are also usable as TLS client certificates.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.signing.certutil import utc

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

KEY_TYPES = ("rsa", "ec")


@dataclass(frozen=True)
class Issuer:
    """A CA certificate with its key, able to issue certificates and CRLs (development only)."""

    certificate: x509.Certificate
    key: PrivateKey

    def __repr__(self) -> str:  # never print key material
        return f"Issuer({self.certificate.subject.rfc4514_string()})"


@dataclass(frozen=True)
class Validity:
    """The notBefore/notAfter window of a certificate."""

    not_before: datetime
    not_after: datetime

    @classmethod
    def days(
        cls, days: int, *, now: datetime | None = None, backdate: timedelta = timedelta(hours=1)
    ) -> Validity:
        """Valid from `now - backdate` for `days` days (backdating absorbs clock skew)."""
        start = utc(now) - backdate
        return cls(start, start + timedelta(days=days))


def new_key(key_type: str = "rsa", *, rsa_bits: int = 2048) -> PrivateKey:
    """A fresh private key: RSA (2048 bits by default) or EC P-256.

    Raises ValueError for another key type.
    """
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"key type must be one of {KEY_TYPES}, not {key_type!r}")


def dev_name(common_name: str, organisation: str, *, tax_code: str | None = None) -> x509.Name:
    """A Vietnamese-CA-shaped subject: C=VN, O, CN and, for organisations, UID=MST:<tax code>."""
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if tax_code is not None:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, f"MST:{tax_code}"))
    return x509.Name(attributes)


def _builder(
    subject: x509.Name, public_key: PublicKey, issuer_name: x509.Name, validity: Validity
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity.not_before)
        .not_valid_after(validity.not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    non_repudiation: bool = False,
    key_encipherment: bool = False,
    cert_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=non_repudiation,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _sign(builder: x509.CertificateBuilder, issuer_key: PrivateKey) -> x509.Certificate:
    return builder.sign(issuer_key, hashes.SHA256())


def _authority(
    builder: x509.CertificateBuilder, issuer: Issuer, crl_url: str | None, ocsp_url: str | None
) -> x509.CertificateBuilder:
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if ocsp_url:
        access = x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return builder


def issue_ca(
    subject: x509.Name,
    key: PrivateKey,
    validity: Validity,
    *,
    issuer: Issuer | None = None,
    path_length: int | None = None,
    crl_url: str | None = None,
) -> x509.Certificate:
    """A CA certificate: self-signed root when `issuer` is None, else an intermediate."""
    issuer_name = subject if issuer is None else issuer.certificate.subject
    builder = _builder(subject, key.public_key(), issuer_name, validity)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=True, path_length=path_length), critical=True
    )
    builder = builder.add_extension(_key_usage(cert_sign=True), critical=True)
    if issuer is not None:
        builder = _authority(builder, issuer, crl_url, None)
    return _sign(builder, key if issuer is None else issuer.key)


def issue_signing_cert(
    subject: x509.Name,
    public_key: PublicKey,
    issuer: Issuer,
    validity: Validity,
    *,
    digital_signature: bool = True,
    client_auth: bool = True,
    crl_url: str | None = None,
    ocsp_url: str | None = None,
) -> x509.Certificate:
    """An end-entity document-signing certificate (also a TLS client certificate by default).

    `digital_signature=False` exists for the tests of the key-usage check.
    """
    builder = _builder(subject, public_key, issuer.certificate.subject, validity)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    builder = builder.add_extension(
        _key_usage(digital_signature=digital_signature, non_repudiation=True), critical=True
    )
    usages = [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    if client_auth:
        usages.insert(0, ExtendedKeyUsageOID.CLIENT_AUTH)
    builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    builder = _authority(builder, issuer, crl_url, ocsp_url)
    return _sign(builder, issuer.key)


def issue_tls_server(
    hosts: Sequence[str], public_key: PublicKey, issuer: Issuer, validity: Validity
) -> x509.Certificate:
    """A TLS server certificate for DNS names and IP addresses (e.g. localhost, 127.0.0.1)."""
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = dev_name(hosts[0], "Gateway TLS (development)")
    builder = _builder(subject, public_key, issuer.certificate.subject, validity)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    builder = builder.add_extension(
        _key_usage(
            digital_signature=True, key_encipherment=isinstance(public_key, rsa.RSAPublicKey)
        ),
        critical=True,
    )
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
    )
    builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    builder = _authority(builder, issuer, None, None)
    return _sign(builder, issuer.key)


def issue_crl(
    issuer: Issuer,
    revoked: Iterable[tuple[int, datetime]],
    *,
    this_update: datetime,
    next_update: datetime,
    number: int = 1,
) -> x509.CertificateRevocationList:
    """A CRL signed by `issuer` listing (serial number, revocation time) pairs."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(utc(this_update))
        .next_update(utc(next_update))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    for serial, when in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(utc(when))
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(issuer.key, hashes.SHA256())
