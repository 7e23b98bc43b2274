"""The schema set validates what the QĐ 130 tables allow and rejects what they do not."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from lxml import etree

from gateway.xml.schemaset import SchemaSet, load_schema_set
from gateway.xml.tables import SCHEMAS_DIR_ENV, SchemaDataError, schemas_root

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "shared_samples"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

# Genuine defects of the synthetic samples against the QĐ 4750 sheet (asserted exactly below):
# - XML1 leaves MAHUYEN_CU_TRU empty; the sheet marks it "x" (required). Districts were abolished
#   on 1 July 2025, so real 2026 data will do the same: a policy decision for layout.yaml
#   (`XML1.MAHUYEN_CU_TRU: {required: false}`), not something the schema guesses.
# - XML2 leaves NGUON_CTRA empty; the sheet marks it "x" (1 = paid by the BHYT fund).
MAHUYEN_EMPTY = (
    "Element 'MAHUYEN_CU_TRU': [facet 'minLength'] The value has a length of '0'; "
    "this underruns the allowed minimum length of '1'."
)
NGUON_CTRA_EMPTY = (
    "Element 'NGUON_CTRA': [facet 'pattern'] The value '' is not accepted by the pattern '[0-9]+'."
)


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return load_schema_set("4750")


def _sample(name: str) -> etree._Element:
    return etree.fromstring((SAMPLES / name).read_bytes(), PARSER)


def _errors(schemas: SchemaSet, name: str, root: etree._Element) -> list[str]:
    xsd = schemas.xsd(name)
    xsd.validate(root)
    return [e.message for e in xsd.error_log]


def _valid_xml1() -> etree._Element:
    """The XML1 sample with its one defect fixed (a district code), so it validates."""
    root = _sample("SYN_qd4750_XML1_TONG_HOP.xml")
    root.find("MAHUYEN_CU_TRU").text = "001"
    return root


def _set(root: etree._Element, field: str, value: str) -> etree._Element:
    root.find(field).text = value
    return root


# --- The samples -------------------------------------------------------------------------


def test_checkin_sample_is_valid(schemas: SchemaSet) -> None:
    assert (
        _errors(schemas, "XML0", _sample("SYN_qd4750_XML0_CHI_TIEU_TRANG_THAI_KCB_checkin.xml"))
        == []
    )


def test_xml3_sample_is_valid(schemas: SchemaSet) -> None:
    assert _errors(schemas, "XML3", _sample("SYN_qd4750_XML3_CHITIEU_CHITIET_DVKT_VTYT.xml")) == []


def test_xml1_sample_fails_only_on_its_empty_district(schemas: SchemaSet) -> None:
    assert _errors(schemas, "XML1", _sample("SYN_qd4750_XML1_TONG_HOP.xml")) == [MAHUYEN_EMPTY]
    assert _errors(schemas, "XML1", _valid_xml1()) == []


def test_xml2_sample_fails_only_on_its_empty_nguon_ctra(schemas: SchemaSet) -> None:
    root = _sample("SYN_qd4750_XML2_CHITIEU_CHITIET_THUOC.xml")
    assert _errors(schemas, "XML2", root) == [NGUON_CTRA_EMPTY]
    root.find(".//NGUON_CTRA").text = "1"
    assert _errors(schemas, "XML2", root) == []


def test_envelope_sample_is_valid_and_carries_the_same_tables(schemas: SchemaSet) -> None:
    envelope = _sample("SYN_qd4750_GIAMDINHHS_envelope_unsigned.xml")
    assert _errors(schemas, "GIAMDINHHS", envelope) == []
    expected = {"XML1": [MAHUYEN_EMPTY], "XML2": [NGUON_CTRA_EMPTY], "XML3": []}
    found = {}
    for item in envelope.iter("FILEHOSO"):
        name = item.findtext("LOAIHOSO") or ""
        inner = etree.fromstring(base64.b64decode(item.findtext("NOIDUNGFILE") or ""), PARSER)
        assert schemas.table_for_root(inner.tag) is schemas.tables[name]
        found[name] = _errors(schemas, name, inner)
    assert found == expected


def test_legacy_4210_envelope_has_the_same_envelope_shape(schemas: SchemaSet) -> None:
    legacy = _sample("SYN_qd4210_GIAMDINHHS_envelope_legacy.xml")
    assert _errors(schemas, "GIAMDINHHS", legacy) == []


# --- Field values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("NGAY_SINH", "19901301000"),  # 11 chars, month 13
        ("NGAY_SINH", "199013010000"),  # month 13
        ("NGAY_SINH", "199001012460"),  # 24:60
        ("GIOI_TINH", "4"),
        ("MA_LK", "X" * 101),  # MA_LK: Chuỗi 100
        ("NGAY_VAO", "2026030108"),  # datetime12 needs 12
        ("GT_THE_TU", "20260101;2026"),  # every listed date is yyyyMMdd
        ("T_TONGCHI_BV", "54800.001"),  # money: 2 decimals
        ("T_TONGCHI_BV", "54,800"),  # decimal point is "."
        ("NAM_QT", "２０２６"),  # fullwidth digits are not [0-9]
        ("MA_THE_BHYT", "DN4019999999999;"),  # an empty list item
        ("CAN_NANG", "65.125"),  # B1 CAN_NANG: 2 decimals
    ],
)
def test_bad_value_is_rejected(schemas: SchemaSet, field: str, value: str) -> None:
    errors = _errors(schemas, "XML1", _set(_valid_xml1(), field, value))
    assert len(errors) == 1 and errors[0].startswith(f"Element '{field}'"), errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("NGAY_SINH", "195000000000"),  # born in 1950, day, month, hour, minute unknown
        ("NGAY_SINH", "199002280000"),
        ("GT_THE_TU", "20260101;20260601"),  # the card changed during the episode
        ("MA_THE_BHYT", "DN4019999999999;DN4019999999998"),
        ("NGAY_MIEN_CCT", "20170405"),  # 8 chars with a certificate, 12 without
        ("NGAY_MIEN_CCT", "201704051520"),
        ("T_TONGCHI_BV", "54800"),
        ("T_TONGCHI_BV", "54800.5"),
        ("MA_QUOCTICH", "000"),  # codes keep their leading zeros
    ],
)
def test_good_value_is_accepted(schemas: SchemaSet, field: str, value: str) -> None:
    assert _errors(schemas, "XML1", _set(_valid_xml1(), field, value)) == []


def test_quantities_and_unit_prices_take_three_decimals(schemas: SchemaSet) -> None:
    root = _sample("SYN_qd4750_XML3_CHITIEU_CHITIET_DVKT_VTYT.xml")
    _set(root.find(".//CHI_TIET_DVKT"), "SO_LUONG", "0.333")
    assert _errors(schemas, "XML3", root) == []
    _set(root.find(".//CHI_TIET_DVKT"), "DON_GIA_BV", "39800.0001")
    assert _errors(schemas, "XML3", root)[0].startswith("Element 'DON_GIA_BV'")


def test_percent_is_a_whole_number_up_to_100(schemas: SchemaSet) -> None:
    root = _sample("SYN_qd4750_XML3_CHITIEU_CHITIET_DVKT_VTYT.xml")
    for value, ok in [("0", True), ("33", True), ("100", True), ("101", False), ("50.5", False)]:
        _set(root.find(".//CHI_TIET_DVKT"), "MUC_HUONG", value)
        assert (_errors(schemas, "XML3", root) == []) is ok, value


def test_empty_optional_is_fine_and_absent_optional_too(schemas: SchemaSet) -> None:
    root = _valid_xml1()
    assert root.find("NHOM_MAU").text is None
    root.remove(root.find("NHOM_MAU"))
    assert _errors(schemas, "XML1", root) == []


def test_empty_required_is_rejected(schemas: SchemaSet) -> None:
    errors = _errors(schemas, "XML1", _set(_valid_xml1(), "HO_TEN", ""))
    assert errors == [
        "Element 'HO_TEN': [facet 'minLength'] The value has a length of '0'; "
        "this underruns the allowed minimum length of '1'."
    ]


def test_missing_required_field_is_rejected(schemas: SchemaSet) -> None:
    root = _valid_xml1()
    root.remove(root.find("MA_BN"))
    assert _errors(schemas, "XML1", root) == [
        "Element 'HO_TEN': This element is not expected. Expected is ( MA_BN )."
    ]


def test_element_out_of_order_is_rejected(schemas: SchemaSet) -> None:
    root = _valid_xml1()
    ho_ten = root.find("HO_TEN")
    root.remove(ho_ten)
    root.find("MA_LK").addnext(ho_ten)
    [error] = _errors(schemas, "XML1", root)
    assert error.startswith("Element 'HO_TEN': This element is not expected.")


def test_unknown_element_is_rejected(schemas: SchemaSet) -> None:
    root = _valid_xml1()
    etree.SubElement(root, "MA_THE")  # QĐ 4210's name for the card code
    [error] = _errors(schemas, "XML1", root)
    assert error.startswith("Element 'MA_THE': This element is not expected.")


# --- CHUKYDONVI and the envelope ----------------------------------------------------------


def _checkin_with_signatures(count: int, namespace: str = DSIG) -> etree._Element:
    root = _sample("SYN_qd4750_XML0_CHI_TIEU_TRANG_THAI_KCB_checkin.xml")
    container = root.find("CHUKYDONVI")
    for _ in range(count):
        signature = etree.SubElement(
            container, f"{{{namespace}}}Signature", nsmap={"ds": namespace}
        )
        etree.SubElement(signature, f"{{{namespace}}}SignedInfo")
    return root


def test_chukydonvi_with_one_signature_is_valid(schemas: SchemaSet) -> None:
    assert _errors(schemas, "XML0", _checkin_with_signatures(1)) == []


def test_chukydonvi_with_two_signatures_is_rejected(schemas: SchemaSet) -> None:
    [error] = _errors(schemas, "XML0", _checkin_with_signatures(2))
    assert "Signature" in error and "not expected" in error


def test_chukydonvi_with_a_foreign_element_is_rejected(schemas: SchemaSet) -> None:
    assert _errors(schemas, "XML0", _checkin_with_signatures(1, "urn:other")) != []


def test_standalone_document_may_omit_chukydonvi(schemas: SchemaSet) -> None:
    root = _sample("SYN_qd4750_XML0_CHI_TIEU_TRANG_THAI_KCB_checkin.xml")
    root.remove(root.find("CHUKYDONVI"))
    assert _errors(schemas, "XML0", root) == []


def _envelope() -> etree._Element:
    return _sample("SYN_qd4750_GIAMDINHHS_envelope_unsigned.xml")


@pytest.mark.parametrize("loaihoso", ["XML0", "XML12", "XML16", "xml1", ""])
def test_envelope_refuses_a_table_that_does_not_travel_in_it(
    schemas: SchemaSet, loaihoso: str
) -> None:
    root = _envelope()
    root.find(".//LOAIHOSO").text = loaihoso
    [error] = _errors(schemas, "GIAMDINHHS", root)
    assert error.startswith("Element 'LOAIHOSO'")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (".//SOLUONGHOSO", "0"),
        (".//NGAYLAP", "2026-03-01"),
        (".//MACSKCB", "0100"),
        (".//NOIDUNGFILE", ""),
    ],
)
def test_envelope_header_values_are_checked(schemas: SchemaSet, path: str, value: str) -> None:
    root = _envelope()
    root.find(path).text = value
    assert len(_errors(schemas, "GIAMDINHHS", root)) == 1


def test_envelope_signature_is_optional_and_last(schemas: SchemaSet) -> None:
    root = _envelope()
    signature = root.find("CHUKYDONVI")
    assert signature is not None and root[-1] is signature
    root.remove(signature)
    assert _errors(schemas, "GIAMDINHHS", root) == []
    root.insert(0, signature)
    assert _errors(schemas, "GIAMDINHHS", root) != []


# --- The set itself -------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["4750", "130"])
def test_table_for_root_recognises_every_table(version: str) -> None:
    schemas = load_schema_set(version)
    for name, table in schemas.tables.items():
        assert schemas.table_for_root(table.root_path[0]) is table, name
        schemas.xsd(name)  # compiles
    assert schemas.table_for_root("GIAMDINHHS") is None
    assert schemas.table_for_root("DSACH_CHI_TIET_THUOC") is None  # QĐ 4210's XML2 root
    schemas.xsd("GIAMDINHHS")


def test_standalone_tables_are_xml0_and_xml12(schemas: SchemaSet) -> None:
    assert [t.name for t in schemas.tables.values() if t.standalone] == ["XML0", "XML12"]
    assert schemas.table_for_root("CHI_TIEU_GIAM_DINH_YKHOA") is schemas.tables["XML12"]


def test_set_and_xsd_are_cached(schemas: SchemaSet) -> None:
    assert load_schema_set("4750") is schemas
    assert schemas.xsd("XML1") is schemas.xsd("XML1")
    assert schemas.xsd_path("XML1") == schemas_root() / "qd130" / "v4750" / "XML1.xsd"


def test_unknown_table_and_version_raise(schemas: SchemaSet) -> None:
    with pytest.raises(SchemaDataError) as info:
        schemas.xsd("XML16")
    assert info.value.code == "schema.unknown_table"
    with pytest.raises(SchemaDataError) as info:
        load_schema_set("130").xsd("XML13")  # QĐ 130 had no XML13
    assert info.value.code == "schema.unknown_table"
    with pytest.raises(SchemaDataError) as info:
        load_schema_set("9999")
    assert info.value.code == "schema.unknown_version"


def test_schemas_dir_can_be_set_by_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(schemas_root(), tmp_path / "schemas")
    monkeypatch.setenv(SCHEMAS_DIR_ENV, str(tmp_path / "schemas"))
    moved = load_schema_set("4750")
    assert moved.xsd_dir == (tmp_path / "schemas" / "qd130" / "v4750").resolve()
    assert moved.xsd("XML1").validate(_valid_xml1())


def test_wrong_schemas_dir_fails_instead_of_falling_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEMAS_DIR_ENV, str(tmp_path))
    with pytest.raises(SchemaDataError) as info:
        load_schema_set("4750")
    assert info.value.code == "schema.missing"


def test_missing_xsd_file_says_how_to_regenerate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(schemas_root(), tmp_path / "schemas")
    (tmp_path / "schemas" / "qd130" / "v4750" / "XML5.xsd").unlink()
    monkeypatch.setenv(SCHEMAS_DIR_ENV, str(tmp_path / "schemas"))
    with pytest.raises(SchemaDataError, match=r"gateway\.xml\.schemagen") as info:
        load_schema_set("4750").xsd("XML5")
    assert info.value.code == "schema.missing"
