"""The card and treatment-history lookup (`KQNhanLichSuKCB2024`, annex 03 to CV 1923/BHXH-CNTT,
2024): the question, the answer, and the result codes as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from gateway.identity.mask import mask_id


@dataclass(frozen=True)
class CardResult:
    """One row of the lookup's result-code table (annex 03 §4; DOMAIN.md)."""

    code: str
    meaning: str
    usable: bool  # the card may be used for this visit (000–004)
    retryable: bool = False  # the portal's own trouble: asking again later may help


_ROWS = (
    ("000", "card information correct", True, False),
    ("001", "card managed by the Ministry of Defence's VSS: check ID papers", True, False),
    ("002", "card managed by the Ministry of Public Security's VSS: check ID papers", True, False),
    ("003", "old card expired, new card issued", True, False),
    ("004", "old card still valid, new card issued", True, False),
    ("010", "card expired", False, False),
    ("050", "no card information", False, False),
    ("051", "wrong card code", False, False),
    ("052", "wrong issuing province (characters 4–5)", False, False),
    ("053", "wrong benefit level (character 3)", False, False),
    ("054", "the asking staff member's CCCD is not registered", False, False),
    ("055", "the asking staff member's name does not match their CCCD", False, False),
    ("060", "wrong name on card", False, False),
    ("061", "wrong name (first letter right)", False, False),
    ("070", "wrong birth date", False, False),
    ("100", "error reading card data", False, True),
    ("101", "server error", False, True),
    ("110", "card revoked", False, False),
    ("120", "card reported reduced", False, False),
    ("121", "reduced: moved out of the province", False, False),
    ("122", "reduced: moved within the province", False, False),
    ("123", "reduced: re-enrolled at the same unit", False, False),
    ("124", "reduced: stopped participating", False, False),
    ("130", "child without card", False, False),
    ("205", "malformed parameters", False, False),
    ("401", "authentication failed", False, False),
    ("500", "server error", False, True),
)
CARD_RESULTS: Mapping[str, CardResult] = MappingProxyType({r[0]: CardResult(*r) for r in _ROWS})


def card_result(code: str) -> CardResult:
    """The table row of a result code; an unlisted code is not usable."""
    return CARD_RESULTS.get(code) or CardResult(code, "result code not in the published table", False)


@dataclass(frozen=True)
class CardQuery:
    """Who is asked about, and the staff member asking (registered by the facility)."""

    card: str  # maThe: the 15-character card code or the 10-digit social insurance number
    name: str  # hoTen, as on the card
    birth: str  # ngaySinh: dd/MM/yyyy, or yyyy when only the year is known
    staff_name: str  # hoTenCb
    staff_cccd: str  # cccdCb

    def __repr__(self) -> str:  # personal data stays out of logs and tracebacks
        return f"CardQuery(card={mask_id(self.card)!r})"

    @staticmethod
    def birth_text(day: date | None = None, year: int | None = None) -> str:
        """ngaySinh from a date (`05/03/1994`) or, when only the year is known, a year."""
        if day is not None:
            return f"{day:%d/%m/%Y}"
        if year is not None:
            return f"{year:04d}"
        raise ValueError("give a birth date or a birth year")

    def body(self) -> dict[str, str]:
        return {
            "maThe": self.card,
            "hoTen": self.name,
            "ngaySinh": self.birth,
            "hoTenCb": self.staff_name,
            "cccdCb": self.staff_cccd,
        }


@dataclass(frozen=True)
class Visit:
    """One entry of dsLichSuKCB2018: an earlier treatment episode."""

    record_id: str  # maHoSo
    facility: str  # maCSKCB
    admitted: str  # ngayVao, yyyyMMddHHmm
    discharged: str  # ngayRa, yyyyMMddHHmm
    diagnosis: str  # tenBenh
    status: str  # tinhTrang
    result: str  # kqDieuTri
    reason: str  # lyDoVV


@dataclass(frozen=True)
class Check:
    """One entry of dsLichSuKT2018: an earlier lookup of this card."""

    user: str  # userKT
    at: str  # thoiGianKT, yyyyMMddHHmm
    message: str  # thongBao
    code: str  # maLoi


@dataclass(frozen=True)
class CardStatus:
    """The portal's answer about a card. Dates are parsed from dd/MM/yyyy (None when empty)."""

    result: CardResult
    note: str  # ghiChu
    card: str  # maThe
    name: str  # hoTen
    birth: str  # ngaySinh, as written
    gender: str  # gioiTinh ("Nam"/"Nữ")
    address: str  # diaChi
    registered_facility: str  # maDKBD
    issuing_office: str  # cqBHXH
    valid_from: date | None  # gtTheTu
    valid_to: date | None  # gtTheDen
    area_code: str  # maKV
    five_years_from: date | None  # ngayDu5Nam
    social_insurance_number: str  # maSoBHXH
    old_card: str  # maTheCu
    new_card: str  # maTheMoi
    new_valid_from: date | None  # gtTheTuMoi
    new_valid_to: date | None  # gtTheDenMoi
    new_registered_facility: str  # maDKBDMoi
    new_registered_facility_name: str  # tenDKBDMoi
    visits: tuple[Visit, ...] = ()
    checks: tuple[Check, ...] = ()
    answer: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def code(self) -> str:
        return self.result.code

    @property
    def usable(self) -> bool:
        return self.result.usable

    def __repr__(self) -> str:  # personal data stays out of logs and tracebacks
        return f"CardStatus(code={self.code!r}, usable={self.usable}, card={mask_id(self.card)!r})"


def parse_card_answer(data: Mapping[str, Any]) -> CardStatus:
    """A CardStatus from the portal's JSON answer; missing fields read as empty. Raises nothing."""

    def text(name: str) -> str:
        value = data.get(name)
        return "" if value is None else str(value)

    visits = tuple(
        Visit(*(str(item.get(k) or "") for k in (
            "maHoSo", "maCSKCB", "ngayVao", "ngayRa", "tenBenh", "tinhTrang", "kqDieuTri", "lyDoVV")))
        for item in _list(data.get("dsLichSuKCB2018"))
    )  # fmt: skip
    checks = tuple(
        Check(*(str(item.get(k) or "") for k in ("userKT", "thoiGianKT", "thongBao", "maLoi")))
        for item in _list(data.get("dsLichSuKT2018"))
    )
    return CardStatus(
        result=card_result(text("maKetQua")),
        note=text("ghiChu"),
        card=text("maThe"),
        name=text("hoTen"),
        birth=text("ngaySinh"),
        gender=text("gioiTinh"),
        address=text("diaChi"),
        registered_facility=text("maDKBD"),
        issuing_office=text("cqBHXH"),
        valid_from=parse_day(text("gtTheTu")),
        valid_to=parse_day(text("gtTheDen")),
        area_code=text("maKV"),
        five_years_from=parse_day(text("ngayDu5Nam")),
        social_insurance_number=text("maSoBHXH"),
        old_card=text("maTheCu"),
        new_card=text("maTheMoi"),
        new_valid_from=parse_day(text("gtTheTuMoi")),
        new_valid_to=parse_day(text("gtTheDenMoi")),
        new_registered_facility=text("maDKBDMoi"),
        new_registered_facility_name=text("tenDKBDMoi"),
        visits=visits,
        checks=checks,
        answer=MappingProxyType(dict(data)),
    )


def parse_day(text: str) -> date | None:
    """`dd/MM/yyyy` -> date; None when empty or malformed."""
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def _list(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]
