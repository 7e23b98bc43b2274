"""Signed checkpoints of the audit chain head, written outside the database.

Periodically and on shutdown the store signs `(store id, seq, hash, time)` of the chain head with
the gateway's own key and appends it, one JSON line, to an append-only file in a directory of its
own. Whoever rewrites the database and its whole chain consistently still cannot produce a
chain whose record at a checkpointed seq has the signed hash: `gateway audit verify` catches it.

Signing goes through gateway.signing's `Signer` (it alone holds private keys); checking needs
only the gateway certificate.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from gateway.outbox.audit import canonical
from gateway.outbox.errors import CHECKPOINT, StoreFault
from gateway.signing.algorithms import SignatureAlgorithm
from gateway.signing.certutil import fingerprint
from gateway.signing.signer import GATEWAY_KEY_ID, Signer

CHECKPOINT_FILE = "audit-checkpoints.jsonl"


class CheckpointSigner(Protocol):
    """Signs and checks checkpoint bytes with the gateway's key; `key_id` names that key."""

    @property
    def key_id(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...

    def verify(self, data: bytes, signature: bytes) -> bool: ...


def verify_with_certificate(cert: x509.Certificate, data: bytes, signature: bytes) -> bool:
    """Check a checkpoint signature (RSA PKCS#1 v1.5 or ECDSA r||s, SHA-256) against `cert`."""
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        if isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                return False
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            key.verify(utils.encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            return True
    except InvalidSignature:
        return False
    return False


class GatewayCheckpointSigner:
    """A CheckpointSigner over the signing component (the gateway key, `gateway` by default)."""

    def __init__(self, signer: Signer, key_id: str = GATEWAY_KEY_ID) -> None:
        self._signer = signer
        self._signer_key = key_id
        self._cert = signer.certificate_chain(key_id)[0]
        rsa_key = isinstance(self._cert.public_key(), rsa.RSAPublicKey)
        self._algorithm = SignatureAlgorithm.RSA_SHA256 if rsa_key else SignatureAlgorithm.ECDSA_SHA256

    @property
    def key_id(self) -> str:
        return fingerprint(self._cert)

    def sign(self, data: bytes) -> bytes:
        return self._signer.sign_digest(self._signer_key, self._algorithm, hashlib.sha256(data).digest())

    def verify(self, data: bytes, signature: bytes) -> bool:
        return verify_with_certificate(self._cert, data, signature)


class CertificateVerifier:
    """Checks checkpoints against the gateway certificate alone (the verify command's side)."""

    def __init__(self, cert: x509.Certificate) -> None:
        self._cert = cert

    @property
    def key_id(self) -> str:
        return fingerprint(self._cert)

    def verify(self, data: bytes, signature: bytes) -> bool:
        return verify_with_certificate(self._cert, data, signature)


@dataclass(frozen=True)
class Checkpoint:
    """One signed chain head."""

    store_id: str
    seq: int
    hash: str
    at: str
    key: str  # SHA-256 fingerprint of the signing certificate
    sig: str = ""  # base64 signature over `signed_bytes()`

    def signed_bytes(self) -> bytes:
        fields = {"store_id": self.store_id, "seq": self.seq, "hash": self.hash, "at": self.at, "key": self.key}
        return canonical(fields).encode("utf-8")

    def signature(self) -> bytes:
        return base64.b64decode(self.sig)


def make_checkpoint(store_id: str, seq: int, head_hash: str, at: str, signer: CheckpointSigner) -> Checkpoint:
    """Sign a chain head."""
    unsigned = Checkpoint(store_id, seq, head_hash, at, signer.key_id)
    signature = base64.b64encode(signer.sign(unsigned.signed_bytes())).decode("ascii")
    return Checkpoint(store_id, seq, head_hash, at, signer.key_id, signature)


class CheckpointLog:
    """The append-only file of checkpoints in `directory` (one JSON object per line)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / CHECKPOINT_FILE

    def append(self, checkpoint: Checkpoint) -> None:
        """Append and fsync one line. A line torn by a crash is left as it is, after a newline.

        Raises StoreFault `audit.checkpoint` when the file cannot be written.
        """
        line = (canonical(asdict(checkpoint)) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and _last_byte(self.path, size) != b"\n":
                    line = b"\n" + line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StoreFault(CHECKPOINT, f"{self.path}: {exc.strerror}") from None

    def read(self) -> CheckpointFile:
        """The checkpoints in file order, with every line that is not one.

        A final line without its newline is a write torn by a crash: a note, not an error.
        """
        if not self.path.exists():
            return CheckpointFile((), (), ())
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        checkpoints: list[Checkpoint] = []
        errors: list[str] = []
        notes: list[str] = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                fields = json.loads(raw)
                checkpoints.append(Checkpoint(**fields))
            except (ValueError, TypeError):
                if number == len(lines) and not data.endswith(b"\n"):
                    notes.append(f"{self.path.name} line {number}: torn by a crash (ignored)")
                else:
                    errors.append(f"{self.path.name} line {number}: not a checkpoint")
        return CheckpointFile(tuple(checkpoints), tuple(errors), tuple(notes))


@dataclass(frozen=True)
class CheckpointFile:
    """What `CheckpointLog.read` found."""

    checkpoints: tuple[Checkpoint, ...]
    errors: tuple[str, ...]
    notes: tuple[str, ...]


def _last_byte(path: Path, size: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(size - 1)
        return handle.read(1)
