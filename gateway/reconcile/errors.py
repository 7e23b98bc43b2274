"""Exceptions of the batch reconciliation: one root, every rejection with a stable code.

The caller's mistakes (a bad input file, an output directory that cannot be written) are
`ReconcileInputError` / `ReconcileOutputError`: the CLI prints them and exits 1. Anything
else that escapes the package is our fault.
"""

from __future__ import annotations

from pathlib import Path

from gateway.errors import CodedError


class ReconcileError(CodedError):
    """Root of the package's exceptions. ``code`` is stable and machine-readable
    (``reconcile.input.missing_column`` ...); ``message`` is for people and never quotes a
    personal value (a name, an ID) from the data."""


class ReconcileInputError(ReconcileError):
    """An input file that cannot be reconciled: unreadable, empty, not UTF-8, wrong delimiter,
    a missing column, a row of the wrong shape, a duplicate key.

    ``file`` is the path as given; ``line`` the 1-based line of a CSV file (the header is
    line 1) or the 1-based row of a Parquet file, None when the problem is the whole file;
    ``column`` the column's name when one column is at fault.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        file: Path | str,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(code, message)
        self.file = str(file)
        self.line = line
        self.column = column

    @property
    def location(self) -> str:
        """ "insured.csv, line 12, column ho_ten" (the parts that are known). Raises nothing."""
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location}: {self.code}: {self.message}"


class ReconcileOutputError(ReconcileError):
    """The output directory cannot be created or written (``reconcile.output.*``)."""

    def __init__(self, code: str, message: str, *, path: Path | str) -> None:
        super().__init__(code, message)
        self.path = str(path)

    def __str__(self) -> str:
        return f"{self.path}: {self.code}: {self.message}"
