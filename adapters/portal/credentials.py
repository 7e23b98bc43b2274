"""Portal accounts: base URL, schema version and credentials per facility, loaded from a file
and the environment, never from a hospital's request.

A provincial hub serves many facilities; each has its own portal account (`<MACSKCB>_BV` by
convention). The accounts file (TOML) names where each secret lives, never the secret itself:

    [defaults]
    base_url = "https://egw.baohiemxahoi.gov.vn"
    version = "4750"                               # 130 | 4750 | 3176: part of the path

    [facilities."01001"]
    username = "01001_BV"                          # default "<facility>_BV"
    password_file = "/run/secrets/portal-01001"    # or password_env = "VAR";
                                                   # or password_md5_file / password_md5_env
    [facilities."79001"]                           # no password_*: $GATEWAY_PORTAL_PASSWORD_79001
    base_url = "https://hub.example.vn/egw"        # overrides the default

The portal takes the password as its MD5 hex digest (upper case, CV 3190 §1.2), so the digest
is what we keep; it is as secret as the password. `Secret` never shows its value in a repr,
str, log line or exception.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.portal.errors import CONFIG, PortalConfigError
from adapters.portal.paths import KNOWN_VERSIONS

DEFAULT_BASE_URL = "https://egw.baohiemxahoi.gov.vn"
DEFAULT_VERSION = "4750"
PASSWORD_ENV_PREFIX = "GATEWAY_PORTAL_PASSWORD_"
_FACILITY = re.compile(r"^[0-9A-Z]{5}$")
_MD5_HEX = re.compile(r"^[0-9A-Fa-f]{32}$")


class Secret:
    """A secret string: its value is read only through `reveal()`; repr and str mask it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: only for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", hashlib.sha256(self._value.encode()).digest()))

    def __reduce__(self) -> Any:  # no accidental pickling into a queue or cache
        raise TypeError("a Secret is not picklable")


def md5_upper(password: str) -> str:
    """The portal's password form: the MD5 hex digest of the UTF-8 password, upper case."""
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


@dataclass(frozen=True)
class Credentials:
    """A portal account: its username and the MD5 (upper-case hex) of its password."""

    username: str
    password_md5: Secret = field(repr=False)

    @classmethod
    def from_password(cls, username: str, password: str) -> Credentials:
        """Credentials from a plain password (hashed at once; the plain text is not kept)."""
        return cls(username, Secret(md5_upper(password)))

    @classmethod
    def from_md5(cls, username: str, digest: str) -> Credentials:
        """Credentials from an MD5 hex digest; raises PortalConfigError if it is not one."""
        if not _MD5_HEX.match(digest.strip()):
            raise PortalConfigError(CONFIG, f"the password digest of {username} is not 32 hex digits")
        return cls(username, Secret(digest.strip().upper()))


@dataclass(frozen=True)
class FacilityAccount:
    """Where and how to deliver one facility's documents."""

    facility: str  # MACSKCB
    credentials: Credentials
    base_url: str = DEFAULT_BASE_URL
    version: str = DEFAULT_VERSION

    def __post_init__(self) -> None:
        if not _FACILITY.match(self.facility):
            raise PortalConfigError(CONFIG, f"facility code must be 5 characters: {self.facility!r}")
        if self.version not in KNOWN_VERSIONS:
            raise PortalConfigError(
                CONFIG, f"{self.facility}: unknown version {self.version!r} ({', '.join(KNOWN_VERSIONS)})"
            )
        if not self.base_url.startswith(("http://", "https://")):
            raise PortalConfigError(CONFIG, f"{self.facility}: base_url must be http(s)")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def province(self) -> str:
        """maTinh: the first two characters of MACSKCB (CV 3190 §2.2)."""
        return self.facility[:2]


@dataclass(frozen=True)
class PortalDirectory:
    """Every facility's account, by facility code; immutable once built."""

    accounts: Mapping[str, FacilityAccount] = field(default_factory=dict)

    @classmethod
    def of(cls, *accounts: FacilityAccount) -> PortalDirectory:
        return cls({a.facility: a for a in accounts})

    def get(self, facility: str) -> FacilityAccount | None:
        return self.accounts.get(facility)

    def __iter__(self) -> Iterator[FacilityAccount]:
        return iter(self.accounts.values())

    def __len__(self) -> int:
        return len(self.accounts)


def load_directory(path: Path, environ: Mapping[str, str] | None = None) -> PortalDirectory:
    """Read an accounts file (module docstring); secrets from the files and variables it names.

    Raises PortalConfigError `portal.config` for an unreadable or malformed file or a missing
    secret; the message names the file or variable, never a secret.
    """
    env = os.environ if environ is None else environ
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PortalConfigError(CONFIG, f"{path}: {exc}") from None
    defaults = data.get("defaults", {})
    facilities = data.get("facilities", {})
    if not isinstance(defaults, dict) or not isinstance(facilities, dict):
        raise PortalConfigError(CONFIG, f"{path}: [defaults] and [facilities.*] must be tables")
    accounts = []
    for code, entry in facilities.items():
        if not isinstance(entry, dict):
            raise PortalConfigError(CONFIG, f"{path}: facilities.{code} must be a table")
        merged = {**defaults, **entry}
        username = str(merged.get("username", f"{code}_BV"))
        accounts.append(
            FacilityAccount(
                facility=str(code),
                credentials=_credentials(username, str(code), merged, env, path.parent),
                base_url=str(merged.get("base_url", DEFAULT_BASE_URL)),
                version=str(merged.get("version", DEFAULT_VERSION)),
            )
        )
    return PortalDirectory.of(*accounts)


def _credentials(
    username: str, code: str, entry: Mapping[str, Any], env: Mapping[str, str], base: Path
) -> Credentials:
    for key, hashed in (("password_md5_file", True), ("password_file", False)):
        if key in entry:
            secret_path = base / str(entry[key])
            try:
                value = secret_path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise PortalConfigError(CONFIG, f"{code}: cannot read {key} {secret_path}: {type(exc).__name__}") from None
            return _make(username, value, hashed)
    for key, hashed in (("password_md5_env", True), ("password_env", False)):
        if key in entry:
            return _make(username, _from_env(env, str(entry[key]), code), hashed)
    return _make(username, _from_env(env, PASSWORD_ENV_PREFIX + code, code), False)


def _from_env(env: Mapping[str, str], name: str, code: str) -> str:
    value = env.get(name)
    if not value:
        raise PortalConfigError(CONFIG, f"{code}: the environment variable {name} is not set")
    return value


def _make(username: str, value: str, hashed: bool) -> Credentials:
    if not value:
        raise PortalConfigError(CONFIG, f"the password of {username} is empty")
    return Credentials.from_md5(username, value) if hashed else Credentials.from_password(username, value)
