"""The signing component: the only code that holds private keys (X-Road's signer, STYLE.md).

Callers name a key and hand over a digest; they never see key material:

    signer.sign_digest("facility:01001", SignatureAlgorithm.RSA_SHA256, sha256_digest)

`Signer` is the interface; `FileKeySigner` keeps keys loaded once from PEM or PKCS#12 files. An
HSM or PKCS#11 token implements the same three methods, and nothing that calls it changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from gateway.signing.algorithms import SignatureAlgorithm
from gateway.signing.certutil import load_certificates
from gateway.signing.errors import (
    KEY_LOAD,
    KEY_MISMATCH,
    KEY_UNKNOWN,
    SIGNER_FAILED,
    SigningFault,
    SigningInputError,
)

GATEWAY_KEY_ID = "gateway"
_HASHES: Mapping[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def facility_key_id(facility: str) -> str:
    """The key id under which a facility's delegated signing key is held."""
    return f"facility:{facility}"


@runtime_checkable
class Signer(Protocol):
    """Holds keys and signs digests with them; the only holder of private keys."""

    def key_ids(self) -> tuple[str, ...]:
        """The ids of the keys this signer holds."""
        ...

    def certificate_chain(self, key_id: str) -> tuple[x509.Certificate, ...]:
        """The key's certificate first, then any intermediates; raises SigningInputError."""
        ...

    def sign_digest(self, key_id: str, algorithm: SignatureAlgorithm, digest: bytes) -> bytes:
        """Sign a precomputed digest; returns the XML-DSig SignatureValue bytes.

        RSA: the PKCS#1 v1.5 signature. ECDSA: r || s, each left-padded to the curve size
        (XML-DSig 1.1 §6.4.3, also what PKCS#11 CKM_ECDSA returns). Raises SigningInputError
        `signing.key_unknown` / `signing.key_mismatch`, SigningFault `signing.failed`.
        """
        ...


@dataclass(frozen=True)
class PassphraseSource:
    """Where a key's passphrase comes from: an environment variable or a file (never argv)."""

    env: str | None = None
    file: Path | None = None

    def read(self) -> bytes | None:
        """The passphrase, or None when no source is set.

        Raises SigningFault `signing.key_load` when the variable is unset or the file unreadable.
        """
        if self.env:
            value = os.environ.get(self.env)
            if value is None:
                raise SigningFault(KEY_LOAD, f"passphrase variable {self.env} is not set")
            return value.encode("utf-8")
        if self.file is not None:
            try:
                return self.file.read_bytes().rstrip(b"\r\n")
            except OSError as exc:
                raise SigningFault(
                    KEY_LOAD, f"passphrase file {self.file}: {exc.strerror}"
                ) from None
        return None


@dataclass(frozen=True)
class KeySource:
    """One key to load: a PEM key plus its certificate (bundle), or a PKCS#12 file alone."""

    key_id: str
    key_path: Path
    cert_path: Path | None = None
    passphrase: PassphraseSource = PassphraseSource()


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class _LoadedKey:
    """A loaded key with its chain: lives inside a FileKeySigner, never handed out."""

    key: PrivateKey
    chain: tuple[x509.Certificate, ...]

    def __repr__(self) -> str:  # never print key material
        return f"LoadedKey({self.chain[0].subject.rfc4514_string()})"


class FileKeySigner:
    """A Signer over keys loaded once from files; see KeySource and `from_pki`."""

    def __init__(self, sources: Iterable[KeySource]) -> None:
        """Load every key now (later signing never touches the disk).

        Raises SigningFault `signing.key_load`, SigningInputError `signing.key_mismatch`.
        """
        self.__entries: dict[str, _LoadedKey] = {}
        for source in sources:
            self.__entries[source.key_id] = _load_key(source)

    @classmethod
    def from_pki(
        cls, base: Path, passphrase: PassphraseSource = PassphraseSource()
    ) -> FileKeySigner:
        """The gateway key and every facility key of a `gateway certs init` directory.

        Key ids: `gateway` and `facility:<code>`. Raises as __init__.
        """
        sources = [
            KeySource(
                GATEWAY_KEY_ID, base / "gateway/key.pem", base / "gateway/cert.pem", passphrase
            )
        ]
        facilities = base / "facilities"
        for folder in sorted(facilities.iterdir()) if facilities.is_dir() else ():
            if (folder / "key.pem").is_file():
                sources.append(
                    KeySource(
                        facility_key_id(folder.name),
                        folder / "key.pem",
                        folder / "cert.pem",
                        passphrase,
                    )
                )
        return cls(sources)

    def __repr__(self) -> str:  # key ids only: never key material, in logs or tracebacks
        return f"FileKeySigner(keys={sorted(self.__entries)})"

    def key_ids(self) -> tuple[str, ...]:
        """The ids of the keys this signer holds, sorted."""
        return tuple(sorted(self.__entries))

    def certificate_chain(self, key_id: str) -> tuple[x509.Certificate, ...]:
        """The key's certificate first, then intermediates; raises SigningInputError."""
        return self._entry(key_id).chain

    def sign_digest(self, key_id: str, algorithm: SignatureAlgorithm, digest: bytes) -> bytes:
        """See Signer.sign_digest."""
        entry = self._entry(key_id)
        hash_type = _HASHES[algorithm.hash_name]
        prehashed = utils.Prehashed(hash_type())
        if len(digest) != hash_type.digest_size:
            raise SigningInputError(
                KEY_MISMATCH,
                f"a {algorithm.hash_name} digest has "
                f"{hash_type.digest_size} bytes, not {len(digest)}",
            )
        try:
            if algorithm.is_rsa and isinstance(entry.key, rsa.RSAPrivateKey):
                return entry.key.sign(digest, padding.PKCS1v15(), prehashed)
            if not algorithm.is_rsa and isinstance(entry.key, ec.EllipticCurvePrivateKey):
                r, s = utils.decode_dss_signature(entry.key.sign(digest, ec.ECDSA(prehashed)))
                size = (entry.key.curve.key_size + 7) // 8
                return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        except ValueError as exc:
            raise SigningFault(SIGNER_FAILED, f"key {key_id}: {exc}") from None
        raise SigningInputError(KEY_MISMATCH, f"key {key_id} cannot sign with {algorithm.name}")

    def _entry(self, key_id: str) -> _LoadedKey:
        try:
            return self.__entries[key_id]
        except KeyError:
            raise SigningInputError(KEY_UNKNOWN, f"no key {key_id!r} in this signer") from None


def _load_key(source: KeySource) -> _LoadedKey:
    """Load one key and its certificates, checking that they belong together.

    Raises SigningFault `signing.key_load` (missing file, wrong passphrase, unsupported key),
    SigningInputError `signing.key_mismatch` (the certificate is for another key).
    """
    passphrase = source.passphrase.read()
    try:
        data = source.key_path.read_bytes()
    except OSError as exc:
        raise SigningFault(KEY_LOAD, f"{source.key_path}: {exc.strerror}") from None
    where = f"{source.key_path} (key {source.key_id})"
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, passphrase)
            chain: list[x509.Certificate] = []
        else:
            p12 = pkcs12.load_pkcs12(data, passphrase)
            key = p12.key  # type: ignore[assignment]
            chain = [
                c.certificate for c in ([p12.cert] if p12.cert else []) + list(p12.additional_certs)
            ]
    except (ValueError, TypeError) as exc:
        raise SigningFault(KEY_LOAD, f"{where}: cannot load ({_reason(exc)})") from None
    if not isinstance(key, PrivateKey):
        raise SigningFault(KEY_LOAD, f"{where}: only RSA and EC keys are supported")
    if source.cert_path is not None:
        try:
            chain = load_certificates(source.cert_path.read_bytes(), str(source.cert_path))
        except OSError as exc:
            raise SigningFault(KEY_LOAD, f"{source.cert_path}: {exc.strerror}") from None
    if not chain:
        raise SigningFault(KEY_LOAD, f"{where}: no certificate given for the key")
    chain = _leaf_first(key, chain, where)
    return _LoadedKey(key, tuple(chain))


def _leaf_first(
    key: PrivateKey, chain: list[x509.Certificate], where: str
) -> list[x509.Certificate]:
    wanted = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for index, cert in enumerate(chain):
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if spki == wanted:
            rest = chain[:index] + chain[index + 1 :]
            # Roots are for the verifier's trust store, not for KeyInfo.
            return [cert, *(c for c in rest if c.issuer != c.subject)]
    raise SigningInputError(KEY_MISMATCH, f"{where}: no certificate matches the private key")


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "password" in text.lower() or "decrypt" in text.lower():
        return "wrong or missing passphrase"
    return text.split("\n", 1)[0]


def export_pkcs12(source: KeySource, out: Path, passphrase: bytes, *, legacy: bool = False) -> None:
    """Write a key and its certificate chain as PKCS#12 (0600), for a HIS that imports one.

    Modern by default: AES-256-CBC with PBKDF2-HMAC-SHA256 and a SHA-256 MAC. `legacy=True`
    uses 3DES and a SHA-1 MAC for old Windows HIS (before Windows 10 1709 / Server 2019).
    Raises ValueError for an empty passphrase; SigningFault / SigningInputError as `_load_key`.
    """
    if not passphrase:
        raise ValueError("a PKCS#12 export needs a passphrase")
    entry = _load_key(source)
    builder = serialization.PrivateFormat.PKCS12.encryption_builder()
    if legacy:
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(
            hashes.SHA1()
        )
    else:
        builder = (
            builder.kdf_rounds(100_000)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
        )
    leaf, *rest = entry.chain
    data = pkcs12.serialize_key_and_certificates(
        leaf.subject.rfc4514_string().encode(),
        entry.key,
        leaf,
        rest or None,
        builder.build(passphrase),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(out, 0o600)
