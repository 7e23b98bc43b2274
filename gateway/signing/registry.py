"""The facility certificate registry: facility code -> certificates allowed to sign for it.

Certificates from the licensed Vietnamese CAs name an organisation's tax code, not its facility
code; VSS registers each facility's certificates (DOMAIN.md "Signatures"). This registry is our
copy of that link: a JSON file `registry.json` in the trust directory, managed with
`gateway certs register|unregister`:

    {"format": "gateway-signing-registry/1",
     "facilities": {"01001": [{"sha256": "<hex of the certificate DER>", "subject": "...",
                               "not_after": "2028-11-24T05:00:00+00:00",
                               "registered_at": "2026-11-24T05:00:00+00:00"}]}}

Only `sha256` decides; the other fields are there for the operator reading the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from cryptography import x509

from gateway.signing.certutil import fingerprint, utc
from gateway.signing.errors import (
    FACILITY_CODE,
    REGISTRY_LOAD,
    SigningFault,
    SigningInputError,
)

REGISTRY_FILE = "registry.json"
FORMAT = "gateway-signing-registry/1"
# MACSKCB / MA_CSKCB: five characters (QĐ 130 XML1 MA_CSKCB; in practice digits).
_FACILITY_CODE = re.compile(r"^[0-9A-Z]{5}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class RegisteredCertificate:
    """One registered certificate, named by the SHA-256 of its DER encoding."""

    sha256: str
    subject: str = ""
    not_after: str = ""
    registered_at: str = ""


@dataclass(frozen=True)
class FacilityRegistry:
    """An immutable snapshot of the registry."""

    facilities: Mapping[str, tuple[RegisteredCertificate, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def fingerprints(self, facility: str) -> frozenset[str]:
        """The fingerprints registered for `facility` (empty when none)."""
        return frozenset(entry.sha256 for entry in self.facilities.get(facility, ()))

    def is_registered(self, facility: str, cert_fingerprint: str) -> bool:
        """True when the certificate with this fingerprint may sign for `facility`."""
        return cert_fingerprint.lower() in self.fingerprints(facility)

    def facilities_of(self, cert_fingerprint: str) -> tuple[str, ...]:
        """Every facility the certificate is registered for, sorted."""
        wanted = cert_fingerprint.lower()
        return tuple(
            sorted(
                code
                for code, entries in self.facilities.items()
                if any(e.sha256 == wanted for e in entries)
            )
        )


def check_facility_code(code: str) -> str:
    """Return `code` if it is a facility code (5 letters/digits); raises SigningInputError."""
    if not _FACILITY_CODE.match(code):
        raise SigningInputError(
            FACILITY_CODE, f"{code!r} is not a facility code (5 letters or digits)"
        )
    return code


def load_registry(path: Path) -> FacilityRegistry:
    """Read the registry file; a missing file is an empty registry.

    Raises SigningFault `registry.load` for an unreadable or malformed file.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return FacilityRegistry()
    except OSError as exc:
        raise SigningFault(REGISTRY_LOAD, f"{path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        facilities: dict[str, tuple[RegisteredCertificate, ...]] = {}
        for code, entries in data["facilities"].items():
            items = tuple(RegisteredCertificate(**entry) for entry in entries)
            if not all(_FINGERPRINT.match(item.sha256) for item in items):
                raise ValueError(f"facility {code}: a sha256 is not 64 lowercase hex digits")
            facilities[check_facility_code(code)] = items
    except (ValueError, KeyError, TypeError, AttributeError, SigningInputError) as exc:
        raise SigningFault(REGISTRY_LOAD, f"{path}: {exc}") from None
    return FacilityRegistry(MappingProxyType(facilities))


def register_certificate(
    path: Path, facility: str, cert: x509.Certificate, *, now: datetime | None = None
) -> RegisteredCertificate:
    """Allow `cert` to sign for `facility` (idempotent); returns the entry.

    Raises SigningInputError `registry.facility_code`, SigningFault `registry.load`.
    """
    check_facility_code(facility)
    entry = RegisteredCertificate(
        sha256=fingerprint(cert),
        subject=cert.subject.rfc4514_string(),
        not_after=cert.not_valid_after_utc.isoformat(),
        registered_at=utc(now).isoformat(timespec="seconds"),
    )
    with _locked(path):
        current = dict(load_registry(path).facilities)
        existing = current.get(facility, ())
        if any(item.sha256 == entry.sha256 for item in existing):
            return next(item for item in existing if item.sha256 == entry.sha256)
        current[facility] = (*existing, entry)
        _write(path, current)
    return entry


def unregister_certificate(path: Path, facility: str, cert_fingerprint: str) -> bool:
    """Withdraw a certificate from `facility`; returns False when it was not registered.

    Raises SigningInputError `registry.facility_code`, SigningFault `registry.load`.
    """
    check_facility_code(facility)
    wanted = cert_fingerprint.lower().replace(":", "")
    with _locked(path):
        current = dict(load_registry(path).facilities)
        existing = current.get(facility, ())
        kept = tuple(item for item in existing if item.sha256 != wanted)
        if len(kept) == len(existing):
            return False
        if kept:
            current[facility] = kept
        else:
            current.pop(facility, None)
        _write(path, current)
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Serialises concurrent `certs register` runs; readers need no lock (writes are atomic).
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path.with_name("." + path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    except OSError as exc:
        raise SigningFault(REGISTRY_LOAD, f"{path}: {exc.strerror}") from None


def _write(path: Path, facilities: Mapping[str, tuple[RegisteredCertificate, ...]]) -> None:
    data = {
        "format": FORMAT,
        "facilities": {
            code: [entry.__dict__ for entry in entries]
            for code, entries in sorted(facilities.items())
        },
    }
    fd, temp = tempfile.mkstemp(prefix=".registry-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temp, 0o644)
    os.replace(temp, path)
