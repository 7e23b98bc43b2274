"""The known defects: one mutation of a valid dossier each, and the problem codes it causes.

Every mutation is designed so that only the listed codes follow and nothing else breaks: amounts
and totals are left as they were when a unit price changes, an XML2 row moved to another MA_LK
restarts its STT at 1, the stay's XML5 notes leave with an inverted stay, and so on. The
manifest of `gateway samples` is the contract with the validator: it lists, per file, exactly
the `errors` and `warnings` a correct validator reports.

Two things a validator must do for these to hold: skip the cross-table checks that need a table
it could not read (base64 defect: XML1's T_VTYT / T_TONGCHI_* against XML3), and skip the
identity cross-check (SO_CCCD against NGAY_SINH / GIOI_TINH) for a field that is itself invalid.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from gateway.samples import amounts
from gateway.samples.dossier import Dossier
from gateway.samples.episode import Record, day8, stamp


@dataclass(frozen=True)
class Defect:
    """A known defect: its code, what it does, the problems it causes, and the mutation."""

    code: str
    description: str
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    apply: Callable[[Dossier, random.Random], None]


def _xml1(dossier: Dossier) -> Record:
    return dossier.episodes[0].tables["XML1"][0]


def _xml2(dossier: Dossier) -> list[Record]:
    return dossier.episodes[0].tables["XML2"]


def _text(record: Record, name: str) -> str:
    value = record.get(name)
    if value is None:
        raise ValueError(f"{name} has no value to mutate")
    return value


def _parse12(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M")


def _birth_month_13(dossier: Dossier, rng: random.Random) -> None:
    birth = _text(_xml1(dossier), "NGAY_SINH")
    day = birth[6:8] if birth[6:8] != "00" else "01"
    _xml1(dossier)["NGAY_SINH"] = f"{birth[:4]}13{day}0000"


def _gender_4(dossier: Dossier, rng: random.Random) -> None:
    _xml1(dossier)["GIOI_TINH"] = "4"


def _drop_name(dossier: Dossier, rng: random.Random) -> None:
    _xml1(dossier)["HO_TEN"] = None


def _short_card(dossier: Dossier, rng: random.Random) -> None:
    _xml1(dossier)["MA_THE_BHYT"] = _text(_xml1(dossier), "MA_THE_BHYT")[:14]


def _short_cccd(dossier: Dossier, rng: random.Random) -> None:
    _xml1(dossier)["SO_CCCD"] = _text(_xml1(dossier), "SO_CCCD")[:11]


def _drug_total_off(dossier: Dossier, rng: random.Random) -> None:
    xml1 = _xml1(dossier)
    xml1["T_THUOC"] = amounts.money(Decimal(_text(xml1, "T_THUOC")) + 1000)


def _unit_price_changed(dossier: Dossier, rng: random.Random) -> None:
    row = rng.choice(_xml2(dossier))
    old = Decimal(_text(row, "DON_GIA"))
    new = old + max(Decimal(100), (old * Decimal("0.2")).quantize(Decimal(100)))
    row["DON_GIA"] = amounts.price(new)


def _discharge_before_admission(dossier: Dossier, rng: random.Random) -> None:
    episode = dossier.episodes[0]
    xml1 = _xml1(dossier)
    admitted = _parse12(_text(xml1, "NGAY_VAO"))
    xml1["NGAY_RA"] = stamp(admitted - timedelta(minutes=rng.randint(60, 180)))
    # Progress notes are checked against the stay, which is now empty: they leave with it.
    episode.tables.pop("XML5", None)


def _foreign_ma_lk(dossier: Dossier, rng: random.Random) -> None:
    row = _xml2(dossier)[-1]
    ma_lk = _text(row, "MA_LK")
    tail = (int(ma_lk[-4:]) + 1 + rng.randrange(9998)) % 10000
    row["MA_LK"] = f"{ma_lk[:-4]}{tail:04d}"
    row["STT"] = "1"  # first (only) row of that other MA_LK: its STT sequence is right


def _stt_gap(dossier: Dossier, rng: random.Random) -> None:
    row = _xml2(dossier)[-1]
    row["STT"] = str(int(_text(row, "STT")) + 1)


def _other_facility(dossier: Dossier, rng: random.Random) -> None:
    facility = dossier.facility
    other = (int(facility[2:]) + 1 + rng.randrange(998)) % 1000
    _xml1(dossier)["MA_CSKCB"] = f"{facility[:2]}{other:03d}"


def _count_plus_one(dossier: Dossier, rng: random.Random) -> None:
    dossier.declared_count = len(dossier.episodes) + 1


def _truncated_xml3(dossier: Dossier, rng: random.Random) -> None:
    dossier.cut[(0, "XML3")] = 3


def _card_expired(dossier: Dossier, rng: random.Random) -> None:
    xml1 = _xml1(dossier)
    admitted = _parse12(_text(xml1, "NGAY_VAO")).date()
    end = admitted - timedelta(days=rng.randint(1, 60))
    xml1["GT_THE_TU"] = day8(end - timedelta(days=364))
    xml1["GT_THE_DEN"] = day8(end)


def _executed_before_ordered(dossier: Dossier, rng: random.Random) -> None:
    rows = [r for r in _xml2(dossier) if _text(r, "NGAY_TH_YL") > _text(r, "NGAY_YL")]
    row = rng.choice(rows)
    row["NGAY_YL"], row["NGAY_TH_YL"] = row["NGAY_TH_YL"], row["NGAY_YL"]


def _cccd_other_gender(dossier: Dossier, rng: random.Random) -> None:
    xml1 = _xml1(dossier)
    cccd = _text(xml1, "SO_CCCD")
    xml1["SO_CCCD"] = f"{cccd[:3]}{int(cccd[3]) ^ 1}{cccd[4:]}"


def _error(code: str, description: str, apply: Callable[[Dossier, random.Random], None],
           *also: str) -> Defect:  # fmt: skip
    return Defect(code, description, (code, *also), (), apply)


_ALL: tuple[Defect, ...] = (
    _error("XML1.NGAY_SINH.format", "NGAY_SINH with month 13 (yyyy13dd0000)", _birth_month_13),
    _error("XML1.GIOI_TINH.code", "GIOI_TINH 4 (only 1, 2, 3 exist)", _gender_4),
    _error("XML1.HO_TEN.required", "the HO_TEN element removed from XML1", _drop_name),
    _error("XML1.MA_THE_BHYT.format", "a 14-character card code (last digit dropped)", _short_card),
    _error("XML1.SO_CCCD.format", "an 11-digit SO_CCCD (last digit dropped)", _short_cccd),
    _error("XML1.T_THUOC.total", "T_THUOC 1000.00 above Σ XML2 THANH_TIEN_BV; nothing else changed",
           _drug_total_off),
    _error("XML2.THANH_TIEN_BV.amount",
           "DON_GIA of one XML2 line raised; its THANH_TIEN_BV/BH and the totals unchanged (both "
           "line amounts derive from DON_GIA, so THANH_TIEN_BH.amount is reported too)",
           _unit_price_changed, "XML2.THANH_TIEN_BH.amount"),
    _error("XML1.NGAY_RA.range", "NGAY_RA 1–3 hours before NGAY_VAO; XML5 dropped (its notes "
           "cannot lie inside an empty stay); lines keep their times", _discharge_before_admission),
    _error("XML2.MA_LK.mismatch", "the last XML2 row carries another MA_LK (its STT restarts at 1 "
           "as the first row of that MA_LK); amounts unchanged", _foreign_ma_lk),
    _error("XML2.STT.sequence", "the last XML2 row's STT one too high (1, 2, …, n-1, n+1)", _stt_gap),
    _error("XML1.MA_CSKCB.facility", "XML1 MA_CSKCB another facility of the same province than "
           "the envelope's MACSKCB", _other_facility),
    _error("envelope.SOLUONGHOSO.count", "SOLUONGHOSO = number of HOSO + 1", _count_plus_one),
    _error("envelope.NOIDUNGFILE.base64", "the XML3 NOIDUNGFILE truncated by 3 characters (XML3 "
           "unreadable; XML1 and XML2 intact)", _truncated_xml3),
    _error("XML1.GT_THE_DEN.coverage", "the card (GT_THE_TU..GT_THE_DEN, one year) expired 1–60 "
           "days before NGAY_VAO", _card_expired),
    _error("XML2.NGAY_TH_YL.range", "NGAY_YL and NGAY_TH_YL swapped on one XML2 line",
           _executed_before_ordered),
    Defect("XML1.SO_CCCD.contradiction", "a CCCD whose gender digit contradicts GIOI_TINH "
           "(digit 4 flipped: 0↔1, 2↔3) — a warning, the dossier stays valid", (),
           ("XML1.SO_CCCD.contradiction",), _cccd_other_gender),
)  # fmt: skip

KNOWN_DEFECTS: Mapping[str, Defect] = {d.code: d for d in _ALL}
DEFECTS: tuple[tuple[str, str], ...] = tuple((d.code, d.description) for d in _ALL)


def defect(code: str) -> Defect:
    """The known defect with this code; raises ValueError for an unknown one."""
    try:
        return KNOWN_DEFECTS[code]
    except KeyError:
        raise ValueError(f"unknown defect {code!r}; known: {', '.join(KNOWN_DEFECTS)}") from None
