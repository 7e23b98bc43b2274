"""Load the toolkit's tables from the TSV files shipped in ``gateway/identity/data``.

Each file starts with ``#`` comment lines citing its source, then a header row, then rows.
Loaded once at import: the tables are small and fixed for the life of the process.
"""

from __future__ import annotations

from importlib import resources


def read_rows(name: str) -> list[list[str]]:
    """Return the data rows of ``data/<name>`` (comments and the header row dropped).

    Raises FileNotFoundError if the file was not shipped with the package, and ValueError
    if a row has fewer columns than the header (a damaged file must not load half-way).
    """
    text = resources.files("gateway.identity.data").joinpath(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    header, rows = lines[0].split("\t"), [line.split("\t") for line in lines[1:]]
    for number, row in enumerate(rows, start=2):
        if len(row) < len(header):
            raise ValueError(
                f"{name}: data row {number} has {len(row)} columns, expected {len(header)}"
            )
    return rows
