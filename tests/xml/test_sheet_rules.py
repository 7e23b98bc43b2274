"""The VSS sheet's rules as data: every rule names a real field, cites its sheet row, and each
check kind does what the sheet says."""

from __future__ import annotations

import re

import pytest

from gateway.xml.rules.records import Record
from gateway.xml.rules.sheet import CHECKS, SheetRule, check_records, load_sheet_rules
from gateway.xml.schemaset import load_schema_set

RULES = load_sheet_rules("4750")
TABLES = load_schema_set("4750").tables


def record(table: str, **values: str) -> Record:
    return Record(table, 1, 1, 10, dict(values))


def run(rule: SheetRule, rec: Record, xml1: Record | None = None) -> list[str]:
    return [p.code for p in check_records((rule,), [rec], xml1)]


def find(table: str, field: str, check: str) -> SheetRule:
    return next(r for r in RULES[table] if r.field == field and r.check == check)


@pytest.mark.parametrize("rule", [r for rules in RULES.values() for r in rules], ids=lambda r: f"{r.table}.{r.field}.{r.check}")
def test_every_rule_names_real_fields_and_cites_its_row(rule: SheetRule) -> None:
    table = TABLES[rule.table]
    assert table.field(rule.field) is not None
    for key in ("other",):
        if key in rule.params:
            assert table.field(rule.params[key]) is not None
    when = rule.params.get("when", {})
    for name in [when.get("field"), when.get("present"), *when.get("absent_all", [])]:
        if name:
            assert table.field(name) is not None, name
    match = re.match(r"v4750_(\d\d):(\d+)", rule.source)
    assert match, rule.source
    assert int(match.group(1)) == int(rule.table[3:])
    cited = table.field(rule.field)
    assert cited is not None
    assert cited.sheet_row == int(match.group(2)) or rule.check == "all_or_none"


def test_all_check_kinds_are_used() -> None:
    used = {r.check for rules in RULES.values() for r in rules}
    assert used == set(CHECKS)


def test_required_when_field_in_values() -> None:
    rule = find("XML3", "MA_XANG_DAU", "required_when")
    assert run(rule, record("XML3", MA_NHOM="12", MA_XANG_DAU="")) == ["XML3.MA_XANG_DAU.required"]
    assert run(rule, record("XML3", MA_NHOM="12", MA_XANG_DAU="X1")) == []
    assert run(rule, record("XML3", MA_NHOM="10", MA_XANG_DAU="")) == []


def test_required_when_field_not_in_values() -> None:
    rule = find("XML2", "TT_THAU", "required_when")
    assert run(rule, record("XML2", MA_NHOM="4", TT_THAU="")) == ["XML2.TT_THAU.required"]
    assert run(rule, record("XML2", MA_NHOM="7", TT_THAU="")) == []
    assert run(rule, record("XML2", MA_NHOM="17", TT_THAU="")) == []


def test_required_when_present_and_when_all_absent() -> None:
    present = find("XML0", "LY_DO_VNT", "required_when")
    assert run(present, record("XML0", NGAY_VAO_NOI_TRU="202603010900", LY_DO_VNT="")) == ["XML0.LY_DO_VNT.required"]
    assert run(present, record("XML0", NGAY_VAO_NOI_TRU="", LY_DO_VNT="")) == []
    absent = find("XML0", "MA_DICH_VU", "required_when")
    assert run(absent, record("XML0", MA_DICH_VU="", MA_THUOC="", MA_VAT_TU="")) == ["XML0.MA_DICH_VU.required"]
    assert run(absent, record("XML0", MA_DICH_VU="", MA_THUOC="40.17", MA_VAT_TU="")) == []


def test_not_empty_and_not_in_condition() -> None:
    rule = find("XML6", "PHACDO_DTRI_LAO", "required_when")
    assert run(rule, record("XML6", LOAI_DTRI_LAO="1", PHACDO_DTRI_LAO="")) == ["XML6.PHACDO_DTRI_LAO.required"]
    assert run(rule, record("XML6", LOAI_DTRI_LAO="0", PHACDO_DTRI_LAO="")) == []
    assert run(rule, record("XML6", LOAI_DTRI_LAO="", PHACDO_DTRI_LAO="")) == []


def test_not_before_compares_times_and_dates() -> None:
    rule = find("XML2", "NGAY_TH_YL", "not_before")
    assert run(rule, record("XML2", NGAY_YL="202603011000", NGAY_TH_YL="202603010959")) == ["XML2.NGAY_TH_YL.range"]
    assert run(rule, record("XML2", NGAY_YL="202603011000", NGAY_TH_YL="202603011000")) == []
    mixed = find("XML14", "NGAY_CT", "not_before")  # 8-char NGAY_CT against 12-char NGAY_VAO
    assert run(mixed, record("XML14", NGAY_VAO="202603011000", NGAY_CT="20260301")) == []
    assert run(mixed, record("XML14", NGAY_VAO="202603011000", NGAY_CT="20260228")) == ["XML14.NGAY_CT.range"]


def test_one_of_allows_empty() -> None:
    rule = find("XML11", "MAU_SO", "one_of")
    assert run(rule, record("XML11", MAU_SO="")) == []
    assert run(rule, record("XML11", MAU_SO="CT07")) == []
    assert run(rule, record("XML11", MAU_SO="CT08")) == ["XML11.MAU_SO.code"]


def test_pattern() -> None:
    rule = find("XML3", "GOI_VTYT", "pattern")
    assert run(rule, record("XML3", GOI_VTYT="G12")) == []
    assert run(rule, record("XML3", GOI_VTYT="G0")) == ["XML3.GOI_VTYT.format"]
    assert run(rule, record("XML3", GOI_VTYT="G1000")) == ["XML3.GOI_VTYT.format"]


def test_all_or_none() -> None:
    rule = find("XML7", "SO_NGAY_NGHI", "all_or_none")
    assert run(rule, record("XML7", SO_NGAY_NGHI="", NGOAITRU_TUNGAY="", NGOAITRU_DENNGAY="")) == []
    assert run(rule, record("XML7", SO_NGAY_NGHI="3", NGOAITRU_TUNGAY="20260301", NGOAITRU_DENNGAY="20260303")) == []
    assert run(rule, record("XML7", SO_NGAY_NGHI="3", NGOAITRU_TUNGAY="", NGOAITRU_DENNGAY="")) == ["XML7.SO_NGAY_NGHI.required"]


def test_not_all_zero() -> None:
    rule = find("XML11", "MA_BHXH", "not_all_zero")
    assert run(rule, record("XML11", MA_BHXH="0000000000")) == ["XML11.MA_BHXH.format"]
    assert run(rule, record("XML11", MA_BHXH="0100000001")) == []


def test_same_as_xml1() -> None:
    rule = find("XML13", "HO_TEN", "same_as_xml1")
    xml1 = record("XML1", HO_TEN="NGUYỄN VĂN AN")
    assert run(rule, record("XML13", HO_TEN="NGUYỄN VĂN AN"), xml1) == []
    assert run(rule, record("XML13", HO_TEN="TRẦN THỊ BÌNH"), xml1) == ["XML13.HO_TEN.xml1_mismatch"]
    assert run(rule, record("XML13", HO_TEN=""), xml1) == []
