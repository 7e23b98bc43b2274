"""The simulator's card lookup: a small seeded dataset of insured people and the checks of
`KQNhanLichSuKCB2024` (result codes: adapters/portal/cards.py).

People come from the sample generator (gateway.samples.people), so their card codes, CCCD and
birth dates obey every identity rule. By position in the dataset: every 10th from the 4th has
an expired card (010), every 10th from the 6th an old card replaced by a new one (003), every
20th from the 10th a revoked card (110); the rest are valid (000).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from adapters.portal.cards import CARD_RESULTS
from gateway.samples.people import make_person

DATASET_YEAR = 2026
_CARD = re.compile(r"^[A-Z]{2}[1-5]\d{2}\d{10}$")
_FACILITIES = ("01001", "79001", "48001", "31001")


@dataclass(frozen=True)
class SimCard:
    """One insured person as the simulated portal knows them."""

    card: str  # 15-character card code
    social_insurance_number: str  # its last 10 digits
    name: str
    birth: date
    year_only: bool
    gender: int  # 1 male, 2 female
    address: str
    registered_facility: str  # maDKBD
    valid_from: date
    valid_to: date
    status: str  # what the portal says once the identity matches ("000", "010", "003", "110")
    new_card: str = ""

    @property
    def birth_text(self) -> str:
        """ngaySinh as the lookup wants it: dd/MM/yyyy, or yyyy when only the year is known."""
        return f"{self.birth.year:04d}" if self.year_only else f"{self.birth:%d/%m/%Y}"


def make_cards(seed: int, count: int) -> tuple[SimCard, ...]:
    """`count` people, the same for the same seed."""
    rng = random.Random(f"portal-sim-cards:{seed}")
    cards = []
    for index in range(count):
        person = make_person(rng, _FACILITIES[index % len(_FACILITIES)], date(DATASET_YEAR, 3, 1))
        status = "000"
        valid_from, valid_to = person.card.valid_from, person.card.valid_to
        new_card = ""
        if index % 10 == 3:
            status = "010"
            valid_from, valid_to = date(DATASET_YEAR - 1, 1, 1), date(DATASET_YEAR - 1, 12, 31)
        elif index % 10 == 5:
            status = "003"
            new_card = person.card.code
        elif index % 20 == 9:
            status = "110"
        cards.append(
            SimCard(
                card=person.card.code,
                social_insurance_number=person.card.social_insurance_number,
                name=person.name,
                birth=person.birth,
                year_only=person.year_only,
                gender=person.gender,
                address=person.address.text,
                registered_facility=person.card.registered_facility,
                valid_from=valid_from,
                valid_to=valid_to,
                status=status,
                new_card=new_card,
            )
        )
    return tuple(cards)


def lookup(cards: Sequence[SimCard], body: Mapping[str, Any], username: str, now: datetime) -> dict[str, Any]:
    """The portal's JSON answer to one lookup (checks in the order the result table lists)."""
    fields = {k: str(body.get(k) or "").strip() for k in ("maThe", "hoTen", "ngaySinh", "hoTenCb", "cccdCb")}
    if not all(fields.values()):
        return answer_for("205")
    if not (len(fields["cccdCb"]) == 12 and fields["cccdCb"].isdigit()):
        return answer_for("054")
    asked = fields["maThe"].upper()
    if not (_CARD.match(asked) or (len(asked) == 10 and asked.isdigit())):
        return answer_for("051")
    number = asked[-10:]
    person = next((c for c in cards if c.social_insurance_number == number), None)
    if person is None:
        return answer_for("050")
    if len(asked) == 15 and asked != person.card:
        code = "052" if asked[3:5] != person.card[3:5] else "053" if asked[2] != person.card[2] else "051"
        return answer_for(code)
    if _fold(fields["hoTen"]) != _fold(person.name):
        same_initial = _fold(fields["hoTen"])[:1] == _fold(person.name)[:1]
        return answer_for("061" if same_initial else "060")
    if not _same_birth(fields["ngaySinh"], person):
        return answer_for("070")
    return _found(person, username, now)


def _found(person: SimCard, username: str, now: datetime) -> dict[str, Any]:
    answer = answer_for(person.status)
    day = "%d/%m/%Y"
    answer.update(
        maThe=person.card,
        hoTen=person.name,
        ngaySinh=person.birth_text,
        gioiTinh="Nam" if person.gender == 1 else "Nữ",
        diaChi=person.address,
        maDKBD=person.registered_facility,
        cqBHXH="BHXH (mô phỏng)",
        gtTheTu=f"{person.valid_from:{day}}",
        gtTheDen=f"{person.valid_to:{day}}",
        maSoBHXH=person.social_insurance_number,
        maTheMoi=person.new_card,
        gtTheTuMoi=f"{date(DATASET_YEAR, 1, 1):{day}}" if person.new_card else "",
        gtTheDenMoi=f"{date(DATASET_YEAR, 12, 31):{day}}" if person.new_card else "",
        maDKBDMoi=person.registered_facility if person.new_card else "",
        dsLichSuKT2018=[
            {"userKT": username, "thoiGianKT": f"{now:%Y%m%d%H%M}", "thongBao": answer["ghiChu"],
             "maLoi": person.status}
        ],
    )  # fmt: skip
    return answer


def answer_for(code: str) -> dict[str, Any]:
    """An answer with result `code` and every other field empty (the portal's shape)."""
    empty = ("maThe", "hoTen", "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "cqBHXH", "gtTheTu",
             "gtTheDen", "maKV", "ngayDu5Nam", "maSoBHXH", "maTheCu", "maTheMoi", "gtTheTuMoi",
             "gtTheDenMoi", "maDKBDMoi", "tenDKBDMoi")  # fmt: skip
    answer: dict[str, Any] = {"maKetQua": code, "ghiChu": CARD_RESULTS[code].meaning}
    answer.update(dict.fromkeys(empty, ""))
    answer.update(dsLichSuKCB2018=[], dsLichSuKT2018=[])
    return answer


def _fold(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _same_birth(text: str, person: SimCard) -> bool:
    if len(text) == 4 and text.isdigit():
        return int(text) == person.birth.year
    for pattern in ("%d/%m/%Y", "%d%m%Y"):  # the annex's example writes 05031994
        try:
            asked = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return asked.year == person.birth.year if person.year_only else asked == person.birth
    return False
