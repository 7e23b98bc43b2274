"""The output files: private, complete, and the summaries free of personal data."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import duckdb

from gateway.reconcile import ReconcileConfig
from gateway.reconcile.model import OUTPUT_COLUMNS
from tests.reconcile.helpers import AN, CITIZENS, DUC, HOA, run


def records() -> list[dict[str, str]]:
    return [
        AN.insured("0100000001"),
        HOA.insured("0200000002", ho_ten="TRAN THI HOA"),
        DUC.insured("0300000003", so_cccd=""),
        AN.insured("0400000004", so_cccd=AN.so_cmnd),
    ]


def test_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    result = run(tmp_path, records())
    assert sorted(p.name for p in result.files) == [
        "explanations.parquet",
        "reconciliation.csv",
        "summary.html",
        "summary.json",
    ]
    for path in result.files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_no_staging_or_temporary_directory_is_left_behind(tmp_path: Path) -> None:
    run(tmp_path, records())
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "explanations.parquet",
        "reconciliation.csv",
        "summary.html",
        "summary.json",
    ]
    assert not list(tmp_path.glob("gateway-reconcile-*"))


def test_output_columns_in_order(tmp_path: Path) -> None:
    run(tmp_path, records())
    first = (tmp_path / "out" / "reconciliation.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.split(",") == list(OUTPUT_COLUMNS)


def test_summaries_hold_counts_and_no_personal_data(tmp_path: Path) -> None:
    result = run(tmp_path, records())
    text = (tmp_path / "out" / "summary.json").read_text(encoding="utf-8")
    page = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    for citizen in CITIZENS:
        for value in (citizen.so_dinh_danh, citizen.ho_ten, citizen.so_cmnd, citizen.ngay_sinh):
            assert not value or (value not in text and value not in page)
    for record in records():
        assert record["record_id"] not in text and record["record_id"] not in page
    summary = json.loads(text)
    assert summary["records"] == 4
    assert summary["categories"] == {
        "MATCH": 1,
        "MISMATCH": 2,
        "PROBABLE_MATCH": 1,  # DUC's record without ID, linked on demographics
        "REVIEW": 0,
        "NOT_FOUND": 0,
    }
    assert (
        summary["details"]["ho_ten:diacritics"] == 1 and summary["details"]["so_cccd:old_id"] == 1
    )
    assert summary["fields"]["so_cccd"] == 2
    assert summary["duplicates"] == {"groups": 1, "records": 2}
    assert {i["role"]: i["rows"] for i in summary["inputs"]} == {"insured": 4, "population": 4}
    assert "link_by_id" in summary["timings_seconds"]
    assert result.summary.records == 4
    assert "<svg" in page and "MISMATCH" in page


def test_parquet_output_has_the_same_rows(tmp_path: Path) -> None:
    run(
        tmp_path,
        records(),
        config=ReconcileConfig(threads=1, workers=1, formats=("csv", "parquet")),
    )
    out = tmp_path / "out"
    csv_rows = duckdb.sql(
        f"SELECT * FROM read_csv('{out / 'reconciliation.csv'}', all_varchar = true) ORDER BY 1"
    ).fetchall()
    parquet_rows = duckdb.sql(
        f"SELECT * FROM '{out / 'reconciliation.parquet'}' ORDER BY 1"
    ).fetchall()
    assert [tuple(None if v == "" else v for v in r) for r in csv_rows] == [
        tuple(None if v is None else str(v) for v in r) for r in parquet_rows
    ]
    assert stat.S_IMODE((out / "reconciliation.parquet").stat().st_mode) == 0o600


def test_parquet_inputs(tmp_path: Path) -> None:
    run(tmp_path, records())  # writes the CSV inputs
    for name in ("insured", "population"):
        duckdb.sql(
            f"COPY (FROM read_csv('{tmp_path / name}.csv', all_varchar = true)) TO '{tmp_path / name}.parquet'"
        )
    from gateway.reconcile import reconcile
    from gateway.reconcile.progress import Progress

    summary, _ = reconcile(
        tmp_path / "insured.parquet",
        tmp_path / "population.parquet",
        tmp_path / "out2",
        ReconcileConfig(threads=1, workers=1),
        Progress(enabled=False),
    )
    assert summary.categories["MISMATCH"] == 2 and summary.records == 4
