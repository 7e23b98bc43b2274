"""``summary.html``: a one-page report for the operator, counts and charts only (inline SVG,
no script, no external resource), rendered from a `Summary`."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from gateway.reconcile.summary import Summary

_COLOURS = {
    "MATCH": "#2e7d32",
    "MISMATCH": "#ef6c00",
    "PROBABLE_MATCH": "#1565c0",
    "REVIEW": "#6a1b9a",
    "NOT_FOUND": "#c62828",
}
_MEANING = {
    "MATCH": "the ID names a citizen and every field agrees",
    "MISMATCH": "the ID names a citizen and some fields differ: see the proposed values",
    "PROBABLE_MATCH": "no usable ID, but the demographics name one citizen",
    "REVIEW": "several candidates: a person must decide",
    "NOT_FOUND": "no citizen found for this record",
}


def _bars(counts: dict[str, int], total: int, colour_of: dict[str, str], width: int = 560) -> str:
    """A horizontal bar chart, one bar per key, as inline SVG."""
    rows = [(k, v) for k, v in counts.items() if v > 0] or [("(none)", 0)]
    label_w, bar_w, row_h = 210, width - 210 - 110, 22
    biggest = max(v for _, v in rows) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row_h * len(rows) + 6}" '
        f'role="img" aria-label="bar chart">'
    ]
    for i, (key, value) in enumerate(rows):
        y = i * row_h + 3
        length = max(1, round(bar_w * value / biggest)) if value else 0
        share = f"{100 * value / total:.2f}%" if total else "-"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">{html.escape(key)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{length}" height="{row_h - 6}" '
            f'fill="{colour_of.get(key, "#546e7a")}"/>'
            f'<text x="{label_w + length + 6}" y="{y + 15}" font-size="12">{value:,} ({share})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(summary: Summary, generated: datetime | None = None) -> str:
    """The report as one HTML document. Raises nothing."""
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    total = summary.records
    categories = _table(
        [
            (k, f"{v:,}", f"{100 * v / total:.2f}%" if total else "-", _MEANING[k])
            for k, v in summary.categories.items()
        ],
        ("category", "records", "share", "meaning"),
    )
    inputs = _table(
        [(s.role, s.format, f"{s.rows:,}", f"{s.bytes / 1e6:,.1f} MB") for s in summary.inputs],
        ("input", "format", "rows", "size"),
    )
    timings = _table([(k, f"{v:.2f} s") for k, v in summary.timings.items()], ("stage", "time"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Reconciliation summary</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #212121; max-width: 60em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
td:nth-child(2), td:nth-child(3) {{ text-align: right; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.1em; margin-top: 1.5em; }}
.note {{ color: #616161; font-size: 0.9em; }}
</style></head><body>
<h1>Reconciliation of the insured population against the population database</h1>
<p class="note">Generated {html.escape(when)}. {total:,} insured records. Counts only: this report
contains no personal data. The records themselves are in reconciliation.csv / .parquet.</p>
<h2>Records by category</h2>
{_bars(summary.categories, total, _COLOURS)}
{categories}
<h2>Differences by field</h2>
{_bars(summary.fields, total, {})}
<h2>Differences by kind</h2>
{_bars(summary.details, total, {})}
<h2>Duplicates</h2>
<p>{summary.duplicate_groups:,} citizens hold more than one insured record ({summary.duplicate_records:,} records).</p>
<h2>Inputs</h2>
{inputs}
<h2>Timings</h2>
{timings}
</body></html>
"""
