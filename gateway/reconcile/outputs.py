"""Write the run's files: ``reconciliation.csv`` and/or ``.parquet`` (one row per insured
record), ``summary.json`` and ``summary.html``.

Files hold personal data, so they are written into a private staging directory (0700) inside
the output directory, made 0600, and only then moved into place: nobody else can read them
at any moment, and a run that fails leaves no half-written result behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from gateway.reconcile.db import quoted
from gateway.reconcile.dialect import DIALECT
from gateway.reconcile.duplicates import GROUPS
from gateway.reconcile.errors import ReconcileOutputError
from gateway.reconcile.model import OUTPUT_COLUMNS
from gateway.reconcile.report import render_html
from gateway.reconcile.summary import Summary

RESULTS = "rc_results"
FORMATS = ("csv", "parquet")


def prepare(out_dir: Path) -> Path:
    """Create ``out_dir`` if needed and a private staging directory inside it; return the
    staging directory. Raises ReconcileOutputError (``reconcile.output.unwritable``)."""
    try:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not out_dir.is_dir():
            raise NotADirectoryError(f"{out_dir} is not a directory")
        staging = Path(tempfile.mkdtemp(prefix=".reconcile-", dir=out_dir))  # mode 0700
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ReconcileOutputError(
            "reconcile.output.unwritable",
            f"cannot write the output directory: {reason}",
            path=out_dir,
        ) from exc
    return staging


def discard(staging: Path) -> None:
    """Remove a staging directory and what is in it (after a failure). Raises nothing."""
    shutil.rmtree(staging, ignore_errors=True)


def output_select(
    extras: Sequence[tuple[str, str]], *, grouped: bool = True, scored: bool = True
) -> str:
    """The SELECT giving the output's columns from ``rc_results``; ``extras`` are (internal
    column, output name) of the passed-through insured columns. ``grouped``: the duplicate
    pass's groups table exists (`duplicates.GROUPS`) and fills ``duplicate_group``;
    ``scored``: ``rc_results`` has a ``score`` column (the linkage adds it). Raises nothing."""
    # "No value" is NULL in both formats (an empty, unquoted CSV field), fields and details too.
    computed = {
        "fields": "nullif(r.fields, '')",
        "details": "nullif(r.details, '')",
        "duplicate_group": "g.first_record" if grouped else "NULL::VARCHAR",
        "score": "r.score" if scored else "NULL::DOUBLE",
    }
    columns = [
        f"{computed[c]} AS {quoted(c)}" if c in computed else f"r.{quoted(c)}"
        for c in OUTPUT_COLUMNS
    ]
    columns += [f"r.{quoted(internal)} AS {quoted(name)}" for internal, name in extras]
    joined = f" LEFT JOIN {GROUPS} g ON g.so_dinh_danh = r.so_dinh_danh" if grouped else ""
    return f"SELECT {', '.join(columns)} FROM {RESULTS} r{joined}"


def _present(con: duckdb.DuckDBPyConnection) -> tuple[bool, bool]:
    """(the groups table exists, rc_results has a score column)."""
    found = con.execute(
        "SELECT count(*) FILTER (WHERE table_name = $1), "
        "count(*) FILTER (WHERE table_name = $2 AND column_name = 'score') FROM duckdb_columns()",
        [GROUPS, RESULTS],
    ).fetchall()[0]
    return bool(found[0]), bool(found[1])


def write_results(
    con: duckdb.DuckDBPyConnection,
    staging: Path,
    formats: Sequence[str],
    extras: Sequence[tuple[str, str]],
) -> list[Path]:
    """Write ``reconciliation.<format>`` for each format into ``staging``. Raises
    ValueError for an unknown format, duckdb.Error when writing fails."""
    written = []
    grouped, scored = _present(con)
    select = output_select(extras, grouped=grouped, scored=scored)
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}")
        path = staging / f"reconciliation.{fmt}"
        options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
        con.execute(f"COPY ({select}) TO {DIALECT.literal(str(path))} ({options})")
        written.append(path)
    return written


def write_summary(summary: Summary, staging: Path) -> list[Path]:
    """Write ``summary.json`` and ``summary.html`` into ``staging``. Raises OSError."""
    json_path, html_path = staging / "summary.json", staging / "summary.html"
    json_path.write_text(
        json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    html_path.write_text(render_html(summary), encoding="utf-8")
    return [json_path, html_path]


def publish(staging: Path, out_dir: Path, files: Sequence[Path]) -> list[Path]:
    """Make each file 0600 and move it from ``staging`` into ``out_dir`` (replacing an older
    run's file), then remove ``staging``. Raises ReconcileOutputError."""
    published = []
    try:
        for path in files:
            os.chmod(path, 0o600)
            target = out_dir / path.name
            os.replace(path, target)
            published.append(target)
    except OSError as exc:
        raise ReconcileOutputError(
            "reconcile.output.unwritable",
            f"cannot move results into place: {exc.strerror}",
            path=out_dir,
        ) from exc
    finally:
        discard(staging)
    return published
