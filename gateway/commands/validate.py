"""`gateway validate FILE... [--json]`: validate QĐ 130 documents from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gateway.xml.report import Report
from gateway.xml.validate import DEFAULT_VERSION, validate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `validate` to the CLI."""
    parser = subparsers.add_parser(
        "validate",
        help="validate QĐ 130 documents (envelope, XML0, XML12)",
        description="Validate QĐ 130 documents. Exit 0 when every file is valid, 1 when any is "
        "invalid, 2 on a usage error (e.g. a file that cannot be read).",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--json", action="store_true", help="one JSON object per file per line")
    parser.add_argument("--schema-version", default=DEFAULT_VERSION, help="QĐ 130 schema set (default %(default)s)")
    parser.add_argument(
        "--show-personal",
        action="store_true",
        help="show personal values unmasked (you are the facility that owns the data)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate every file; returns the exit code."""
    any_invalid = False
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"gateway validate: cannot read {path}: {exc.strerror}", file=sys.stderr)
            return 2
        report = validate(data, version=args.schema_version)
        any_invalid |= not report.valid
        if args.json:
            print(json.dumps(_json_line(path, report, masked=not args.show_personal), ensure_ascii=False))
        else:
            _print_text(path, report, masked=not args.show_personal)
    return 1 if any_invalid else 0


def _json_line(path: Path, report: Report, *, masked: bool) -> dict[str, object]:
    data = report.to_json(masked=masked)
    return {"file": str(path), "valid": data["valid"], "errors": data["errors"], "warnings": data["warnings"]}


def _print_text(path: Path, report: Report, *, masked: bool) -> None:
    shown = report.masked() if masked else report
    status = "valid" if report.valid else f"INVALID ({len(report.errors)} errors)"
    extra = f", {len(report.warnings)} warnings" if report.warnings else ""
    print(f"{path}: {status}{extra}")
    for problem in shown.problems:
        where = " ".join(
            part
            for part in (
                f"HOSO {problem.hoso}" if problem.hoso else "",
                problem.table or "",
                f"record {problem.record}" if problem.record else "",
                f"MA_LK={problem.ma_lk}" if problem.ma_lk else "",
                f"line {problem.line}" if problem.line else "",
            )
            if part
        )
        value = f" [value: {problem.value}]" if problem.value is not None else ""
        print(f"  {problem.severity.value:7} {problem.code:34} {where}: {problem.message}{value}")
