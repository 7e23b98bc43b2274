"""Facility accounts of the portal-compatible face: slow hashes, constant-time checks, lock-out.

The HIS sends `password` = the MD5 hex of its password (the portal's convention; upper case is
documented, lower case is seen and accepted). The gateway stores only scrypt of that hex
(`scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`), so a leaked configuration does not give the value
a HIS sends. After `max_failures` consecutive bad passwords a username is locked for
`lockout_seconds` (unknown usernames too: the answer never tells which usernames exist).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gateway.config import PortalAccount

N, R, P = 2**14, 8, 1
_MD5_HEX = re.compile(r"^[0-9A-Fa-f]{32}$")
_MAX_TRACKED = 10_000  # usernames with recent failures kept in memory


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def normalise_md5(value: str) -> str | None:
    """The MD5 hex in upper case, or None when `value` is not 32 hex digits."""
    return value.upper() if _MD5_HEX.match(value) else None


def md5_hex(password: str) -> str:
    """What a HIS sends for `password` (MD5 hex, upper case)."""
    return hashlib.md5(password.encode("utf-8")).hexdigest().upper()


def hash_password(md5: str, *, n: int = N, r: int = R, p: int = P) -> str:
    """The stored secret of an account whose HIS sends the MD5 hex `md5`."""
    normal = normalise_md5(md5)
    if normal is None:
        raise ValueError("expected the 32 hex digits of an MD5")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(normal.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(secret: str, md5: str) -> bool:
    """True when `md5` (the hex the HIS sent) matches the stored `secret`; constant time."""
    normal = normalise_md5(md5) or "0" * 32
    try:
        _, n, r, p, salt, expected = secret.split("$")
        want = base64.b64decode(expected)
        got = hashlib.scrypt(normal.encode("ascii"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(want))
    except (ValueError, binascii.Error):
        return False
    return secrets.compare_digest(got, want) and normalise_md5(md5) is not None


_DUMMY = hash_password("0" * 32, n=N)  # spent on unknown usernames, so timing tells nothing


@dataclass
class _Failures:
    count: int
    locked_until: float


class AccountBook:
    """The configured accounts and their recent failures (in memory, per process)."""

    def __init__(self, accounts: Mapping[str, PortalAccount], *, max_failures: int, lockout_seconds: float,
                 clock: Callable[[], float]) -> None:
        self._accounts = dict(accounts)
        self._max = max_failures
        self._lockout = lockout_seconds
        self._clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def locked_for(self, username: str) -> float:
        """Seconds until `username` may try again (0.0 when it may now)."""
        entry = self._failures.get(username)
        if entry is None:
            return 0.0
        return max(0.0, entry.locked_until - self._clock())

    def check(self, username: str, md5: str) -> PortalAccount | None:
        """The account when the password is right (CPU-bound: run it off the event loop)."""
        account = self._accounts.get(username)
        ok = verify_password(account.secret if account else _DUMMY, md5)
        return account if ok and account is not None else None

    def record(self, username: str, success: bool) -> None:
        """Count a failure (locking the username at the limit) or clear them on success."""
        if success:
            self._failures.pop(username, None)
            return
        entry = self._failures.pop(username, None) or _Failures(0, 0.0)
        entry.count += 1
        if entry.count >= self._max:
            entry.locked_until = self._clock() + self._lockout
            entry.count = 0
        self._failures[username] = entry
        while len(self._failures) > _MAX_TRACKED:
            self._failures.popitem(last=False)
