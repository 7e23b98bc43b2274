"""The simulator's configuration: accounts, faults, seed, clock, signature trust."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from adapters.portal.credentials import md5_upper
from adapters.portal.simulator.faults import Faults

if TYPE_CHECKING:
    from gateway.signing import TrustStore

Clock = Callable[[], datetime]
DEV_PASSWORD = "portal-dev"  # the simulator's accounts are not secrets: it is a test double
DEV_FACILITIES = ("01001", "79001")


def utc_now() -> datetime:
    return datetime.now(UTC)


def dev_accounts(facilities: Iterable[str] = DEV_FACILITIES, password: str = DEV_PASSWORD) -> dict[str, str]:
    """`{"<MACSKCB>_BV": MD5(password)}` for each facility: the simulator's account table."""
    return {f"{code}_BV": md5_upper(password) for code in facilities}


@dataclass(frozen=True)
class SimConfig:
    """Everything a simulated portal needs; `SimConfig()` is two dev accounts and no faults.

    `accounts` maps a username (`<MACSKCB>_BV`: the facility it may submit for is the part
    before `_`) to its password's MD5 (upper-case hex). `trust`, when given, makes the
    simulator verify every document's facility signature against the facility's registered
    certificates (gateway.signing); without it, signatures are not checked (the 2023 pilot).
    """

    accounts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(dev_accounts()))
    faults: Faults = field(default_factory=Faults)
    seed: int = 0
    clock: Clock = utc_now
    token_lifetime: timedelta = timedelta(hours=1)
    trust: TrustStore | None = None
    validate: bool = True  # run the project's validator on every document
    cards: int = 40  # size of the seeded card dataset
    max_body_bytes: int = 64 * 1024 * 1024
    keep_documents: bool = True  # False: receipts keep digests only (long demo and bench runs)

    def __repr__(self) -> str:  # the digests are dev values, but keep the habit
        return f"SimConfig(accounts={sorted(self.accounts)}, faults={self.faults.spec()!r}, seed={self.seed})"
