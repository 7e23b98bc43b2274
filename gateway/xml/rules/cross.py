"""Rules across the tables of one HOSO, and the identity checks of a record.

Sources: QĐ 130 (as amended by QĐ 4750) field descriptions of XML1–XML3 (the money formulas are
written in the descriptions of THANH_TIEN_BV, THANH_TIEN_BH and the T_* totals), DOMAIN.md
"Field rules", and the card-validity and ID rules of DOMAIN.md "Identity data".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from gateway.identity import check, parse_birth_date, parse_card_code, parse_cccd, parse_person_id
from gateway.xml.report import Problem, Severity
from gateway.xml.rules.records import Record

# MA_NHOM groups of medical supplies (vật tư y tế): 10 "VTYT trong danh mục BHYT" and 11 "VTYT
# thanh toán theo tỷ lệ" — code list "Mã nhóm theo chi phí" of the common catalogue (Bộ mã danh
# mục dùng chung, QĐ 7603/QĐ-BYT 2018, table 1), which QĐ 130 XML3 MA_NHOM refers to. T_VTYT of
# XML1 is the sum of THANH_TIEN_BV of the XML3 rows in these groups.
SUPPLY_GROUPS = frozenset({"10", "11"})

# XML1 totals and what they sum (QĐ 130 XML1 field descriptions T_THUOC ... T_NGUONKHAC).
# (total field, [(table, line field, row filter)])
_ALL = None
TOTALS: tuple[tuple[str, tuple[tuple[str, str, frozenset[str] | None], ...]], ...] = (
    ("T_THUOC", (("XML2", "THANH_TIEN_BV", _ALL),)),
    ("T_VTYT", (("XML3", "THANH_TIEN_BV", SUPPLY_GROUPS),)),
    ("T_TONGCHI_BV", (("XML2", "THANH_TIEN_BV", _ALL), ("XML3", "THANH_TIEN_BV", _ALL))),
    ("T_TONGCHI_BH", (("XML2", "THANH_TIEN_BH", _ALL), ("XML3", "THANH_TIEN_BH", _ALL))),
    ("T_BNTT", (("XML2", "T_BNTT", _ALL), ("XML3", "T_BNTT", _ALL))),
    ("T_BNCCT", (("XML2", "T_BNCCT", _ALL), ("XML3", "T_BNCCT", _ALL))),
    ("T_BHTT", (("XML2", "T_BHTT", _ALL), ("XML3", "T_BHTT", _ALL))),
    ("T_NGUONKHAC", (("XML2", "T_NGUONKHAC", _ALL), ("XML3", "T_NGUONKHAC", _ALL))),
)
# Tolerance of a total against the sum of its rows: 1 VND plus 0.005 per row (rounding of each
# row to 2 decimals).
TOTAL_TOLERANCE_BASE = Decimal("1")
TOTAL_TOLERANCE_PER_ROW = Decimal("0.005")
LINE_TOLERANCE = Decimal("0.01")  # a line amount is rounded to 2 decimals once

# Tables that carry rows of one MA_LK numbered by STT (XML1 has a single record).
SEQUENCED_TABLES = frozenset({"XML2", "XML3", "XML4", "XML5", "XML15", "XML0"})


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _problem(
    code: str,
    message: str,
    record: Record,
    field: str,
    value: str | None = None,
    severity: Severity = Severity.ERROR,
) -> Problem:
    return Problem(
        code=code,
        message=message,
        severity=severity,
        hoso=record.hoso,
        table=record.table,
        record=record.index,
        ma_lk=record.ma_lk,
        field=field,
        line=record.line_of(field),
        value=value,
    )


def check_ma_lk(xml1: Record, others: dict[str, list[Record]]) -> Iterator[Problem]:
    """MA_LK must be the same in every table of a HOSO (it is the episode's key)."""
    for table, records in others.items():
        for record in records:
            if "MA_LK" in record.values and record.get("MA_LK") != xml1.get("MA_LK"):
                yield _problem(
                    f"{table}.MA_LK.mismatch",
                    f"MA_LK of {table} differs from MA_LK of XML1 in the same HOSO",
                    record,
                    "MA_LK",
                    record.get("MA_LK"),
                )


def check_sequence(table: str, records: list[Record]) -> Iterator[Problem]:
    """STT runs 1..n without gaps or repeats within each MA_LK of a table."""
    expected: dict[str, int] = {}
    for record in records:
        if "STT" not in record.values:
            continue
        key = record.get("MA_LK")
        want = expected.get(key, 0) + 1
        expected[key] = want
        if record.get("STT") != str(want):
            yield _problem(
                f"{table}.STT.sequence",
                f"STT must run 1..n without gaps within one MA_LK; expected {want}",
                record,
                "STT",
                record.get("STT"),
            )
            stt = record.get("STT")
            if stt.isdigit():
                expected[key] = int(stt)


def check_line_amounts(table: str, records: list[Record]) -> Iterator[Problem]:
    """THANH_TIEN_BV = SO_LUONG × unit price (× TYLE_TT_DV/100 in XML3), and THANH_TIEN_BH also
    × TYLE_TT_BH/100 (QĐ 130 XML2/XML3 descriptions of THANH_TIEN_BV, THANH_TIEN_BH)."""
    price_bv, price_bh = ("DON_GIA", "DON_GIA") if table == "XML2" else ("DON_GIA_BV", "DON_GIA_BH")
    for record in records:
        quantity = _decimal(record.get("SO_LUONG"))
        if quantity is None:
            continue
        ratio = Decimal(1)
        if table == "XML3":
            service_ratio = _decimal(record.get("TYLE_TT_DV"))
            ratio = service_ratio / 100 if service_ratio is not None else Decimal(1)
        checks = (
            ("THANH_TIEN_BV", _decimal(record.get(price_bv)), Decimal(1)),
            ("THANH_TIEN_BH", _decimal(record.get(price_bh)), _decimal(record.get("TYLE_TT_BH"))),
        )
        for field, price, insurance_ratio in checks:
            amount = _decimal(record.get(field))
            if price is None or amount is None or insurance_ratio is None:
                continue
            factor = insurance_ratio if field == "THANH_TIEN_BV" else insurance_ratio / 100
            expected = (quantity * price * ratio * factor).quantize(Decimal("0.01"))
            if abs(amount - expected) > LINE_TOLERANCE:
                formula = (
                    "SO_LUONG × " + price_bv
                    if field == "THANH_TIEN_BV"
                    else "SO_LUONG × " + price_bh
                )
                if table == "XML3":
                    formula += " × TYLE_TT_DV/100"
                if field == "THANH_TIEN_BH":
                    formula += " × TYLE_TT_BH/100"
                yield _problem(
                    f"{table}.{field}.amount",
                    f"{field} must equal {formula} = {expected}",
                    record,
                    field,
                    record.get(field),
                )


def check_totals(xml1: Record, rows: dict[str, list[Record] | None]) -> Iterator[Problem]:
    """XML1 money totals equal the sums of the XML2/XML3 rows (see TOTALS)."""
    for total_field, parts in TOTALS:
        total = _decimal(xml1.get(total_field))
        if total is None:
            continue
        if any(rows.get(table) is None for table, _, _ in parts):
            continue  # a table we need could not be read: reported elsewhere, do not guess
        expected = Decimal(0)
        count = 0
        for table, field, groups in parts:
            for record in rows[table] or ():
                if groups is not None and record.get("MA_NHOM") not in groups:
                    continue
                value = _decimal(record.get(field))
                if value is not None:
                    expected += value
                    count += 1
        tolerance = TOTAL_TOLERANCE_BASE + TOTAL_TOLERANCE_PER_ROW * count
        if abs(total - expected) > tolerance:
            sources = " + ".join(f"Σ {f} of {t}" for t, f, _ in parts)
            yield _problem(
                f"XML1.{total_field}.total",
                f"{total_field} must equal {sources}{' (supply groups 10, 11)' if total_field == 'T_VTYT' else ''} = {expected}",
                xml1,
                total_field,
                xml1.get(total_field),
            )


def check_facility(xml1: Record, facility: str | None) -> Iterator[Problem]:
    """XML1's MA_CSKCB must be the envelope's MACSKCB."""
    value = xml1.get("MA_CSKCB")
    if facility and value and value != facility:
        yield _problem(
            "XML1.MA_CSKCB.facility",
            "MA_CSKCB of XML1 differs from MACSKCB of the envelope",
            xml1,
            "MA_CSKCB",
            value,
        )


def check_stay(xml1: Record) -> Iterator[Problem]:
    """NGAY_VAO <= NGAY_RA, and the card's validity covers the admission.

    A card that expires during an inpatient stay still covers it until discharge (Law on Health
    Insurance, art. 16 and Decree 146/2018 art. 14), so only the admission date is tested, against
    each card of the `;`-separated lists GT_THE_TU / GT_THE_DEN.
    """
    admitted, discharged = xml1.get("NGAY_VAO"), xml1.get("NGAY_RA")
    if admitted.isdigit() and discharged.isdigit() and len(admitted) == len(discharged) == 12:
        if discharged < admitted:
            yield _problem(
                "XML1.NGAY_RA.range",
                "NGAY_RA is earlier than NGAY_VAO",
                xml1,
                "NGAY_RA",
                discharged,
            )
    starts = [s.strip() for s in xml1.get("GT_THE_TU").split(";") if s.strip()]
    ends = [s.strip() for s in xml1.get("GT_THE_DEN").split(";") if s.strip()]
    if not (admitted.isdigit() and len(admitted) == 12 and starts and ends):
        return
    if not all(s.isdigit() and len(s) == 8 for s in starts + ends) or len(starts) != len(ends):
        return  # malformed lists are reported by the schema
    day = admitted[:8]
    if any(start <= day <= end for start, end in zip(starts, ends, strict=True)):
        return
    if all(end < day for end in ends):
        yield _problem(
            "XML1.GT_THE_DEN.coverage",
            "the health insurance card had expired (GT_THE_DEN) before NGAY_VAO",
            xml1,
            "GT_THE_DEN",
            xml1.get("GT_THE_DEN"),
        )
    else:
        yield _problem(
            "XML1.GT_THE_TU.coverage",
            "the health insurance card was not yet valid (GT_THE_TU) on NGAY_VAO",
            xml1,
            "GT_THE_TU",
            xml1.get("GT_THE_TU"),
        )


def check_identity(record: Record, *, card_field: str = "MA_THE_BHYT") -> Iterator[Problem]:
    """Card code and ID formats; a 12-digit CCCD contradicting NGAY_SINH/GIOI_TINH (a warning)."""
    table = record.table
    cards = record.get(card_field)
    for part in (p.strip() for p in cards.split(";")) if cards else ():
        try:
            parse_card_code(part)
        except ValueError as exc:
            yield _problem(
                f"{table}.{card_field}.format",
                f"{card_field} is not a 15-character card code: {exc}",
                record,
                card_field,
                cards,
            )
            break
    id_number = record.get("SO_CCCD")
    if not id_number:
        return
    try:
        parse_person_id(id_number)
    except ValueError:
        yield _problem(
            f"{table}.SO_CCCD.format",
            "SO_CCCD must be 12 digits (CCCD), 9 digits (old ID) or a passport number (one capital letter and 7 digits)",
            record,
            "SO_CCCD",
            id_number,
        )
        return
    if len(id_number) != 12 or not id_number.isdigit():
        return
    yield from _cccd_contradictions(record, id_number)


def _cccd_contradictions(record: Record, id_number: str) -> Iterable[Problem]:
    try:
        cccd = parse_cccd(id_number)
    except ValueError:
        return ()
    try:
        birth = parse_birth_date(record.get("NGAY_SINH")) if record.get("NGAY_SINH") else None
    except ValueError:
        birth = None
    gender_text = record.get("GIOI_TINH")
    gender = int(gender_text) if gender_text in {"1", "2", "3"} else None
    result = check(cccd, birth, gender)
    contradictions = _contradiction_names(result)
    if not contradictions:
        return ()
    return (
        _problem(
            f"{record.table}.SO_CCCD.contradiction",
            f"the CCCD's digits contradict the record's {', '.join(contradictions)} (digits 4-6 encode century, gender and birth year)",
            record,
            "SO_CCCD",
            id_number,
            Severity.WARNING,
        ),
    )


def _contradiction_names(result: object) -> list[str]:
    """The names of the contradictions `gateway.identity.check` found, whatever its shape."""
    if result is None:
        return []
    if isinstance(result, list | tuple | set | frozenset):
        return sorted(str(x) for x in result)
    for attribute in ("contradictions", "mismatches"):
        value = getattr(result, attribute, None)
        if value is not None:
            return sorted(str(x) for x in value)
    return [] if bool(getattr(result, "ok", True)) else ["identity"]
