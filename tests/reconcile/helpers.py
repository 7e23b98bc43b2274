"""Hand-made fixtures for the reconciliation tests: a few citizens, insured records derived
from them, files written as the operator would receive them, and a runner that returns the
output rows by record_id."""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

from gateway.reconcile import ReconcileConfig, Summary, reconcile
from gateway.reconcile.model import INSURED_COLUMNS, POPULATION_COLUMNS
from gateway.reconcile.progress import Progress


@dataclass(frozen=True)
class Citizen:
    """A population-database record (IDs consistent with birth year and gender)."""

    so_dinh_danh: str
    ho_ten: str
    ngay_sinh: str
    gioi_tinh: str
    so_cmnd: str = ""
    ma_tinh: str = "01"
    ma_huyen: str = "001"
    ma_xa: str = "00004"

    def row(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in POPULATION_COLUMNS}

    def insured(self, record_id: str, **changes: str) -> dict[str, str]:
        """The insured record of this citizen, as the card holds it, with ``changes``."""
        row = {
            "record_id": record_id,
            "so_cccd": self.so_dinh_danh,
            "ma_the": f"GD401{record_id:0>10}"[:15],
            "ho_ten": self.ho_ten,
            "ngay_sinh": self.ngay_sinh,
            "gioi_tinh": self.gioi_tinh,
            "ma_tinh": self.ma_tinh,
            "ma_huyen": self.ma_huyen,
            "ma_xa": self.ma_xa,
        }
        row.update(changes)
        return row


AN = Citizen("001085000001", "Nguyễn Văn An", "19850304", "1", so_cmnd="012345678")
HOA = Citizen(
    "079190000002", "Trần Thị Hòa", "19900705", "2", ma_tinh="79", ma_huyen="760", ma_xa="26734"
)
DUC = Citizen(
    "038052000003", "Lê Đức Thịnh", "1952", "1", ma_tinh="38", ma_huyen="380", ma_xa="14800"
)
HUONG = Citizen(
    "031305000004", "Hoàng Thị Hương", "20050201", "2", ma_tinh="31", ma_huyen="303", ma_xa="11311"
)
CITIZENS = (AN, HOA, DUC, HUONG)


def write_csv(path: Path, header: tuple[str, ...] | list[str], rows: list[dict[str, str]]) -> Path:
    """Write a UTF-8 CSV with a header row."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Run:
    """One reconciliation's outcome: output rows by record_id, the summary, the files."""

    rows: dict[str, dict[str, str]]
    summary: Summary
    files: list[Path]


def run(
    tmp_path: Path,
    insured: list[dict[str, str]],
    population: list[dict[str, str]] | None = None,
    *,
    insured_header: tuple[str, ...] | list[str] = INSURED_COLUMNS,
    config: ReconcileConfig | None = None,
) -> Run:
    """Write the inputs as CSV, reconcile them (one thread, no worker processes) and read
    the output back."""
    ins = write_csv(tmp_path / "insured.csv", insured_header, insured)
    pop = write_csv(
        tmp_path / "population.csv",
        POPULATION_COLUMNS,
        population if population is not None else [c.row() for c in CITIZENS],
    )
    config = config or ReconcileConfig(threads=1, workers=1, memory_limit="512MB")
    config = replace(config, temp_dir=config.temp_dir or tmp_path)
    summary, files = reconcile(ins, pop, tmp_path / "out", config, Progress(enabled=False))
    rows = {row["record_id"]: row for row in read_csv(tmp_path / "out" / "reconciliation.csv")}
    return Run(rows, summary, files)
