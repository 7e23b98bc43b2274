"""Revocation status of a validated chain at the time of receipt: OCSP where configured, CRLs.

For each certificate of the chain but the root, with its issuer:

1. OCSP, when the trust store has a fetch callable and the certificate names a responder (AIA):
   the response must be signed by the issuer or by a responder certificate the issuer issued
   for OCSP signing, and must be about this certificate.
2. Otherwise (or when OCSP gives no answer) the CRLs of the trust directory: a CRL signed by the
   issuer.

A source answers for time `at` when `at` is not past its nextUpdate. A later source answers too:
a certificate revoked after `at` was still good at `at`, which is what archives need
(`gateway verify --at`). No answer is "unknown"; the policy (`hard` by default) decides.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from gateway.signing.errors import REVOCATION_UNKNOWN, REVOKED, SignatureRejected
from gateway.signing.trust import OcspFetch, RevocationPolicy, TrustStore


class Status(enum.Enum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Answer:
    """What one source says about one certificate."""

    status: Status
    source: str  # "ocsp", "crl" or "none"
    detail: str = ""


def check_chain(chain: Sequence[x509.Certificate], trust: TrustStore, at: datetime) -> str:
    """Check every certificate of a validated chain (leaf first, root last); returns a summary
    for SignerInfo: "good:crl", "good:ocsp", "unknown" (policy soft) or "unchecked" (policy off).

    Raises SignatureRejected `signature.revoked`, or `signature.revocation_unknown` under `hard`.
    """
    if trust.revocation is RevocationPolicy.OFF:
        return "unchecked"
    sources = []
    unknown = []
    for cert, issuer in itertools.pairwise(chain):
        answer = status_of(cert, issuer, trust, at)
        if answer.status is Status.REVOKED:
            raise SignatureRejected(
                REVOKED, f"{cert.subject.rfc4514_string()} was revoked ({answer.detail})"
            )
        if answer.status is Status.UNKNOWN:
            unknown.append(f"{cert.subject.rfc4514_string()}: {answer.detail}")
        else:
            sources.append(answer.source)
    if unknown:
        if trust.revocation is RevocationPolicy.HARD:
            raise SignatureRejected(
                REVOCATION_UNKNOWN, "revocation status unknown for " + "; ".join(unknown)
            )
        return "unknown"
    return "good:" + "+".join(sorted(set(sources))) if sources else "good"


def status_of(
    cert: x509.Certificate, issuer: x509.Certificate, trust: TrustStore, at: datetime
) -> Answer:
    """The revocation status of `cert` at `at`, OCSP first when configured, then CRLs."""
    if trust.ocsp_fetch is not None:
        url = _ocsp_url(cert)
        if url is not None:
            answer = ocsp_status(cert, issuer, url, trust.ocsp_fetch, at)
            if answer.status is not Status.UNKNOWN:
                return answer
    return crl_status(cert, trust.crls_of(issuer), at)


def crl_status(
    cert: x509.Certificate, crls: Sequence[x509.CertificateRevocationList], at: datetime
) -> Answer:
    """What CRLs say about `cert` at time `at`. `crls` must be the CRLs its issuer signed
    (TrustStore.crls_of checks that, once per CRL and issuer)."""
    covering = [crl for crl in crls if crl.next_update_utc is None or at <= crl.next_update_utc]
    if not covering:
        return Answer(Status.UNKNOWN, "none", "no current CRL from its issuer")
    for crl in covering:
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None and entry.revocation_date_utc <= at:
            return Answer(
                Status.REVOKED, "crl", f"CRL: since {entry.revocation_date_utc.isoformat()}"
            )
    return Answer(Status.GOOD, "crl")


def _ocsp_url(cert: x509.Certificate) -> str | None:
    try:
        access = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for item in access:
        if item.access_method == x509.oid.AuthorityInformationAccessOID.OCSP and isinstance(
            item.access_location, x509.UniformResourceIdentifier
        ):
            return str(item.access_location.value)
    return None


def ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """The DER OCSP request for one certificate (CertID hashed with SHA-256)."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256())
    return builder.build().public_bytes(serialization.Encoding.DER)


def ocsp_status(
    cert: x509.Certificate, issuer: x509.Certificate, url: str, fetch: OcspFetch, at: datetime
) -> Answer:
    """Ask the responder at `url` through `fetch`; any failure is an UNKNOWN answer."""
    try:
        response = ocsp.load_der_ocsp_response(fetch(url, ocsp_request(cert, issuer)))
    except Exception as exc:  # the fetch is injected: any failure of it means "no answer"
        return Answer(Status.UNKNOWN, "ocsp", f"OCSP {url}: {type(exc).__name__}: {exc}")
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return Answer(Status.UNKNOWN, "ocsp", f"OCSP {url}: {response.response_status.name}")
    problem = _ocsp_problem(response, cert, issuer, at)
    if problem:
        return Answer(Status.UNKNOWN, "ocsp", f"OCSP {url}: {problem}")
    if response.certificate_status is ocsp.OCSPCertStatus.REVOKED:
        when = response.revocation_time_utc
        if when is not None and when <= at:
            return Answer(Status.REVOKED, "ocsp", f"OCSP: since {when.isoformat()}")
        return Answer(Status.GOOD, "ocsp")
    if response.certificate_status is ocsp.OCSPCertStatus.GOOD:
        return Answer(Status.GOOD, "ocsp")
    return Answer(
        Status.UNKNOWN, "ocsp", f"OCSP {url}: the responder does not know the certificate"
    )


def _ocsp_problem(
    response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate, at: datetime
) -> str | None:
    if response.serial_number != cert.serial_number:
        return "the response is about another certificate"
    expected = (
        ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, response.hash_algorithm).build()
    )
    if (response.issuer_key_hash, response.issuer_name_hash) != (
        expected.issuer_key_hash,
        expected.issuer_name_hash,
    ):
        return "the response is about another issuer"
    if response.next_update_utc is not None and at > response.next_update_utc:
        return "the response is stale"
    signer = _ocsp_signer(response, issuer)
    if signer is None:
        return "the response is not signed by the issuer or its delegated responder"
    return None


def _ocsp_signer(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
    candidates = [issuer]
    for responder in response.certificates:
        try:
            responder.verify_directly_issued_by(issuer)
            purposes = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in purposes:
            candidates.append(responder)
    for candidate in candidates:
        if _signature_ok(candidate, response):
            return candidate
    return None


def _signature_ok(cert: x509.Certificate, response: ocsp.OCSPResponse) -> bool:
    key = cert.public_key()
    algorithm = response.signature_hash_algorithm
    if algorithm is None or isinstance(algorithm, hashes.SHA1 | hashes.MD5):
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True
