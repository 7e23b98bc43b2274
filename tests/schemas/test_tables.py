"""Reading the official sheets: by header name, robustly, and loudly on anything unrecognised."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.xml.tables import SchemaDataError, derive_format, load_tables, schemas_root

HEADER = "STT\tChỉ tiêu\tKiểu dữ liệu\tKích thước tối đa\tDiễn giải\tBắt buộc\tVALID"


def _fake_qd130(tmp_path: Path, sheet: str, overrides: str = "{}") -> Path:
    """A schemas/qd130 copy whose XML1 sheet is `sheet` (the other tables as committed)."""
    qd130 = tmp_path / "qd130"
    source = schemas_root() / "qd130"
    shutil.copytree(
        source, qd130, ignore=lambda d, names: [] if Path(d) != source else ["v4750", "v130"]
    )
    (qd130 / "source" / "v4750" / "v4750_01_Bang_1_Tong_hop.tsv").write_text(
        sheet, encoding="utf-8"
    )
    layout = qd130 / "layout.yaml"
    text = layout.read_text(encoding="utf-8")
    start = text.index("    overrides:\n", text.index('"4750":'))
    end = text.index('  "130":')
    layout.write_text(text[:start] + f"    overrides: {overrides}\n" + text[end:], encoding="utf-8")
    return qd130


def test_fields_keep_table_order_and_sheet_rows() -> None:
    xml1 = load_tables("4750")["XML1"]
    assert [f.name for f in xml1.fields[:9]] == [
        "MA_LK", "STT", "MA_BN", "HO_TEN", "SO_CCCD", "NGAY_SINH", "GIOI_TINH", "NHOM_MAU", "MA_QUOCTICH",
    ]  # fmt: skip
    assert [f.order for f in xml1.fields] == list(range(1, len(xml1.fields) + 1))
    assert xml1.field("MA_LK").sheet_row == 2  # type: ignore[union-attr]
    assert xml1.source_file == "source/v4750/v4750_01_Bang_1_Tong_hop.tsv"


def test_a_condition_is_a_note_not_a_requirement() -> None:
    xml3 = load_tables("4750")["XML3"]
    ma_xang_dau = xml3.field("MA_XANG_DAU")
    assert ma_xang_dau is not None and not ma_xang_dau.required
    assert ma_xang_dau.required_note == "Bắt buộc khi MA_NHOM = 12"
    checkin = load_tables("4750")["XML0"].field("LY_DO_VNT")
    assert checkin is not None and not checkin.required  # "x (Chỉ bắt buộc khi …)" is a condition
    assert checkin.required_note.startswith("x (Chỉ bắt buộc khi")


def test_type_cell_with_trailing_space_is_read() -> None:
    field = load_tables("4750")["XML1"].field("MAHUYEN_CU_TRU")  # the sheet says "Chuỗi "
    assert field is not None and field.type == "string" and field.max_length == 3


def test_xml12_sheet_with_a_title_line_is_read() -> None:
    xml12 = load_tables("4750")["XML12"]
    assert xml12.fields[0].name == "NGUOI_CHU_TRI" and xml12.fields[0].sheet_row == 3
    ngay_sinh = xml12.field("NGAY_SINH")
    assert ngay_sinh is not None and ngay_sinh.format == "date8"  # 8 chars here, "yyyymmdd"


def test_qd4750_amendments_override_the_sheet() -> None:
    xml1 = load_tables("4750")["XML1"]
    assert xml1.field("MA_QUOCTICH").type == "string"  # type: ignore[union-attr]
    assert load_tables("4750")["XML2"].field("MA_KHOA").max_length == 50  # type: ignore[union-attr]
    assert load_tables("130")["XML1"].field("MA_QUOCTICH").type == "number"  # type: ignore[union-attr]


def test_formats_by_rule() -> None:
    xml1 = load_tables("4750")["XML1"]
    formats = {f.name: f.format for f in xml1.fields}
    assert formats["NGAY_SINH"] == "birth12"
    assert formats["GIOI_TINH"] == "gender"
    assert formats["GT_THE_TU"] == formats["GT_THE_DEN"] == "date8_list"
    assert formats["MA_THE_BHYT"] == formats["MA_DKBD"] == "code_list"
    assert formats["NGAY_VAO"] == "datetime12"
    assert formats["T_TONGCHI_BV"] == "decimal2"
    assert formats["MA_DANTOC"] == "code"
    assert formats["HO_TEN"] == "text"
    xml2 = {f.name: f.format for f in load_tables("4750")["XML2"].fields}
    assert xml2["SO_LUONG"] == xml2["DON_GIA"] == "decimal3"
    assert xml2["TYLE_TT_BH"] == xml2["MUC_HUONG"] == "percent"
    assert load_tables("4750")["XML0"].field("GT_THE_TU").format == "date8"  # type: ignore[union-attr]
    assert derive_format("SO_NGAY_DTRI", "number", 3) == "integer"


def test_unknown_column_fails(tmp_path: Path) -> None:
    qd130 = _fake_qd130(tmp_path, HEADER + "\tGhi chú\n1\tMA_LK\tChuỗi\t100\t…\tx\t\t\n")
    with pytest.raises(SchemaDataError, match="unknown column 'Ghi chú'"):
        load_tables("4750", qd130)


def test_unknown_type_fails(tmp_path: Path) -> None:
    qd130 = _fake_qd130(tmp_path, HEADER + "\n1\tMA_LK\tNgày\t100\t…\tx\t\n")
    with pytest.raises(SchemaDataError, match="unknown type 'Ngày'"):
        load_tables("4750", qd130)


def test_bad_size_fails(tmp_path: Path) -> None:
    qd130 = _fake_qd130(tmp_path, HEADER + "\n1\tMA_LK\tChuỗi\tmax\t…\tx\t\n")
    with pytest.raises(SchemaDataError, match="bad size 'max'"):
        load_tables("4750", qd130)


def test_data_in_an_unnamed_column_fails(tmp_path: Path) -> None:
    qd130 = _fake_qd130(tmp_path, HEADER + "\t\n1\tMA_LK\tChuỗi\t100\t…\tx\t\tstray\n")
    with pytest.raises(SchemaDataError, match="outside the named columns"):
        load_tables("4750", qd130)


def test_missing_header_fails(tmp_path: Path) -> None:
    qd130 = _fake_qd130(tmp_path, "1\tMA_LK\tChuỗi\t100\t…\tx\t\n")
    with pytest.raises(SchemaDataError, match="no header row"):
        load_tables("4750", qd130)


def test_duplicate_field_fails(tmp_path: Path) -> None:
    row = "1\tMA_LK\tChuỗi\t100\t…\tx\t\n"
    qd130 = _fake_qd130(tmp_path, HEADER + "\n" + row + row)
    with pytest.raises(SchemaDataError, match="field MA_LK twice"):
        load_tables("4750", qd130)


def test_empty_rows_are_skipped(tmp_path: Path) -> None:
    qd130 = _fake_qd130(tmp_path, HEADER + "\n\t\t\t\t\t\t\n1\tMA_LK\tChuỗi\t100\t…\tx\t\n")
    [field] = load_tables("4750", qd130)["XML1"].fields
    assert field.name == "MA_LK" and field.sheet_row == 3 and field.required


def test_override_that_matches_no_field_fails(tmp_path: Path) -> None:
    sheet = HEADER + "\n1\tMA_LK\tChuỗi\t100\t…\tx\t\n"
    qd130 = _fake_qd130(tmp_path, sheet, "{XML1.NO_SUCH_FIELD: {type: string}}")
    with pytest.raises(SchemaDataError, match="match no field"):
        load_tables("4750", qd130)


def test_unknown_version_fails() -> None:
    with pytest.raises(SchemaDataError) as info:
        load_tables("3176")
    assert info.value.code == "schema.unknown_version"
