"""The synthetic generator and the reconciliation agree: on a small population, every kind of
discrepancy is found where the generator put it (the benchmark does the same at 1M and 10M
on a seed the tests never use)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gateway.reconcile import ReconcileConfig, reconcile
from gateway.reconcile.progress import Progress
from gateway.reconcile.score import score
from gateway.reconcile.synth import KIND_DETAILS, SynthSpec, every_kind, write

SPEC = SynthSpec(citizens=6000, seed=3, name_pool=600, rates=every_kind(0.04))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("synth")
    write(SPEC, directory, "csv", threads=1)
    return directory


def test_generator_makes_every_kind(synthetic: Path) -> None:
    kinds = {
        row[0]
        for row in duckdb.sql(
            f"SELECT DISTINCT kind FROM '{synthetic / 'truth.parquet'}'"
        ).fetchall()
    }
    assert kinds >= set(KIND_DETAILS) | {"none"}


def test_generator_is_deterministic(tmp_path: Path) -> None:
    small = SynthSpec(citizens=300, seed=5, name_pool=100)
    a, b = write(small, tmp_path / "a", threads=1), write(small, tmp_path / "b", threads=1)
    for name in ("insured", "population", "truth"):
        left = duckdb.sql(f"SELECT * FROM '{getattr(a, name)}' ORDER BY ALL").fetchall()
        right = duckdb.sql(f"SELECT * FROM '{getattr(b, name)}' ORDER BY ALL").fetchall()
        assert left == right


def test_reconciliation_finds_what_the_generator_did(synthetic: Path, tmp_path: Path) -> None:
    reconcile(
        synthetic / "insured.csv",
        synthetic / "population.csv",
        tmp_path,
        ReconcileConfig(threads=1, workers=1),
        Progress(enabled=False),
    )
    accuracy = score(tmp_path / "reconciliation.csv", synthetic / "truth.parquet")
    assert accuracy.records == SPEC.insured_count
    assert accuracy.field_precision >= 0.995 and accuracy.field_recall >= 0.995
    assert accuracy.category_accuracy >= 0.995
    assert accuracy.details_accuracy >= 0.99
    assert accuracy.duplicate_group_accuracy >= 0.995
