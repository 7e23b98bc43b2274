"""The linkage model's parts that the hand-made fixtures do not reach: m counted on anchor
pairs (records whose ID is one keying slip from a candidate's), the anchor test in SQL
against a reference, the name levels by edit distance, and a batch large enough for the
anchors to be used."""

from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb
import pytest

from gateway.reconcile import ReconcileConfig, reconcile
from gateway.reconcile.comparisons import Pair
from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.linkage.em import MIN_ANCHORS, from_anchors, id_m, u_from_counts
from gateway.reconcile.linkage.levels import (
    COMPARISONS,
    ID,
    ID_FIELD,
    NAME,
    PAIR_COLUMNS,
    labels,
    one_slip_sql,
)
from gateway.reconcile.progress import Progress
from gateway.reconcile.synth_linkage import LinkageSpec, write

FIELDS = [c.field for c in COMPARISONS]


def _u() -> dict[str, dict[str, float]]:
    # Every label seen once among random pairs but the field's last (``different``, ``other``),
    # seen 1000 times.
    counts = {
        c.field: {label: (1000 if label == c.otherwise else 1) for label in labels(c)}
        for c in COMPARISONS
    }
    return u_from_counts(COMPARISONS, counts)


def test_too_few_anchors_leave_m_to_em() -> None:
    pattern = ("same", "same", "same", "commune", "one_slip")
    assert from_anchors(COMPARISONS, [(pattern, MIN_ANCHORS - 1)], _u(), 1e-6) is None


def test_m_is_counted_on_the_anchor_pairs() -> None:
    patterns = [
        (("same", "same", "same", "commune", "one_slip"), 800),
        (("one_edit", "year_only", "null", "district", "one_slip"), 150),
        (("same", "same_year", "same", "commune", "one_slip"), 50),
    ]
    fixed = {ID_FIELD: id_m(ID, 1000, 2500)}
    model = from_anchors(COMPARISONS, patterns, _u(), 1e-6, fixed)
    assert model is not None and model.anchors == 1000 and model.iterations == 0
    m = model.m["ngay_sinh"]
    assert m["same"] == pytest.approx(0.8, abs=0.03)
    assert m["year_only"] == pytest.approx(0.15, abs=0.01)
    # ``null`` is left out: gender's m is counted over the 850 pairs that know it.
    assert model.m["gioi_tinh"]["same"] > 0.95
    # A level never seen between anchors weighs strongly against the link.
    assert model.weight("ngay_sinh", "different") < -6
    assert sum(m.values()) == pytest.approx(1.0)
    # The ID's m is not counted on the anchors (all one slip by choice) but per record.
    assert model.m["so_cccd"]["one_slip"] == pytest.approx(0.4, abs=0.02)
    assert model.weight("so_cccd", "one_slip") > 8 > 0 > model.weight("so_cccd", "other") > -1


def _slips(citizen: str, rng: random.Random) -> list[tuple[str, bool]]:
    # Variants of an ID: one keying slip (True) or more (False).
    digits = list(citizen)
    out = []
    for _ in range(20):
        i = rng.randrange(12)
        changed = digits.copy()
        changed[i] = str((int(changed[i]) + rng.randrange(1, 10)) % 10)
        out.append(("".join(changed), True))  # one digit wrong
        j = rng.randrange(11)
        swapped = digits.copy()
        swapped[j], swapped[j + 1] = swapped[j + 1], swapped[j]
        out.append(("".join(swapped), swapped != digits))  # adjacent digits swapped
        out.append((citizen[:i] + citizen[i + 1 :], True))  # one digit less
        out.append((citizen[:i] + str(rng.randrange(10)) + citizen[i:], True))  # one more
        k = (i + 3) % 12
        twice = changed.copy()
        twice[k] = str((int(twice[k]) + 5) % 10)
        out.append(("".join(twice), False))  # two digits wrong, apart
        out.append(("".join(rng.choice("0123456789") for _ in range(12)), False))
    return out


def _reference(given: str, citizen: str) -> bool:
    # Optimal string alignment distance (what DuckDB's damerau_levenshtein computes) == 1.
    a, b = given, citizen
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)] == 1


def test_one_slip_in_sql_agrees_with_the_edit_distance() -> None:
    rng = random.Random(7)
    citizens = ("001087000101", "079192000102", "938063990103")
    cases = {(given, citizen): slip for citizen in citizens for given, slip in _slips(citizen, rng)}
    assert all(_reference(*pair) == slip for pair, slip in cases.items())
    rows = list(cases)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (given VARCHAR, citizen VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    found = con.execute(
        f"SELECT given, citizen, {one_slip_sql('given', 'citizen')} FROM t"
    ).fetchall()
    assert len(found) == len(rows) > 250
    for given, citizen, slip in found:
        assert slip == _reference(given, citizen), (given, citizen)


@pytest.mark.parametrize(
    ("record", "citizen", "level"),
    [
        ("NGUYEN VAN HUNG", "NGUYEN VAN HUNG", "same"),
        ("NGUYEN VAN HUNH", "NGUYEN VAN HUNG", "one_edit"),  # a letter wrong
        ("NGUYEN VAN HUGN", "NGUYEN VAN HUNG", "one_edit"),  # two letters swapped
        ("NGUYEN VAN HUONG", "NGUYEN VAN HUNG", "one_edit"),  # a letter more
        ("NGUYEN VN HUNH", "NGUYEN VAN HUNG", "two_edits"),
        ("NGUYEN VAN HOANH", "NGUYEN VAN HUNG", "jw_0.92"),  # three edits: the common start
        ("NGUYEN VAN HUNG", "NGUYEN VAN TAM", "one_name_same"),
        ("TRAN THI LAN", "NGUYEN VAN HUNG", "different"),
    ],
)
def test_name_levels_by_edit_distance(record: str, citizen: str, level: str) -> None:
    sql = NAME.sql(DIALECT, Pair("i_", "p_"))
    words = {"i": record.split(), "p": citizen.split()}
    values = {
        f"{side}_{key}": value
        for side, w in words.items()
        for key, value in {
            "name_f": " ".join(w), "name_c": " ".join(w), "tokens": " ".join(sorted(w)),
            "family": w[0], "given": w[-1],
        }.items()
    }  # fmt: skip
    columns = ", ".join(f"'{v}' AS {k}" for k, v in values.items())
    computed = ", ".join(f"{expression} AS {name}" for name, expression in PAIR_COLUMNS.items())
    found = duckdb.sql(f"SELECT {sql} FROM (SELECT *, {computed} FROM (SELECT {columns}))").fetchall()
    assert found[0][0] == level


def test_a_batch_with_enough_anchors_counts_m_on_them(tmp_path: Path) -> None:
    files = write(LinkageSpec(citizens=20_000, records=2_500, seed=43, name_pool=2_000), tmp_path, threads=1)
    out = tmp_path / "out"
    config = ReconcileConfig(threads=2, workers=1, memory_limit="1GB", temp_dir=tmp_path)
    reconcile(files.insured, files.population, out, config, Progress(enabled=False))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["toolkit"]["linkage_anchor_pairs"] >= MIN_ANCHORS
    right, wrong, resolvable = duckdb.sql(
        f"""SELECT count(*) FILTER (r.category = 'PROBABLE_MATCH' AND r.so_dinh_danh = t.citizen_id AND t.resolvable),
          count(*) FILTER (r.category = 'PROBABLE_MATCH' AND r.so_dinh_danh IS DISTINCT FROM t.citizen_id),
          count(*) FILTER (t.resolvable)
        FROM '{files.truth}' t JOIN read_csv('{out / "reconciliation.csv"}', all_varchar = true) r USING (record_id)"""
    ).fetchall()[0]
    assert right / resolvable >= 0.9
    assert wrong <= 5


def test_linkage_does_not_rely_on_row_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DuckDB may number a table's rows again (a checkpoint compacting deleted rows: seen at
    # 10M after the toolkit pass rewrote its records): the linkage must find its records by a
    # stored key. Shuffling rc_results between the linkage's first and last steps must not
    # change a single output row.
    from gateway.reconcile.linkage import stage

    files = write(LinkageSpec(citizens=3_000, records=400, seed=44, name_pool=600), tmp_path, threads=1)
    config = ReconcileConfig(threads=1, workers=1, memory_limit="512MB", temp_dir=tmp_path)
    reconcile(files.insured, files.population, tmp_path / "plain", config, Progress(enabled=False))
    original = stage.block

    def shuffled_then_block(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        con.execute("CREATE OR REPLACE TEMP TABLE rc_results AS SELECT * FROM rc_results ORDER BY hash(record_id)")
        return original(con)

    monkeypatch.setattr(stage, "block", shuffled_then_block)
    reconcile(files.insured, files.population, tmp_path / "shuffled", config, Progress(enabled=False))
    rows = {
        name: sorted(
            duckdb.sql(f"SELECT * FROM read_csv('{tmp_path / name / 'reconciliation.csv'}', all_varchar = true)").fetchall()
        )
        for name in ("plain", "shuffled")
    }
    assert rows["plain"] == rows["shuffled"]
    linked = [r for r in rows["plain"] if r[1] == "PROBABLE_MATCH"]
    assert len(linked) > 300
