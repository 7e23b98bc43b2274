"""What the simulated portal remembers: tokens, every raw receipt, one current version per
facility + key, the current faults.

Every request that reaches a submission endpoint is a `Receipt`, whatever the answer (tests
count sends with them). A document the portal takes becomes the current version of each of its
keys (MA_LK; SO_BIEN_BAN for XML12) at its facility, replacing an earlier one: the open
assumption of DOMAIN.md that a re-sent dossier replaces the earlier one.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from adapters.portal.simulator.cards import SimCard, make_cards
from adapters.portal.simulator.config import SimConfig
from adapters.portal.simulator.faults import Draw, Faults, draw


@dataclass(frozen=True)
class IssuedToken:
    """A token the simulator handed out."""

    username: str
    id_token: str
    expires_at: datetime


@dataclass(frozen=True)
class Receipt:
    """One raw submission as the portal received it, and what it answered."""

    seq: int  # 1-based, in order of arrival
    at: datetime
    path: str
    username: str
    facility: str  # the maCSKCB form field
    loai_ho_so: str
    sha256: str  # of the decoded document
    size: int
    keys: tuple[str, ...] = ()  # MA_LK (SO_BIEN_BAN for XML12) when the document was read
    status: int = 200
    ma_ket_qua: str = ""
    ma_giao_dich: str | None = None
    fault: str | None = None  # "down", "burst_5xx", "429", "error", "deny", "timeout", "reset", "refuse"
    document: bytes = field(default=b"", repr=False)  # decoded fileHSBase64, if kept

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq, "at": self.at.isoformat(), "path": self.path, "username": self.username,
            "facility": self.facility, "loaiHoSo": self.loai_ho_so, "sha256": self.sha256,
            "bytes": self.size, "keys": list(self.keys), "status": self.status,
            "maKetQua": self.ma_ket_qua, "maGiaoDich": self.ma_giao_dich, "fault": self.fault,
        }  # fmt: skip


@dataclass(frozen=True)
class StoredVersion:
    """The current version of one key at one facility."""

    facility: str
    key: str
    ma_giao_dich: str
    received_at: datetime
    receipt_seq: int
    sha256: str
    versions: int = 1  # how many accepted sends this key has had (2+ = replaced by a re-send)
    document: bytes = field(default=b"", repr=False)  # if kept

    def to_json(self) -> dict[str, object]:
        return {
            "facility": self.facility, "key": self.key, "maGiaoDich": self.ma_giao_dich,
            "receivedAt": self.received_at.isoformat(), "receiptSeq": self.receipt_seq,
            "sha256": self.sha256, "versions": self.versions,
        }  # fmt: skip


class SimState:
    """The mutable memory of one simulated portal (one per app; no module-level state)."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.accounts = dict(config.accounts)
        self.rng = random.Random(config.seed)  # fault dice only: one seed, one sequence
        self._ids = random.Random(f"{config.seed}:ids")  # tokens, apart from the dice
        self.started_at = config.clock()
        self.tokens: dict[str, IssuedToken] = {}
        self.token_requests: Counter[str] = Counter()
        self.received: list[Receipt] = []
        self.current: dict[tuple[str, str], StoredVersion] = {}
        self.cards: tuple[SimCard, ...] = make_cards(config.seed, config.cards)
        self.api_requests = 0
        self.released = asyncio.Event()  # set at shutdown: hanging requests give up
        self._faults = config.faults
        self._faults_since = 0  # burst_5xx counts API requests from here
        self._transactions = 0

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, faults: Faults) -> None:
        """Change the faults now; burst_5xx counts requests from this moment."""
        self._faults = faults
        self._faults_since = self.api_requests

    def elapsed(self) -> float:
        """Seconds since the simulator started, by its clock (downtime windows use this)."""
        return (self.config.clock() - self.started_at).total_seconds()

    def next_api_request(self) -> tuple[int, Draw]:
        """Count an API request; its number since the faults changed, and its dice."""
        self.api_requests += 1
        return self.api_requests - self._faults_since, draw(self._faults, self.rng)

    def token_latency(self) -> float:
        """Seconds to delay a token request (`latency_ms`), drawn apart from the API dice."""
        low, high = self._faults.latency_ms
        return self._ids.uniform(low, high) / 1000.0

    def new_token(self, username: str, expires_at: datetime) -> tuple[str, IssuedToken]:
        access = f"{self._ids.getrandbits(128):032x}"
        issued = IssuedToken(username, f"{self._ids.getrandbits(128):032x}", expires_at)
        self.tokens[access] = issued
        return access, issued

    def new_transaction_id(self) -> str:
        self._transactions += 1
        return f"SIM{self._transactions:010d}"

    def record(self, receipt: Receipt) -> Receipt:
        self.received.append(receipt)
        return receipt

    def next_seq(self) -> int:
        return len(self.received) + 1

    def store(self, receipt: Receipt) -> None:
        """Make the receipt's document the current version of each of its keys at its facility
        (replace on resend)."""
        assert receipt.ma_giao_dich is not None
        for key in receipt.keys:
            earlier = self.current.get((receipt.facility, key))
            self.current[(receipt.facility, key)] = StoredVersion(
                receipt.facility, key, receipt.ma_giao_dich, receipt.at, receipt.seq,
                receipt.sha256, earlier.versions + 1 if earlier else 1, receipt.document,
            )  # fmt: skip

    def current_version(self, facility: str, key: str) -> StoredVersion | None:
        return self.current.get((facility, key))

    def receipts_for(self, key: str) -> list[Receipt]:
        """Every raw submission that named `key` (MA_LK / SO_BIEN_BAN)."""
        return [r for r in self.received if key in r.keys]
