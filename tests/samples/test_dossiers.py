"""Every valid generated dossier is consistent: the rules of QĐ 130 recomputed independently."""

from __future__ import annotations

import base64
import random
import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from gateway.samples import ENVELOPE, GeneratedFile, generate, generate_one
from gateway.xml.schemaset import load_schema_set

from .decode import Envelope, Row, decode

CARD = re.compile(r"^[A-Z]{2}[1-5]\d{2}\d{10}$")
BENEFIT = {"1": 100, "2": 100, "3": 95, "4": 80, "5": 100}
CENT = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _valid_envelopes(profile: str, count: int, seed: int) -> list[tuple[GeneratedFile, Envelope]]:
    files = generate(None, count, seed=seed, profile=profile)
    return [(f, decode(f.content)) for f in files if f.kind == ENVELOPE]


@pytest.fixture(scope="module")
def dossiers() -> list[tuple[GeneratedFile, Envelope]]:
    return _valid_envelopes("typical", 60, 11) + _valid_envelopes("small", 40, 12)


def test_every_envelope_has_one_hoso_counted_in_soluonghoso(dossiers: list) -> None:
    for item, env in dossiers:
        assert env.declared == str(len(env.hosos)) == "1", item.name
        assert env.facility == "01001"
        assert env.root[-1].tag == "CHUKYDONVI" and len(env.root[-1]) == 0


def test_inner_tables_are_well_formed_utf8_with_declaration(dossiers: list) -> None:
    for _, env in dossiers:
        for table in env.hosos[0].values():
            assert table.root is not None
            text = base64.b64decode(table.b64)
            assert text.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
            text.decode("utf-8")


def test_profiles_attach_the_expected_tables(dossiers: list) -> None:
    kinds = {tuple(env.hosos[0]) for _, env in dossiers}
    assert kinds == {("XML1", "XML2", "XML3"), ("XML1", "XML2", "XML3", "XML4", "XML5")}


def test_ma_lk_is_the_same_in_every_table_and_stt_runs_1_to_n(dossiers: list) -> None:
    for item, env in dossiers:
        tables = env.hosos[0]
        ma_lk = tables["XML1"].rows[0]["MA_LK"]
        assert item.ma_lk == (ma_lk,)
        for name, table in tables.items():
            assert {row["MA_LK"] for row in table.rows} == {ma_lk}, name
            assert [row["STT"] for row in table.rows] == [
                str(i) for i in range(1, len(table.rows) + 1)
            ], name


def test_ma_lk_differs_between_dossiers(dossiers: list) -> None:
    keys = [item.ma_lk[0] for item, _ in dossiers]
    assert len(set(keys)) == len(keys)


def test_every_field_is_written_in_the_table_order() -> None:
    schemas = load_schema_set("4750")
    for seed in range(5):
        env = decode(generate_one(random.Random(seed), "typical"))
        for name, table in env.hosos[0].items():
            expected = [f.name for f in schemas.tables[name].fields]
            for order in table.orders:
                assert order == expected, name


def test_optional_fields_without_value_are_empty_elements() -> None:
    env = decode(generate_one(random.Random(3), "small"))
    xml2 = env.hosos[0]["XML2"].root
    assert xml2 is not None
    empty = xml2.find(".//MA_PP_CHEBIEN")
    assert empty is not None and empty.text is None and len(empty) == 0


def _line_bv_bh(table: str, row: Row) -> tuple[Decimal, Decimal]:
    qty = Decimal(row["SO_LUONG"])
    insurance = Decimal(row["TYLE_TT_BH"]) / 100
    if table == "XML2":
        price = Decimal(row["DON_GIA"])
        return _round(qty * price), _round(qty * price * insurance)
    service = Decimal(row["TYLE_TT_DV"]) / 100
    bv = _round(qty * Decimal(row["DON_GIA_BV"]) * service)
    return bv, _round(qty * Decimal(row["DON_GIA_BH"]) * service * insurance)


def test_line_amounts_follow_the_formulas(dossiers: list) -> None:
    for item, env in dossiers:
        xml1 = env.hosos[0]["XML1"].rows[0]
        benefit = BENEFIT[xml1["MA_THE_BHYT"][2]]
        for name in ("XML2", "XML3"):
            for row in env.hosos[0][name].rows:
                bv, bh = _line_bv_bh(name, row)
                assert Decimal(row["THANH_TIEN_BV"]) == bv, item.name
                assert Decimal(row["THANH_TIEN_BH"]) == bh, item.name
                assert row["MUC_HUONG"] == str(benefit)
                bhtt = _round(bh * benefit / 100)
                assert Decimal(row["T_BHTT"]) == bhtt
                assert Decimal(row["T_BNCCT"]) == bh - bhtt
                assert Decimal(row["T_BNTT"]) == bv - bh
                assert Decimal(row["T_NGUONKHAC"]) == 0


def test_xml1_totals_add_up(dossiers: list) -> None:
    for item, env in dossiers:
        tables = env.hosos[0]
        xml1 = tables["XML1"].rows[0]
        lines = tables["XML2"].rows + tables["XML3"].rows

        def total(field: str, rows: list[Row]) -> Decimal:
            return sum((Decimal(r[field]) for r in rows), Decimal(0))

        supplies = [r for r in tables["XML3"].rows if r["MA_NHOM"] in ("10", "11")]
        assert Decimal(xml1["T_THUOC"]) == total("THANH_TIEN_BV", tables["XML2"].rows)
        assert Decimal(xml1["T_VTYT"]) == total("THANH_TIEN_BV", supplies)
        assert Decimal(xml1["T_TONGCHI_BV"]) == total("THANH_TIEN_BV", lines)
        assert Decimal(xml1["T_TONGCHI_BH"]) == total("THANH_TIEN_BH", lines)
        assert Decimal(xml1["T_BNTT"]) == total("T_BNTT", lines)
        assert Decimal(xml1["T_BNCCT"]) == total("T_BNCCT", lines)
        assert Decimal(xml1["T_BHTT"]) == total("T_BHTT", lines)
        assert Decimal(xml1["T_BHTT"]) == Decimal(xml1["T_TONGCHI_BH"]) - Decimal(xml1["T_BNCCT"])
        assert Decimal(xml1["T_NGUONKHAC"]) == total("T_NGUONKHAC", lines) == 0, item.name


def test_money_has_two_decimals_and_prices_three(dossiers: list) -> None:
    money = re.compile(r"^\d+\.\d{2}$")
    price = re.compile(r"^\d+\.\d{3}$")
    for _, env in dossiers:
        for row in env.hosos[0]["XML2"].rows:
            assert money.match(row["THANH_TIEN_BV"]) and price.match(row["DON_GIA"])
        for row in env.hosos[0]["XML3"].rows:
            assert money.match(row["T_BHTT"]) and price.match(row["DON_GIA_BV"])
        assert money.match(env.hosos[0]["XML1"].rows[0]["T_TONGCHI_BV"])


def test_groups_are_the_known_cost_groups(dossiers: list) -> None:
    for _, env in dossiers:
        assert {r["MA_NHOM"] for r in env.hosos[0]["XML2"].rows} <= {"4", "6", "7"}
        assert {r["MA_NHOM"] for r in env.hosos[0]["XML3"].rows} <= {
            "1", "2", "3", "8", "10", "11", "13", "15",
        }  # fmt: skip


def _at(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M")


def test_dates_lie_inside_the_stay_and_follow_their_order(dossiers: list) -> None:
    for item, env in dossiers:
        tables = env.hosos[0]
        xml1 = tables["XML1"].rows[0]
        admitted, discharged = _at(xml1["NGAY_VAO"]), _at(xml1["NGAY_RA"])
        assert admitted <= discharged <= _at(xml1["NGAY_TTOAN"])
        if xml1["NGAY_VAO_NOI_TRU"]:
            assert admitted <= _at(xml1["NGAY_VAO_NOI_TRU"]) <= discharged
        assert (
            xml1["GT_THE_TU"] <= xml1["NGAY_VAO"][:8] <= xml1["NGAY_RA"][:8] <= xml1["GT_THE_DEN"]
        )
        for name in ("XML2", "XML3"):
            for row in tables[name].rows:
                assert admitted <= _at(row["NGAY_YL"]) <= _at(row["NGAY_TH_YL"]) <= discharged
                if row.get("NGAY_KQ"):
                    assert _at(row["NGAY_YL"]) <= _at(row["NGAY_KQ"]) <= discharged
        if "XML5" in tables:
            for row in tables["XML5"].rows:
                assert admitted <= _at(row["THOI_DIEM_DBLS"]) <= discharged, item.name


def test_lab_results_refer_to_lab_services_of_xml3(dossiers: list) -> None:
    for _, env in dossiers:
        tables = env.hosos[0]
        if "XML4" not in tables:
            continue
        labs = {r["MA_DICH_VU"]: r["NGAY_KQ"] for r in tables["XML3"].rows if r["MA_NHOM"] == "1"}
        assert tables["XML4"].rows
        for row in tables["XML4"].rows:
            assert row["MA_DICH_VU"] in labs
            assert row["GIA_TRI"] and row["NGAY_KQ"]


def test_identity_fields_have_their_formats(dossiers: list) -> None:
    for _, env in dossiers:
        xml1 = env.hosos[0]["XML1"].rows[0]
        assert CARD.match(xml1["MA_THE_BHYT"])
        assert re.fullmatch(r"\d{12}", xml1["SO_CCCD"])
        assert re.fullmatch(r"\d{4}(\d{4}|0000)0000", xml1["NGAY_SINH"])
        assert xml1["GIOI_TINH"] in ("1", "2")
        assert xml1["MA_CSKCB"] == env.facility
        assert xml1["MATINH_CU_TRU"] == xml1["MA_THE_BHYT"][3:5]


def test_a_facility_code_is_carried_through() -> None:
    env = decode(generate_one(random.Random(1), "small", "79001"))
    assert env.facility == "79001"
    assert env.hosos[0]["XML1"].rows[0]["MA_CSKCB"] == "79001"
