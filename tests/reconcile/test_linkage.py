"""The demographic linkage on hand-made records (helpers.py) among a synthetic background of
citizens and of records without a usable ID (synth_linkage.py, the generator the benchmark
uses), so that the model is estimated from a realistic batch: PROBABLE_MATCH, REVIEW,
NOT_FOUND, ``so_cccd:typo``, ``so_cccd:wrong_person``, duplicates across demographically
linked records, the explanations file."""

from __future__ import annotations

import csv
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from gateway.reconcile import ReconcileConfig, reconcile
from gateway.reconcile.linkage import EXPLANATIONS_FILE, LinkageConfig
from gateway.reconcile.model import INSURED_COLUMNS, POPULATION_COLUMNS
from gateway.reconcile.progress import Progress
from gateway.reconcile.synth_linkage import LinkageSpec, write
from tests.reconcile.helpers import Citizen, read_csv, write_csv

# Hand-made citizens, with names and places the background is unlikely to share.
TRIET = Citizen(
    "001087000101", "Khổng Minh Triết", "19870412", "1", ma_tinh="01", ma_huyen="005", ma_xa="00163"
)
LOAN = Citizen(
    "079192000102", "Âu Thị Kim Loan", "19920923", "2", ma_tinh="79", ma_huyen="770", ma_xa="27139"
)
DAT = Citizen(
    "038063000103", "Lò Văn Đạt", "19630215", "1", ma_tinh="38", ma_huyen="396", ma_xa="15781"
)
# Twins for REVIEW: same name, gender, birth year and commune; other birth dates.
TWIN_A = Citizen(
    "036178000104",
    "Ninh Thị Quỳnh Hoa",
    "19780305",
    "2",
    ma_tinh="36",
    ma_huyen="356",
    ma_xa="13720",
)
TWIN_B = Citizen(
    "036178000105",
    "Ninh Thị Quỳnh Hoa",
    "19781120",
    "2",
    ma_tinh="36",
    ma_huyen="356",
    ma_xa="13720",
)
HAND_MADE = (TRIET, LOAN, DAT, TWIN_A, TWIN_B)

RECORDS = {
    "H01": TRIET.insured("H01", so_cccd=""),  # exact demographics, no ID
    "H02": LOAN.insured("H02", so_cccd="079192000112"),  # one digit off: typo
    "H03": LOAN.insured("H03", so_cccd="079192001002"),  # adjacent digits swapped: typo
    "H04": DAT.insured("H04", so_cccd=LOAN.so_dinh_danh),  # another person's ID
    "H05": TWIN_A.insured("H05", so_cccd="", ngay_sinh="1978"),  # cannot tell the twins apart
    "H06": Citizen(
        "", "Hà Thanh Vy", "20010717", "2", ma_tinh="96", ma_huyen="964", ma_xa="32201"
    ).insured("H06", so_cccd=""),  # nobody in the population
    "H07": TRIET.insured("H07"),  # the same citizen by ID: a duplicate of H01
    "H08": TRIET.insured("H08", so_cccd="abc", ho_ten="KHONG MINH TRIET"),  # no marks
}


@dataclass(frozen=True)
class Outcome:
    rows: dict[str, dict[str, str]]
    out: Path
    summary_json: dict[str, object]


def _append_csv(path: Path, header: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(header), extrasaction="ignore", lineterminator="\n"
        )
        writer.writerows(rows)


def _as_csv(parquet: Path, target: Path) -> Path:
    duckdb.sql(f"COPY (SELECT * FROM '{parquet}') TO '{target}' (FORMAT csv, HEADER true)")
    return target


def _run(tmp: Path, config: ReconcileConfig) -> Outcome:
    background = write(
        LinkageSpec(citizens=3000, records=300, seed=41, name_pool=600), tmp / "bg", threads=1
    )
    insured = _as_csv(background.insured, tmp / "insured.csv")
    population = _as_csv(background.population, tmp / "population.csv")
    _append_csv(insured, INSURED_COLUMNS, list(RECORDS.values()))
    _append_csv(population, POPULATION_COLUMNS, [c.row() for c in HAND_MADE])
    out = tmp / "out"
    summary, _ = reconcile(insured, population, out, config, Progress(enabled=False))
    rows = {row["record_id"]: row for row in read_csv(out / "reconciliation.csv")}
    return Outcome(rows, out, summary.to_json())


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    tmp = tmp_path_factory.mktemp("linkage")
    return _run(tmp, ReconcileConfig(threads=1, workers=1, memory_limit="512MB", temp_dir=tmp))


def test_record_without_id_is_linked_on_demographics(outcome: Outcome) -> None:
    row = outcome.rows["H01"]
    assert (row["category"], row["so_dinh_danh"]) == ("PROBABLE_MATCH", TRIET.so_dinh_danh)
    assert (row["fields"], row["details"], row["proposed_so_cccd"]) == (
        "so_cccd",
        "so_cccd:missing",
        TRIET.so_dinh_danh,
    )
    assert float(row["score"]) >= LinkageConfig().upper


def test_linked_record_reports_its_other_differences(outcome: Outcome) -> None:
    row = outcome.rows["H08"]
    assert (row["category"], row["so_dinh_danh"]) == ("PROBABLE_MATCH", TRIET.so_dinh_danh)
    assert (row["fields"], row["details"]) == (
        "so_cccd|ho_ten",
        "so_cccd:malformed|ho_ten:diacritics",
    )
    assert row["proposed_ho_ten"] == TRIET.ho_ten


@pytest.mark.parametrize("record_id", ["H02", "H03"], ids=["one_digit", "adjacent_swap"])
def test_unknown_id_one_slip_from_the_linked_citizens_is_a_typo(
    outcome: Outcome, record_id: str
) -> None:
    row = outcome.rows[record_id]
    assert (row["category"], row["so_dinh_danh"], row["details"]) == (
        "PROBABLE_MATCH",
        LOAN.so_dinh_danh,
        "so_cccd:typo",
    )


def test_id_of_a_clearly_different_person_is_linked_on_demographics_as_wrong_person(
    outcome: Outcome,
) -> None:
    row = outcome.rows["H04"]
    assert (row["category"], row["so_dinh_danh"]) == ("PROBABLE_MATCH", DAT.so_dinh_danh)
    assert (row["fields"], row["details"], row["proposed_so_cccd"]) == (
        "so_cccd",
        "so_cccd:wrong_person",
        DAT.so_dinh_danh,
    )


def test_two_citizens_with_one_name_and_birth_year_in_one_commune_need_review(
    outcome: Outcome,
) -> None:
    row = outcome.rows["H05"]
    assert (row["category"], row["so_dinh_danh"], row["fields"]) == ("REVIEW", "", "so_cccd")
    kinds = row["details"].split("|")
    assert kinds[0] == "so_cccd:missing"
    listed = kinds[1].removeprefix("candidates:").split(";")
    assert sorted(c.split("=")[0] for c in listed) == sorted(
        [TWIN_A.so_dinh_danh, TWIN_B.so_dinh_danh]
    )
    assert float(row["score"]) >= LinkageConfig().lower


def test_person_the_population_does_not_hold_is_not_found(outcome: Outcome) -> None:
    row = outcome.rows["H06"]
    assert (row["category"], row["so_dinh_danh"], row["details"], row["score"]) == (
        "NOT_FOUND",
        "",
        "so_cccd:missing",
        "",
    )


def test_demographically_linked_records_join_the_duplicate_group(outcome: Outcome) -> None:
    groups = {rid: outcome.rows[rid]["duplicate_group"] for rid in ("H01", "H07", "H08")}
    assert outcome.rows["H07"]["category"] == "MATCH"
    assert groups == dict.fromkeys(groups, "H01")


def test_every_decision_is_explained(outcome: Outcome) -> None:
    path = outcome.out / EXPLANATIONS_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    rows = duckdb.sql(
        f"SELECT * FROM '{path}' WHERE record_id IN ('H01', 'H05') ORDER BY record_id, rank"
    ).fetchall()
    columns = [d[0] for d in duckdb.sql(f"SELECT * FROM '{path}' LIMIT 0").description]
    explained = [dict(zip(columns, row, strict=True)) for row in rows]
    best = explained[0]
    assert (best["record_id"], best["rank"], best["so_dinh_danh"], best["decision"]) == (
        "H01",
        1,
        TRIET.so_dinh_danh,
        "PROBABLE_MATCH",
    )
    assert (
        best["ho_ten_level"],
        best["ngay_sinh_level"],
        best["gioi_tinh_level"],
        best["dia_chi_level"],
    ) == (
        "same",
        "same",
        "same",
        "commune",
    )
    parts = [
        "prior_weight",
        "ho_ten_weight",
        "ho_ten_frequency_weight",
        "ngay_sinh_weight",
        "gioi_tinh_weight",
        "dia_chi_weight",
    ]
    assert float(best["match_weight"]) == pytest.approx(
        sum(float(best[p]) for p in parts), abs=0.01
    )
    review = [e for e in explained if e["record_id"] == "H05"]
    assert {e["decision"] for e in review} == {"REVIEW"} and len(review) >= 2


def test_summary_counts_linkage_without_personal_values(outcome: Outcome) -> None:
    summary = outcome.summary_json
    categories = summary["categories"]
    assert isinstance(categories, dict)
    assert categories["PROBABLE_MATCH"] >= 6 and categories["REVIEW"] >= 1
    details = summary["details"]
    assert isinstance(details, dict)
    assert not [k for k in details if k.startswith("candidates")]
    assert TWIN_A.so_dinh_danh not in str(summary)


def test_linkage_can_be_turned_off(tmp_path: Path) -> None:
    population = write_csv(
        tmp_path / "population.csv", POPULATION_COLUMNS, [c.row() for c in HAND_MADE]
    )
    insured = write_csv(tmp_path / "insured.csv", INSURED_COLUMNS, [RECORDS["H01"]])
    config = ReconcileConfig(
        threads=1, workers=1, temp_dir=tmp_path, linkage=LinkageConfig(enabled=False)
    )
    reconcile(insured, population, tmp_path / "out", config, Progress(enabled=False))
    row = read_csv(tmp_path / "out" / "reconciliation.csv")[0]
    assert (row["category"], row["details"]) == ("NOT_FOUND", "so_cccd:missing")
    assert not (tmp_path / "out" / EXPLANATIONS_FILE).exists()


@pytest.mark.parametrize(
    "given",
    [
        "001087000111",
        "001087001001",
        "001087000110",
        "101087000101",
        "001087000101",
        "00108700010",
        "0010870001x1",
    ],
)
def test_typo_in_sql_agrees_with_the_identity_toolkit(given: str) -> None:
    from gateway.identity import typo_distance
    from gateway.reconcile.linkage.details import id_detail_sql

    citizen = "001087000101"
    found = duckdb.sql(
        f"SELECT {id_detail_sql()} FROM (SELECT '{given}' AS _i_so_cccd, '{citizen}' AS _citizen, "
        "NULL::VARCHAR AS _excluded, 'unknown' AS _status)"
    ).fetchall()[0][0]
    expected = given.isdigit() and typo_distance(given, citizen) is not None
    assert (found == "so_cccd:typo") == expected
