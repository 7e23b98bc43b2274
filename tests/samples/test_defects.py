"""Each known defect changes only what it says: compared field by field with its valid twin.

`generate_one(random.Random(seed), profile, defect=...)` builds the same episode as without the
defect and then mutates it, so the twin shows exactly what the defect touched.
"""

from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Callable
from decimal import Decimal

import pytest

from gateway.identity import check, parse_birth_date, parse_cccd
from gateway.samples import DEFECTS, KNOWN_DEFECTS, generate_one

from .decode import Envelope, decode

Change = tuple[str, int, str]  # (table, row index, field)


def twins(code: str, seed: int = 1) -> tuple[Envelope, Envelope]:
    valid = decode(generate_one(random.Random(seed), "typical"))
    broken = decode(generate_one(random.Random(seed), "typical", defect=code))
    return valid, broken


def changes(valid: Envelope, broken: Envelope) -> dict[Change, tuple[str | None, str | None]]:
    """Every field whose value differs (None: the element is missing) in a readable table."""
    found: dict[Change, tuple[str | None, str | None]] = {}
    for name, table in valid.hosos[0].items():
        other = broken.hosos[0].get(name)
        if other is None or other.root is None:
            continue
        for index, (before, after) in enumerate(zip(table.rows, other.rows, strict=True)):
            for field in before.keys() | after.keys():
                if before.get(field) != after.get(field):
                    found[(name, index, field)] = (before.get(field), after.get(field))
    return found


def _xml1_only(field: str) -> Callable[[Envelope, Envelope], None]:
    def verify(valid: Envelope, broken: Envelope) -> None:
        assert set(changes(valid, broken)) == {("XML1", 0, field)}
        assert set(broken.hosos[0]) == set(valid.hosos[0])

    return verify


def _birth(valid: Envelope, broken: Envelope) -> None:
    _xml1_only("NGAY_SINH")(valid, broken)
    assert broken.hosos[0]["XML1"].rows[0]["NGAY_SINH"][4:6] == "13"


def _gender(valid: Envelope, broken: Envelope) -> None:
    _xml1_only("GIOI_TINH")(valid, broken)
    assert broken.hosos[0]["XML1"].rows[0]["GIOI_TINH"] == "4"


def _name(valid: Envelope, broken: Envelope) -> None:
    _xml1_only("HO_TEN")(valid, broken)
    assert "HO_TEN" not in broken.hosos[0]["XML1"].rows[0]


def _card(valid: Envelope, broken: Envelope) -> None:
    _xml1_only("MA_THE_BHYT")(valid, broken)
    assert len(broken.hosos[0]["XML1"].rows[0]["MA_THE_BHYT"]) == 14


def _cccd(valid: Envelope, broken: Envelope) -> None:
    _xml1_only("SO_CCCD")(valid, broken)
    assert len(broken.hosos[0]["XML1"].rows[0]["SO_CCCD"]) == 11


def _drug_total(valid: Envelope, broken: Envelope) -> None:
    _xml1_only("T_THUOC")(valid, broken)
    before, after = changes(valid, broken)[("XML1", 0, "T_THUOC")]
    assert Decimal(after or "") - Decimal(before or "") == Decimal("1000.00")


def _unit_price(valid: Envelope, broken: Envelope) -> None:
    found = changes(valid, broken)
    ((table, index, field),) = found
    assert (table, field) == ("XML2", "DON_GIA")
    row = broken.hosos[0]["XML2"].rows[index]
    assert Decimal(row["SO_LUONG"]) * Decimal(row["DON_GIA"]) != Decimal(row["THANH_TIEN_BV"])


def _discharge(valid: Envelope, broken: Envelope) -> None:
    assert set(changes(valid, broken)) == {("XML1", 0, "NGAY_RA")}
    xml1 = broken.hosos[0]["XML1"].rows[0]
    assert xml1["NGAY_RA"] < xml1["NGAY_VAO"]
    assert set(valid.hosos[0]) - set(broken.hosos[0]) == {"XML5"}


def _ma_lk(valid: Envelope, broken: Envelope) -> None:
    found = changes(valid, broken)
    last = len(valid.hosos[0]["XML2"].rows) - 1
    assert set(found) <= {("XML2", last, "MA_LK"), ("XML2", last, "STT")}
    assert ("XML2", last, "MA_LK") in found
    assert broken.hosos[0]["XML2"].rows[last]["STT"] == "1"


def _stt(valid: Envelope, broken: Envelope) -> None:
    found = changes(valid, broken)
    last = len(valid.hosos[0]["XML2"].rows) - 1
    assert found == {("XML2", last, "STT"): (str(last + 1), str(last + 2))}


def _facility(valid: Envelope, broken: Envelope) -> None:
    _xml1_only("MA_CSKCB")(valid, broken)
    value = broken.hosos[0]["XML1"].rows[0]["MA_CSKCB"]
    assert value != broken.facility and value[:2] == broken.facility[:2] and len(value) == 5


def _count(valid: Envelope, broken: Envelope) -> None:
    assert changes(valid, broken) == {}
    assert broken.declared == str(len(broken.hosos) + 1)


def _base64(valid: Envelope, broken: Envelope) -> None:
    assert changes(valid, broken) == {}  # XML1, XML2, XML4, XML5 intact
    xml3 = broken.hosos[0]["XML3"]
    assert xml3.root is None and xml3.b64 == valid.hosos[0]["XML3"].b64[:-3]
    with pytest.raises((binascii.Error, ValueError)):
        base64.b64decode(xml3.b64, validate=True)
    for name in ("XML1", "XML2"):
        assert broken.hosos[0][name].b64 == valid.hosos[0][name].b64


def _coverage(valid: Envelope, broken: Envelope) -> None:
    assert set(changes(valid, broken)) <= {("XML1", 0, "GT_THE_TU"), ("XML1", 0, "GT_THE_DEN")}
    xml1 = broken.hosos[0]["XML1"].rows[0]
    assert xml1["GT_THE_TU"] <= xml1["GT_THE_DEN"] < xml1["NGAY_VAO"][:8]


def _executed(valid: Envelope, broken: Envelope) -> None:
    found = changes(valid, broken)
    assert {(t, f) for t, _, f in found} == {("XML2", "NGAY_YL"), ("XML2", "NGAY_TH_YL")}
    ((_, index, _), _) = found
    row = broken.hosos[0]["XML2"].rows[index]
    assert row["NGAY_TH_YL"] < row["NGAY_YL"]


def _contradiction(valid: Envelope, broken: Envelope) -> None:
    _xml1_only("SO_CCCD")(valid, broken)
    xml1 = broken.hosos[0]["XML1"].rows[0]
    result = check(
        parse_cccd(xml1["SO_CCCD"]), parse_birth_date(xml1["NGAY_SINH"]), xml1["GIOI_TINH"]
    )
    assert result.contradictions == ("gender",)


VERIFY = {
    "XML1.NGAY_SINH.format": _birth,
    "XML1.GIOI_TINH.code": _gender,
    "XML1.HO_TEN.required": _name,
    "XML1.MA_THE_BHYT.format": _card,
    "XML1.SO_CCCD.format": _cccd,
    "XML1.T_THUOC.total": _drug_total,
    "XML2.THANH_TIEN_BV.amount": _unit_price,
    "XML1.NGAY_RA.range": _discharge,
    "XML2.MA_LK.mismatch": _ma_lk,
    "XML2.STT.sequence": _stt,
    "XML1.MA_CSKCB.facility": _facility,
    "envelope.SOLUONGHOSO.count": _count,
    "envelope.NOIDUNGFILE.base64": _base64,
    "XML1.GT_THE_DEN.coverage": _coverage,
    "XML2.NGAY_TH_YL.range": _executed,
    "XML1.SO_CCCD.contradiction": _contradiction,
}


def test_every_defect_is_described_and_verified_here() -> None:
    assert [code for code, _ in DEFECTS] == list(VERIFY)
    assert all(description for _, description in DEFECTS)


@pytest.mark.parametrize("code", list(VERIFY))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_defect_changes_only_what_it_says(code: str, seed: int) -> None:
    valid, broken = twins(code, seed)
    VERIFY[code](valid, broken)


@pytest.mark.parametrize("code", list(VERIFY))
def test_a_defect_lists_itself_as_its_problem(code: str) -> None:
    defect = KNOWN_DEFECTS[code]
    assert code in defect.errors + defect.warnings
    if code == "XML1.SO_CCCD.contradiction":
        assert defect.errors == () and defect.warnings == (code,)
    else:
        assert defect.warnings == () and defect.errors[0] == code


def test_a_changed_unit_price_breaks_both_line_amounts_but_no_total() -> None:
    # THANH_TIEN_BH = SO_LUONG × DON_GIA × TYLE_TT_BH/100 derives from DON_GIA too, so a
    # validator checking both line formulas reports both; the manifest says so.
    assert KNOWN_DEFECTS["XML2.THANH_TIEN_BV.amount"].errors == (
        "XML2.THANH_TIEN_BV.amount",
        "XML2.THANH_TIEN_BH.amount",
    )


@pytest.mark.parametrize("profile", ["small", "large"])
def test_defects_apply_to_every_profile(profile: str) -> None:
    for code in VERIFY:
        generate_one(random.Random(5), profile, defect=code)


def test_the_contradiction_defect_keeps_the_dossier_valid_in_the_manifest() -> None:
    from gateway.samples import generate

    files = generate(None, 100, seed=4, invalid_rate=1.0, profile="small")
    flagged = [f for f in files if f.warnings]
    assert flagged and all(
        f.valid and f.warnings == ("XML1.SO_CCCD.contradiction",) for f in flagged
    )
