"""MATCH, MISMATCH and NOT_FOUND, and every `details` kind the ID pass reports, on hand-made
records (helpers.py)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from gateway.reconcile import ReconcileConfig
from gateway.reconcile.linkage import LinkageConfig
from tests.reconcile.helpers import AN, CITIZENS, DUC, HOA, HUONG, Citizen, run


def one(
    tmp_path: Path, record: dict[str, str], population: list[dict[str, str]] | None = None
) -> dict[str, str]:
    return run(tmp_path, [record], population).rows[record["record_id"]]


def test_record_as_the_authority_has_it_is_a_match(tmp_path: Path) -> None:
    row = one(tmp_path, AN.insured("0100000001"))
    assert row["category"] == "MATCH"
    assert row["so_dinh_danh"] == AN.so_dinh_danh
    assert (row["fields"], row["details"], row["proposed_ho_ten"], row["duplicate_group"]) == (
        "",
        "",
        "",
        "",
    )


@pytest.mark.parametrize(
    "name",
    [
        "NGUYỄN VĂN AN",  # case
        "  Nguyễn   Văn  An ",  # spacing
        unicodedata.normalize("NFD", "Nguyễn Văn An"),  # NFD
    ],
    ids=["case", "spacing", "nfd"],
)
def test_same_name_written_differently_is_a_match(tmp_path: Path, name: str) -> None:
    assert one(tmp_path, AN.insured("0100000001", ho_ten=name))["category"] == "MATCH"


def test_old_and_new_tone_placement_is_a_match(tmp_path: Path) -> None:
    assert one(tmp_path, HOA.insured("0100000001", ho_ten="Trần Thị Hoà"))["category"] == "MATCH"


@pytest.mark.parametrize("date", ["04/03/1985", "198503040000", " 19850304 "])
def test_other_forms_of_the_same_birth_date_match(tmp_path: Path, date: str) -> None:
    assert one(tmp_path, AN.insured("0100000001", ngay_sinh=date))["category"] == "MATCH"


@pytest.mark.parametrize("date", ["19520817", "1952", "195200000000", "19520000"])
def test_year_only_population_date_agrees_with_any_date_of_that_year(
    tmp_path: Path, date: str
) -> None:
    assert one(tmp_path, DUC.insured("0100000001", ngay_sinh=date))["category"] == "MATCH"


@pytest.mark.parametrize("gender", ["3", ""])
def test_unknown_gender_agrees(tmp_path: Path, gender: str) -> None:
    assert one(tmp_path, AN.insured("0100000001", gioi_tinh=gender))["category"] == "MATCH"


def test_leading_zeros_of_address_codes_do_not_matter(tmp_path: Path) -> None:
    assert one(tmp_path, AN.insured("0100000001", ma_tinh="1", ma_xa="4"))["category"] == "MATCH"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("NGUYEN VAN AN", "diacritics"),
        ("Nguyen Văn An", "diacritics"),
        ("Nguyễn An", "middle_name"),
        ("Nguyễn Văn Minh An", "middle_name"),
        ("Văn An Nguyễn", "order"),
        ("Nguyễn Văn Ăn", "diacritics"),
        ("Nguyễn Văn Anh", "spelling"),
        ("Trương Quốc Bảo", "different"),
    ],
)
def test_name_differences_are_named_and_the_authoritative_name_proposed(
    tmp_path: Path, name: str, kind: str
) -> None:
    row = one(tmp_path, AN.insured("0100000001", ho_ten=name, gioi_tinh="1"))
    assert (row["category"], row["fields"], row["details"]) == (
        "MISMATCH",
        "ho_ten",
        f"ho_ten:{kind}",
    )
    assert row["proposed_ho_ten"] == AN.ho_ten


def test_regional_family_name_is_a_regional_variant(tmp_path: Path) -> None:
    row = one(tmp_path, HUONG.insured("0100000001", ho_ten="Huỳnh Thị Hương"))
    assert (row["details"], row["proposed_ho_ten"]) == ("ho_ten:regional_variant", HUONG.ho_ten)


@pytest.mark.parametrize(
    ("date", "kind", "proposed"),
    [
        ("1985", "precision", "19850304"),
        ("19850403", "day_month_swapped", "19850304"),
        ("19850315", "different", "19850304"),
        ("19860304", "different", "19850304"),
        ("not a date", "different", "19850304"),
    ],
)
def test_birth_date_differences(tmp_path: Path, date: str, kind: str, proposed: str) -> None:
    row = one(tmp_path, AN.insured("0100000001", ngay_sinh=date))
    assert (row["category"], row["fields"], row["details"]) == (
        "MISMATCH",
        "ngay_sinh",
        f"ngay_sinh:{kind}",
    )
    assert row["proposed_ngay_sinh"] == proposed


def test_year_only_authority_date_is_proposed_as_the_year(tmp_path: Path) -> None:
    row = one(tmp_path, DUC.insured("0100000001", ngay_sinh="19530101"))
    assert (row["details"], row["proposed_ngay_sinh"]) == ("ngay_sinh:different", "1952")


def test_gender_difference(tmp_path: Path) -> None:
    row = one(tmp_path, HOA.insured("0100000001", gioi_tinh="1"))
    assert (row["category"], row["details"], row["proposed_gioi_tinh"]) == (
        "MISMATCH",
        "gioi_tinh:different",
        "2",
    )


def test_address_difference_proposes_every_code(tmp_path: Path) -> None:
    row = one(tmp_path, HOA.insured("0100000001", ma_xa="26735"))
    assert (row["fields"], row["details"]) == ("dia_chi", "dia_chi:different")
    assert (row["proposed_ma_tinh"], row["proposed_ma_huyen"], row["proposed_ma_xa"]) == (
        "79",
        "760",
        "26734",
    )


def test_district_is_not_compared_when_one_side_has_none(tmp_path: Path) -> None:
    # Since July 2025 there is no district level: new-vintage records leave it empty.
    assert one(tmp_path, HOA.insured("0100000001", ma_huyen=""))["category"] == "MATCH"


def test_old_id_identifies_the_citizen_and_is_itself_a_difference(tmp_path: Path) -> None:
    row = one(tmp_path, AN.insured("0100000001", so_cccd=AN.so_cmnd))
    assert (row["category"], row["so_dinh_danh"]) == ("MISMATCH", AN.so_dinh_danh)
    assert (row["fields"], row["details"], row["proposed_so_cccd"]) == (
        "so_cccd",
        "so_cccd:old_id",
        AN.so_dinh_danh,
    )


@pytest.mark.parametrize(
    ("so_cccd", "kind"),
    [
        ("", "missing"),
        ("   ", "missing"),
        ("B1234567", "missing"),  # a passport: no ID of the population database
        ("01085000001", "malformed"),  # 11 digits: a spreadsheet dropped the leading zero
        ("00108500000A", "malformed"),
        ("999085000001", "malformed"),  # not a province code
        ("001085999999", "unknown"),
        ("987654321", "unknown"),  # an old ID nobody has
    ],
)
def test_records_without_a_usable_id_keep_the_ids_problem_when_linked_on_demographics(
    tmp_path: Path, so_cccd: str, kind: str
) -> None:
    row = one(tmp_path, AN.insured("0100000001", so_cccd=so_cccd))
    assert (row["category"], row["so_dinh_danh"]) == ("PROBABLE_MATCH", AN.so_dinh_danh)
    assert (row["fields"], row["details"]) == ("so_cccd", f"so_cccd:{kind}")


def test_records_without_a_usable_id_are_not_found_by_the_id_pass(tmp_path: Path) -> None:
    config = ReconcileConfig(threads=1, workers=1, linkage=LinkageConfig(enabled=False))
    row = run(tmp_path, [AN.insured("0100000001", so_cccd="")], config=config).rows["0100000001"]
    assert (row["category"], row["so_dinh_danh"], row["details"]) == (
        "NOT_FOUND",
        "",
        "so_cccd:missing",
    )


def test_id_of_a_clearly_different_person_is_wrong_person(tmp_path: Path) -> None:
    # HOA's ID on a record of AN: name, birth year and gender all disagree; the linkage then
    # finds AN on demographics.
    row = one(tmp_path, AN.insured("0100000001", so_cccd=HOA.so_dinh_danh))
    assert (row["category"], row["so_dinh_danh"], row["details"]) == (
        "PROBABLE_MATCH",
        AN.so_dinh_danh,
        "so_cccd:wrong_person",
    )
    assert row["proposed_ho_ten"] == ""


def test_id_is_trusted_when_two_of_name_year_and_gender_agree(tmp_path: Path) -> None:
    # Name different, but birth year and gender agree: the ID stands, the name is reported.
    row = one(tmp_path, AN.insured("0100000001", ho_ten="Trương Quốc Bảo", ngay_sinh="19850101"))
    assert row["category"] == "MISMATCH"
    assert row["details"] == "ho_ten:different|ngay_sinh:different"


def test_id_contradicting_the_authoritys_own_birth_year_is_flagged_not_proposed(
    tmp_path: Path,
) -> None:
    odd = Citizen("001086000009", "Phạm Minh Tuấn", "19850101", "1")  # digits say 1986
    row = one(tmp_path, odd.insured("0100000001"), [odd.row()])
    assert (row["category"], row["fields"], row["details"]) == ("MATCH", "", "so_cccd:inconsistent")
    assert row["proposed_so_cccd"] == ""


def test_id_contradicting_the_authoritys_gender_is_flagged(tmp_path: Path) -> None:
    odd = Citizen("001185000009", "Phạm Minh Tuấn", "19850101", "1")  # digit 4 says female
    row = one(tmp_path, odd.insured("0100000001", gioi_tinh="2"), [odd.row()])
    assert row["details"] == "so_cccd:inconsistent|gioi_tinh:different"


def test_several_differences_are_listed_in_field_order(tmp_path: Path) -> None:
    row = one(
        tmp_path, AN.insured("0100000001", so_cccd=AN.so_cmnd, ho_ten="NGUYEN VAN AN", ma_xa="9")
    )
    assert row["fields"] == "so_cccd|ho_ten|dia_chi"
    assert row["details"] == "so_cccd:old_id|ho_ten:diacritics|dia_chi:different"


def test_two_cards_for_one_citizen_form_a_duplicate_group(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        [
            AN.insured("0300000003"),
            AN.insured("0200000002", so_cccd=AN.so_cmnd),
            HOA.insured("0100000001"),
        ],
    )
    groups = {rid: row["duplicate_group"] for rid, row in result.rows.items()}
    assert groups == {"0300000003": "0200000002", "0200000002": "0200000002", "0100000001": ""}
    assert (result.summary.duplicate_groups, result.summary.duplicate_records) == (1, 2)


def test_not_found_records_are_not_grouped(tmp_path: Path) -> None:
    config = ReconcileConfig(threads=1, workers=1, linkage=LinkageConfig(enabled=False))
    records = [AN.insured("0100000001"), AN.insured("0200000002", so_cccd="")]
    result = run(tmp_path, records, config=config)
    assert {row["duplicate_group"] for row in result.rows.values()} == {""}


def test_every_record_gets_exactly_one_row(tmp_path: Path) -> None:
    records = [c.insured(f"0{i}00000000") for i, c in enumerate(CITIZENS, start=1)]
    records.append(AN.insured("0900000000", so_cccd="bad"))
    result = run(tmp_path, records)
    assert sorted(result.rows) == sorted(r["record_id"] for r in records)
    assert result.summary.records == len(records)


def test_extra_insured_columns_are_passed_through(tmp_path: Path) -> None:
    header = [*AN.insured("x"), "ma_dkbd", "category"]
    record = {**AN.insured("0100000001"), "ma_dkbd": "01001", "category": "HT"}
    row = run(tmp_path, [record], insured_header=header).rows["0100000001"]
    assert (row["ma_dkbd"], row["insured_category"], row["category"]) == ("01001", "HT", "MATCH")
