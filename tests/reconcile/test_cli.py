"""`gateway reconcile`: the summary table at the end, the options."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.reconcile.model import INSURED_COLUMNS, POPULATION_COLUMNS
from tests.reconcile.helpers import AN, CITIZENS, HOA, write_csv
from tests.reconcile.test_bad_input import cli


def inputs(tmp_path: Path) -> tuple[str, str]:
    ins = write_csv(
        tmp_path / "insured.csv",
        INSURED_COLUMNS,
        [AN.insured("0100000001"), HOA.insured("0200000002", gioi_tinh="1")],
    )
    pop = write_csv(tmp_path / "population.csv", POPULATION_COLUMNS, [c.row() for c in CITIZENS])
    return str(ins), str(pop)


def test_summary_table_lists_categories_and_differences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ins, pop = inputs(tmp_path)
    assert (
        cli("--insured", ins, "--population", pop, "--out", str(tmp_path / "out"), "--no-progress")
        == 0
    )
    out = capsys.readouterr().out
    assert "MATCH" in out and "MISMATCH" in out and "gioi_tinh:different" in out
    assert f"wrote {tmp_path / 'out' / 'reconciliation.csv'}" in out


def test_format_parquet_writes_parquet(tmp_path: Path) -> None:
    ins, pop = inputs(tmp_path)
    assert (
        cli(
            "--insured",
            ins,
            "--population",
            pop,
            "--out",
            str(tmp_path / "out"),
            "--format",
            "parquet",
        )
        == 0
    )
    assert (tmp_path / "out" / "reconciliation.parquet").exists()
    assert not (tmp_path / "out" / "reconciliation.csv").exists()


def test_format_both(tmp_path: Path) -> None:
    ins, pop = inputs(tmp_path)
    assert (
        cli(
            "--insured",
            ins,
            "--population",
            pop,
            "--out",
            str(tmp_path / "out"),
            "--format",
            "both",
        )
        == 0
    )
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {
        "reconciliation.csv",
        "reconciliation.parquet",
    }


def test_bad_memory_limit_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ins, pop = inputs(tmp_path)
    code = cli(
        "--insured",
        ins,
        "--population",
        pop,
        "--out",
        str(tmp_path / "out"),
        "--memory-limit",
        "lots",
    )
    assert code == 3
    assert "Traceback" not in capsys.readouterr().err


def test_trust_threshold_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    ins, pop = inputs(tmp_path)
    assert (
        cli(
            "--insured",
            ins,
            "--population",
            pop,
            "--out",
            str(tmp_path / "o"),
            "--min-name-similarity",
            "2",
        )
        == 2
    )


@pytest.mark.parametrize(
    "option",
    [
        ("--link-upper", "1.5"),
        ("--link-lower", "0"),
        ("--link-upper", "0.4"),  # below the default lower threshold (0.5)
        ("--link-margin", "-1"),
    ],
)
def test_linkage_thresholds_out_of_range_are_a_usage_error(
    tmp_path: Path, option: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    ins, pop = inputs(tmp_path)
    out = tmp_path / "o"
    assert cli("--insured", ins, "--population", pop, "--out", str(out), *option) == 2
    err = capsys.readouterr().err
    assert "linkage" in err or "margin_bits" in err
    assert "Traceback" not in err and not out.exists()
