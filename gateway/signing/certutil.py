"""Small X.509 helpers shared by the trust store, the registry and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from gateway.signing.errors import CERTIFICATE_INPUT, SigningInputError


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, lowercase hex: how the registry names a cert."""
    return cert.fingerprint(hashes.SHA256()).hex()


def load_certificates(data: bytes, what: str = "certificate") -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, or the one DER certificate.

    Raises SigningInputError `certs.bad_certificate` when nothing can be read.
    """
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SigningInputError(CERTIFICATE_INPUT, f"{what}: not a certificate ({exc})") from None
    if not certs:
        raise SigningInputError(CERTIFICATE_INPUT, f"{what}: no certificate found")
    return certs


def is_self_signed(cert: x509.Certificate) -> bool:
    """True when the certificate names itself as issuer and its signature verifies with its key."""
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def utc(moment: datetime | None) -> datetime:
    """`moment` as an aware UTC datetime; now when None; naive values are taken as UTC."""
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time (`2026-03-04T08:30:00Z`, `2026-03-04`); naive means UTC.

    Raises ValueError for anything else.
    """
    return utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
