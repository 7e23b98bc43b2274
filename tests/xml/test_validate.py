"""The validator: every problem located and coded, in one pass (issue 2, "Validation")."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from gateway.cli import main
from gateway.xml.report import Severity
from gateway.xml.validate import validate

from .envelopes import mutate_envelope, mutate_table, rows, sample, set_field

SHARED = Path(__file__).parent.parent / "data" / "shared_samples"


def test_a_generated_envelope_is_valid() -> None:
    report = validate(sample("typical"))
    assert report.valid, report.codes()
    assert report.document_type == "envelope"
    assert report.facility == "01001"
    assert len(report.ma_lk) == 1


def test_shared_synthetic_envelope_fails_only_for_its_known_defects() -> None:
    # The hand-made sample leaves two fields empty that the VSS sheet marks required ("x"):
    # XML1 MAHUYEN_CU_TRU (v4750_01 row 15) and XML2 NGUON_CTRA (v4750_02 row 40).
    report = validate((SHARED / "SYN_qd4750_GIAMDINHHS_envelope_unsigned.xml").read_bytes())
    assert report.codes() == ["XML1.MAHUYEN_CU_TRU.required", "XML2.NGUON_CTRA.required"]


def test_shared_synthetic_checkin_is_valid() -> None:
    report = validate((SHARED / "SYN_qd4750_XML0_CHI_TIEU_TRANG_THAI_KCB_checkin.xml").read_bytes())
    assert report.valid, report.codes()
    assert report.document_type == "XML0"
    assert report.ma_lk == ("SYN20260301001",)


def test_legacy_4210_envelope_is_refused_clearly() -> None:
    report = validate((SHARED / "SYN_qd4210_GIAMDINHHS_envelope_legacy.xml").read_bytes())
    assert report.codes() == ["envelope.legacy_4210"]
    assert "4210" in report.errors[0].message and "1 July 2024" in report.errors[0].message


def test_a_format_error_is_located_by_hoso_table_record_field_and_line() -> None:
    data = mutate_table(sample(), "XML1", lambda r: set_field(r, "NGAY_SINH", "199013010000"))
    report = validate(data)
    assert report.codes() == ["XML1.NGAY_SINH.format"]
    problem = report.errors[0]
    assert (problem.hoso, problem.table, problem.record, problem.field) == (1, "XML1", 1, "NGAY_SINH")
    assert problem.ma_lk == report.ma_lk[0]
    assert problem.line is not None and problem.line > 1
    assert problem.value == "199013010000"
    assert "199013010000" not in problem.message


def test_every_problem_is_reported_in_one_pass() -> None:
    def many(xml1: etree._Element) -> None:
        set_field(xml1, "NGAY_SINH", "19901301")
        set_field(xml1, "GIOI_TINH", "4")
        set_field(xml1, "HO_TEN", None)
        set_field(xml1, "MA_LK", "X" * 101)

    report = validate(mutate_table(sample(), "XML1", many))
    codes = report.codes()
    for expected in ("XML1.NGAY_SINH.format", "XML1.GIOI_TINH.code", "XML1.HO_TEN.required", "XML1.MA_LK.length"):
        assert expected in codes, codes


def test_structural_problems_of_one_record_are_all_reported() -> None:
    def shuffle(xml1: etree._Element) -> None:
        xml1.remove(xml1.find("HO_TEN"))
        xml1.remove(xml1.find("DIA_CHI"))
        etree.SubElement(xml1, "KHONG_CO")
        stt = xml1.find("STT")
        xml1.remove(stt)
        xml1.append(stt)

    codes = validate(mutate_table(sample(), "XML1", shuffle)).codes()
    assert {"XML1.HO_TEN.required", "XML1.DIA_CHI.required", "XML1.KHONG_CO.unexpected", "XML1.STT.order"} <= set(codes)


def test_errors_in_several_rows_are_each_reported_with_their_record() -> None:
    def two_rows(xml2: etree._Element) -> None:
        for row in rows(xml2)[:2]:
            set_field(row, "NGAY_YL", "2026")

    report = validate(mutate_table(sample("typical"), "XML2", two_rows))
    problems = [p for p in report.errors if p.code == "XML2.NGAY_YL.format"]
    assert [p.record for p in problems] == [1, 2]


def test_sheet_rule_conditional_requirement_cites_the_sheet() -> None:
    def fuel(xml3: etree._Element) -> None:
        row = rows(xml3)[0]
        set_field(row, "MA_NHOM", "12")
        set_field(row, "MA_XANG_DAU", "")

    report = validate(mutate_table(sample("typical"), "XML3", fuel))
    problem = next(p for p in report.errors if p.code == "XML3.MA_XANG_DAU.required")
    assert "MA_NHOM is 12" in problem.message and "v4750_03:11" in problem.message


def test_ngay_th_yl_before_ngay_yl_is_a_range_error() -> None:
    def earlier(xml2: etree._Element) -> None:
        row = rows(xml2)[0]
        set_field(row, "NGAY_TH_YL", str(int(row.findtext("NGAY_YL")) - 1))

    assert "XML2.NGAY_TH_YL.range" in validate(mutate_table(sample("typical"), "XML2", earlier)).codes()


def test_soluonghoso_must_count_the_hoso() -> None:
    data = mutate_envelope(sample(), lambda r: set_field(r.find("THONGTINHOSO"), "SOLUONGHOSO", "3"))
    assert validate(data).codes() == ["envelope.SOLUONGHOSO.count"]


def test_line_amount_must_equal_quantity_times_price() -> None:
    def price(xml2: etree._Element) -> None:
        row = rows(xml2)[0]
        set_field(row, "DON_GIA", str(float(row.findtext("DON_GIA")) + 10))

    codes = validate(mutate_table(sample("typical"), "XML2", price)).codes()
    assert "XML2.THANH_TIEN_BV.amount" in codes


def test_totals_within_tolerance_pass_and_beyond_fail() -> None:
    def nudge(delta: str):  # type: ignore[no-untyped-def]
        def change(xml1: etree._Element) -> None:
            from decimal import Decimal

            set_field(xml1, "T_THUOC", str(Decimal(xml1.findtext("T_THUOC")) + Decimal(delta)))

        return change

    assert validate(mutate_table(sample("typical"), "XML1", nudge("0.50"))).valid
    codes = validate(mutate_table(sample("typical"), "XML1", nudge("5.00"))).codes()
    assert codes == ["XML1.T_THUOC.total"]


def test_ma_lk_must_be_the_same_across_a_hosos_tables() -> None:
    data = mutate_table(sample(), "XML2", lambda r: set_field(rows(r)[0], "MA_LK", "OTHER"))
    assert "XML2.MA_LK.mismatch" in validate(data).codes()


def test_xml1_facility_must_be_the_envelopes() -> None:
    data = mutate_table(sample(), "XML1", lambda r: set_field(r, "MA_CSKCB", "79001"))
    assert validate(data).codes() == ["XML1.MA_CSKCB.facility"]


def test_stt_must_run_without_gaps() -> None:
    data = mutate_table(sample("typical"), "XML2", lambda r: set_field(rows(r)[1], "STT", "5"))
    assert "XML2.STT.sequence" in validate(data).codes()


def test_card_must_cover_the_admission() -> None:
    data = mutate_table(sample(), "XML1", lambda r: set_field(r, "GT_THE_DEN", "20000101"))
    assert "XML1.GT_THE_DEN.coverage" in validate(data).codes()


def test_cccd_contradicting_gender_is_a_warning_not_an_error() -> None:
    def flip(xml1: etree._Element) -> None:
        gender = xml1.findtext("GIOI_TINH")
        set_field(xml1, "GIOI_TINH", "2" if gender == "1" else "1")

    report = validate(mutate_table(sample(), "XML1", flip))
    assert report.valid
    assert [p.code for p in report.warnings] == ["XML1.SO_CCCD.contradiction"]
    assert report.warnings[0].severity is Severity.WARNING


def test_inner_root_must_match_loaihoso() -> None:
    def relabel(root: etree._Element) -> None:
        for item in root.iter("FILEHOSO"):
            if item.findtext("LOAIHOSO") == "XML2":
                item.find("LOAIHOSO").text = "XML4"

    assert "envelope.LOAIHOSO.mismatch" in validate(mutate_envelope(sample(), relabel)).codes()


def test_personal_values_are_masked_outside_the_facility() -> None:
    data = mutate_table(sample(), "XML1", lambda r: set_field(r, "SO_CCCD", "00109012345"))
    report = validate(data)
    problem = next(p for p in report.errors if p.field == "SO_CCCD")
    assert problem.value == "00109012345"
    masked = report.to_json(masked=True)["errors"]
    shown = next(e for e in masked if e["field"] == "SO_CCCD")["value"]
    assert shown != "00109012345" and "*" in shown


def test_cli_validate_json_lines_and_exit_codes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.xml"
    good.write_bytes(sample())
    bad = tmp_path / "bad.xml"
    bad.write_bytes(mutate_table(sample(), "XML1", lambda r: set_field(r, "GIOI_TINH", "9")))
    assert main(["validate", "--json", str(good)]) == 0
    assert main(["validate", "--json", str(good), str(bad)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["valid"] for line in lines] == [True, True, False]
    error = lines[-1]["errors"][0]
    assert set(error) == {"code", "severity", "hoso", "table", "record", "ma_lk", "field", "line", "message", "value"}
    assert error["code"] == "XML1.GIOI_TINH.code"
    assert main(["validate", str(tmp_path / "missing.xml")]) == 2
    assert main(["validate"]) == 2
