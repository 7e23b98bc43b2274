"""The trust directory, loaded once, and certificate path validation at a given time.

Layout of the directory (certs/README.md):

    *.pem, *.crt, *.cer   CA certificates: self-signed ones are trust anchors (roots), the
                          others untrusted intermediates used only to build paths
    crl/*                 CRLs (PEM or DER), one or more per issuing CA
    registry.json         facility -> registered certificate fingerprints (registry.py)
    receipt-signers/*.pem the gateway's own receipt-signing certificates (pinned)

Path validation uses cryptography's X.509 verifier (`PolicyBuilder`, RFC 5280 path building with
signature checks on every link) at the time of receipt, with a CA policy that requires
BasicConstraints cA=TRUE (and keyCertSign where KeyUsage is present) and an end-entity policy that
requires the digitalSignature key usage. The leaf's extended key usage, when present, must allow
document signing or client authentication (the licensed CAs issue organisation certificates for
both); a TLS server certificate cannot sign a dossier.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from gateway.signing.certutil import fingerprint, is_self_signed, load_certificates
from gateway.signing.errors import (
    EXPIRED,
    KEY_USAGE,
    NOT_YET_VALID,
    TRUST_LOAD,
    UNTRUSTED_CHAIN,
    SignatureRejected,
    SigningFault,
    SigningInputError,
)
from gateway.signing.registry import REGISTRY_FILE, FacilityRegistry, load_registry

# (responder URL, DER OCSPRequest) -> DER OCSPResponse; raises anything on failure.
OcspFetch = Callable[[str, bytes], bytes]

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # RFC 9336
_SIGNING_EKUS = frozenset(
    {
        DOCUMENT_SIGNING,
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
        x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),  # Microsoft document signing
    }
)
_CERT_SUFFIXES = (".pem", ".crt", ".cer")
_MAX_CACHED_CHAINS = 20_000


class RevocationPolicy(enum.Enum):
    """What an unknown revocation status means: `hard` rejects, `soft` accepts, `off` skips."""

    HARD = "hard"
    SOFT = "soft"
    OFF = "off"


@dataclass(frozen=True)
class TrustStore:
    """Everything verification trusts, immutable; build it once with `TrustStore.load`."""

    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    registry: FacilityRegistry = field(default_factory=FacilityRegistry)
    receipt_signers: frozenset[str] = frozenset()
    revocation: RevocationPolicy = RevocationPolicy.HARD
    ocsp_fetch: OcspFetch | None = None
    _store: Store = field(init=False, repr=False, compare=False)
    _crl_cache: dict[str, tuple[x509.CertificateRevocationList, ...]] = field(
        init=False, repr=False, compare=False
    )
    _chain_cache: dict[
        tuple[x509.Certificate, tuple[x509.Certificate, ...]], tuple[x509.Certificate, ...]
    ] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_store", Store(list(self.anchors)))
        object.__setattr__(self, "_crl_cache", {})
        object.__setattr__(self, "_chain_cache", {})

    def crls_of(self, issuer: x509.Certificate) -> tuple[x509.CertificateRevocationList, ...]:
        """The CRLs `issuer` names and signed (checked once per issuer, then remembered)."""
        name = fingerprint(issuer)
        found = self._crl_cache.get(name)
        if found is None:
            found = tuple(crl for crl in self.crls if crl_signed_by(crl, issuer))
            self._crl_cache[name] = found
        return found

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        revocation: RevocationPolicy = RevocationPolicy.HARD,
        ocsp_fetch: OcspFetch | None = None,
    ) -> TrustStore:
        """Read a trust directory (see the module docstring).

        Raises SigningFault `trust.load` when the directory, a certificate or a CRL cannot be
        read or no trust anchor is found, `registry.load` for a broken registry.
        """
        if not directory.is_dir():
            raise SigningFault(TRUST_LOAD, f"{directory}: not a directory")
        anchors: list[x509.Certificate] = []
        intermediates: list[x509.Certificate] = []
        for path in sorted(p for p in directory.iterdir() if p.suffix in _CERT_SUFFIXES):
            for cert in _read_certs(path):
                (anchors if is_self_signed(cert) else intermediates).append(cert)
        if not anchors:
            raise SigningFault(TRUST_LOAD, f"{directory}: no self-signed root certificate")
        crls = [_read_crl(p) for p in sorted((directory / "crl").glob("*")) if p.is_file()]
        signers = directory / "receipt-signers"
        pinned = frozenset(
            fingerprint(cert)
            for path in (sorted(signers.iterdir()) if signers.is_dir() else ())
            if path.suffix in _CERT_SUFFIXES
            for cert in _read_certs(path)
        )
        return cls(
            tuple(anchors),
            tuple(intermediates),
            tuple(crls),
            load_registry(directory / REGISTRY_FILE),
            pinned,
            revocation,
            ocsp_fetch,
        )

    def validate_chain(
        self, leaf: x509.Certificate, others: Sequence[x509.Certificate], at: datetime
    ) -> tuple[x509.Certificate, ...]:
        """The validated path leaf -> ... -> trusted root, at time `at`.

        `others` are the extra certificates the signature carried (untrusted, path building only).
        Raises SignatureRejected `signature.expired`, `.not_yet_valid`, `.key_usage`,
        `.untrusted_chain`.
        """
        _check_validity(leaf, at, "the signer's certificate")
        _check_leaf_usage(leaf)
        # Path building and its signature checks do not depend on time, only validity periods
        # do: a path found before is reused when every certificate on it is valid at `at`.
        remembered = (leaf, tuple(others))
        chain = self._chain_cache.get(remembered)
        if chain is not None and all(
            c.not_valid_before_utc <= at <= c.not_valid_after_utc for c in chain
        ):
            return chain
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(at)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        candidates = [*others, *self.intermediates]
        try:
            chain = tuple(verifier.verify(leaf, candidates).chain)
        except VerificationError as exc:
            self._explain_failure(leaf, candidates, at)
            raise SignatureRejected(
                UNTRUSTED_CHAIN,
                f"{leaf.subject.rfc4514_string()} does not chain to a trusted root ({exc})",
            ) from None
        if len(self._chain_cache) >= _MAX_CACHED_CHAINS:
            self._chain_cache.clear()
        self._chain_cache[remembered] = chain
        return chain

    def _explain_failure(
        self, leaf: x509.Certificate, candidates: list[x509.Certificate], at: datetime
    ) -> None:
        # The verifier says "failed"; give the precise code when an issuer on the way was
        # simply out of its validity period.
        pool = [*candidates, *self.anchors]
        current, seen = leaf, 0
        while seen < 8:
            issuer = next(
                (c for c in pool if c.subject == current.issuer and c is not current), None
            )
            if issuer is None:
                return
            _check_validity(issuer, at, f"issuer {issuer.subject.rfc4514_string()}")
            if is_self_signed(issuer):
                return
            current, seen = issuer, seen + 1


def crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """True when `issuer` names and signed the CRL."""
    if crl.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return False
    return crl.is_signature_valid(key)


def _check_validity(cert: x509.Certificate, at: datetime, what: str) -> None:
    if at < cert.not_valid_before_utc:
        raise SignatureRejected(
            NOT_YET_VALID,
            f"{what} is valid only from "
            f"{cert.not_valid_before_utc.isoformat()} (checked at {at.isoformat()})",
        )
    if at > cert.not_valid_after_utc:
        raise SignatureRejected(
            EXPIRED,
            f"{what} expired on {cert.not_valid_after_utc.isoformat()} "
            f"(checked at {at.isoformat()})",
        )


def _check_leaf_usage(leaf: x509.Certificate) -> None:
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise SignatureRejected(KEY_USAGE, "the signer's certificate has no KeyUsage") from None
    if not usage.digital_signature:
        raise SignatureRejected(
            KEY_USAGE, "the signer's certificate lacks the digitalSignature usage"
        )
    try:
        purposes = set(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return
    if not purposes & _SIGNING_EKUS:
        raise SignatureRejected(
            KEY_USAGE, "the signer's extended key usage excludes document signing"
        )


def _ca_constraints(policy: Policy, cert: x509.Certificate, value: x509.BasicConstraints) -> None:
    if not value.ca:
        raise ValueError("an issuer's BasicConstraints must say cA=TRUE")


def _ca_key_usage(policy: Policy, cert: x509.Certificate, value: x509.KeyUsage | None) -> None:
    if value is not None and not value.key_cert_sign:
        raise ValueError("an issuer's KeyUsage must include keyCertSign")


def _ee_key_usage(policy: Policy, cert: x509.Certificate, value: x509.KeyUsage) -> None:
    if not value.digital_signature:
        raise ValueError("the signer's KeyUsage must include digitalSignature")


_CA_POLICY = (
    ExtensionPolicy.permit_all()
    .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, _ca_constraints)
    .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _ca_key_usage)
)
_EE_POLICY = ExtensionPolicy.permit_all().require_present(
    x509.KeyUsage, Criticality.AGNOSTIC, _ee_key_usage
)


def _read_certs(path: Path) -> list[x509.Certificate]:
    try:
        return load_certificates(path.read_bytes(), str(path))
    except OSError as exc:
        raise SigningFault(TRUST_LOAD, f"{path}: {exc.strerror}") from None
    except SigningInputError as exc:
        raise SigningFault(TRUST_LOAD, exc.message) from None


def _read_crl(path: Path) -> x509.CertificateRevocationList:
    try:
        data = path.read_bytes()
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except OSError as exc:
        raise SigningFault(TRUST_LOAD, f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise SigningFault(TRUST_LOAD, f"{path}: not a CRL ({exc})") from None
