"""The DuckDB connection the reconciliation runs on, and small helpers around it.

DuckDB runs in memory with an explicit memory limit, spilling to a private temporary
directory (0700, made for the run and removed afterwards): spilled pages hold personal data.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb


@contextmanager
def connect(
    memory_limit: str, threads: int, temp_parent: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection limited to ``memory_limit`` and ``threads``, spilling into a
    new private directory under ``temp_parent`` (the system's temporary directory when None).
    Raises duckdb.Error (a bad memory limit, say) or OSError."""
    temp = Path(tempfile.mkdtemp(prefix="gateway-reconcile-", dir=temp_parent))  # mode 0700
    try:
        con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "threads": threads,
                "temp_directory": str(temp),
                "preserve_insertion_order": False,
            }
        )
        try:
            # Progress is tracked (for query_progress) but never printed by DuckDB itself.
            con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
            yield con
        finally:
            con.close()
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def first_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    """The first row of a query's result (the whole result is consumed), or None.
    Raises duckdb.Error."""
    rows = con.execute(sql).fetchall()
    return tuple(rows[0]) if rows else None


def quoted(name: str) -> str:
    """A SQL identifier, quoted. Raises nothing."""
    return '"' + name.replace('"', '""') + '"'
