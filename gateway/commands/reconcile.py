"""`gateway reconcile --insured FILE --population FILE --out DIR`: reconcile a full export of
the insured population against a population-database extract (batch, DuckDB).

Exit 0 on success, 1 on bad input or an output directory that cannot be written (the message
names the file, line and column), 2 on a usage error, 3 when the run failed for another
reason (out of memory, say). Never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from gateway.reconcile import ReconcileConfig, ReconcileError, TrustRule, reconcile
from gateway.reconcile.linkage import LinkageConfig
from gateway.reconcile.progress import Progress
from gateway.reconcile.summary import Summary

_FORMATS = {"csv": ("csv",), "parquet": ("parquet",), "both": ("csv", "parquet")}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `reconcile` to the CLI."""
    parser = subparsers.add_parser(
        "reconcile",
        help="reconcile the insured population against the population database (batch)",
        description="Link every insured record to the citizen its ID names (or, without a usable "
        "ID, on name, birth date, gender and residence), compare name, birth date, "
        "gender and residence, and write DIR/reconciliation.csv (one row per insured record), "
        "DIR/explanations.parquet, DIR/summary.json and DIR/summary.html. Inputs are CSV (UTF-8, comma, header row) or "
        "Parquet, chosen by extension.",
    )
    parser.add_argument(
        "--insured",
        type=Path,
        required=True,
        metavar="FILE",
        help="insured records (.csv or .parquet)",
    )
    parser.add_argument(
        "--population", type=Path, required=True, metavar="FILE", help="population-database extract"
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="output directory (created if needed)",
    )
    parser.add_argument(
        "--format",
        choices=sorted(_FORMATS),
        default="csv",
        help="reconciliation file format (default %(default)s)",
    )
    parser.add_argument(
        "--memory-limit", default="3GB", help="DuckDB memory limit (default %(default)s)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="DuckDB threads and name-comparison processes (default: cores)",
    )
    parser.add_argument(
        "--temp-dir",
        type=Path,
        default=None,
        help="where DuckDB may spill (a private directory is made there)",
    )
    parser.add_argument(
        "--min-name-similarity",
        type=float,
        default=TrustRule.min_name_similarity,
        help="trust rule: names this similar count as agreeing (default %(default)s)",
    )
    defaults = LinkageConfig()
    parser.add_argument(
        "--link-upper",
        type=float,
        default=defaults.upper,
        help="linkage: PROBABLE_MATCH from this match probability (default %(default)s)",
    )
    parser.add_argument(
        "--link-lower",
        type=float,
        default=defaults.lower,
        help="linkage: REVIEW from this match probability (default %(default)s)",
    )
    parser.add_argument(
        "--link-margin",
        type=float,
        default=defaults.margin_bits,
        help="linkage: bits the best candidate must lead the next by (default %(default)s)",
    )
    parser.add_argument(
        "--no-linkage",
        action="store_true",
        help="do not link records without a usable ID on demographics (they stay NOT_FOUND)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar even on a terminal"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the reconciliation; returns the exit code."""
    try:
        config = ReconcileConfig(
            memory_limit=args.memory_limit,
            threads=args.threads,
            temp_dir=args.temp_dir,
            formats=_FORMATS[args.format],
            trust=TrustRule(min_name_similarity=args.min_name_similarity),
            linkage=LinkageConfig(
                upper=args.link_upper,
                lower=args.link_lower,
                margin_bits=args.link_margin,
                enabled=not args.no_linkage,
            ),
        )
    except ValueError as exc:
        print(f"gateway reconcile: {exc}", file=sys.stderr)
        return 2
    progress = Progress(enabled=False) if args.no_progress else Progress()
    try:
        summary, files = reconcile(args.insured, args.population, args.out, config, progress)
    except ReconcileError as exc:
        print(f"gateway reconcile: {exc}", file=sys.stderr)
        return 1
    except duckdb.OutOfMemoryException:
        print(
            f"gateway reconcile: out of memory at --memory-limit {args.memory_limit}: raise it, or give --temp-dir on a larger disk",
            file=sys.stderr,
        )
        return 3
    except Exception as exc:  # our fault or the machine's: a message, never a traceback
        print(f"gateway reconcile: the run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    print(summary_table(summary))
    for path in files:
        print(f"wrote {path}")
    return 0


def summary_table(summary: Summary) -> str:
    """The end-of-run table: records per category and per kind of difference. Raises nothing."""
    total = summary.records or 1
    lines = [f"{'category':<26}{'records':>14}{'share':>9}", "-" * 49]
    lines += [f"{k:<26}{v:>14,}{100 * v / total:>8.2f}%" for k, v in summary.categories.items()]
    lines += [
        "-" * 49,
        f"{'total':<26}{summary.records:>14,}",
        "",
        f"{'difference':<30}{'records':>14}",
        "-" * 44,
    ]
    lines += [f"{k:<30}{v:>14,}" for k, v in summary.details.items() if v]
    lines += [
        "",
        f"duplicate groups: {summary.duplicate_groups:,} ({summary.duplicate_records:,} records)",
        f"time: {summary.timings.get('total', 0.0):.1f} s",
    ]
    return "\n".join(lines)
