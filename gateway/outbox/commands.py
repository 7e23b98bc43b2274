"""`gateway audit verify [--data DIR | --store DSN] [--since SEQ|TIME]`: check the audit chain.

Exit 0 when the chain is intact and matches every signed checkpoint, 1 when it is not (the
first broken link is named), 2 on a usage error (no database, unreadable certificate).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from gateway.outbox.checkpoint import CertificateVerifier
from gateway.outbox.errors import OutboxError
from gateway.outbox.factory import sqlite_path
from gateway.outbox.verify import VerifyReport, verify_sqlite
from gateway.signing.certutil import load_certificates
from gateway.signing.errors import SigningError

DATABASE_FILE = "outbox.db"
CHECKPOINT_DIR = "checkpoints"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `audit verify` to the CLI."""
    audit = subparsers.add_parser("audit", help="check the outbox's audit chain",
                                  description="Audit-chain tools of the outbox.")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="recompute the audit chain and check it against the signed checkpoints",
        description="Recompute the audit chain and check it against the signed checkpoints. "
        "Exit 0 when intact, 1 when not (the first broken link is named), 2 on a usage error.",
    )
    where = verify.add_mutually_exclusive_group()
    where.add_argument("--data", type=Path, metavar="DIR",
                       help=f"the gateway data directory ({DATABASE_FILE}, {CHECKPOINT_DIR}/); default .")
    where.add_argument("--store", metavar="DSN", help="the store DSN, e.g. sqlite:///data/outbox.db")
    verify.add_argument("--checkpoints", type=Path, metavar="DIR",
                        help="the signed checkpoints' directory (default: checkpoints/ beside the database)")
    verify.add_argument("--cert", type=Path, metavar="PEM",
                        help="the gateway certificate that signs checkpoints (without it signatures "
                        "are not checked)")
    verify.add_argument("--since", metavar="SEQ|TIME",
                        help="start at the last signed checkpoint at or before this record number or "
                        "ISO time (earlier records are trusted through that checkpoint)")
    verify.add_argument("--skip-payloads", action="store_true",
                        help="do not re-hash stored payloads against their recorded digests")
    verify.add_argument("--json", action="store_true", help="print the result as one JSON object")
    verify.set_defaults(handler=run_verify)
    audit.set_defaults(handler=lambda _args: _usage(audit))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def parse_since(text: str | None) -> datetime | int | None:
    """A record number or an ISO 8601 date/time (naive means UTC); raises ValueError."""
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_verify(args: argparse.Namespace) -> int:
    """Verify; returns the exit code."""
    try:
        if args.store:
            db_path = sqlite_path(args.store)
        else:
            db_path = (args.data or Path(".")) / DATABASE_FILE
        checkpoint_dir = args.checkpoints or db_path.parent / CHECKPOINT_DIR
        verifier = None
        if args.cert is not None:
            verifier = CertificateVerifier(load_certificates(args.cert.read_bytes(), str(args.cert))[0])
        since = parse_since(args.since)
        report = verify_sqlite(db_path, checkpoint_dir, verifier, since=since,
                               check_payloads=not args.skip_payloads)
    except (OutboxError, SigningError, OSError, ValueError) as exc:
        print(f"gateway audit verify: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(_as_json(report), ensure_ascii=False) if args.json else _as_text(report))
    return 0 if report.ok else 1


def _as_json(report: VerifyReport) -> dict[str, object]:
    broken = report.first_break
    return {
        "intact": report.ok, "records": report.records, "first_seq": report.first_seq,
        "last_seq": report.last_seq, "checkpoints_matched": report.checkpoints_matched,
        "last_checkpoint_seq": report.last_checkpoint_seq, "uncovered": report.uncovered,
        "first_break": None if broken is None else {"seq": broken.seq, "reason": broken.reason},
        "problems": report.problems, "notes": report.notes,
    }


def _as_text(report: VerifyReport) -> str:
    lines = [f"audit chain: {report.records} records checked (seq {report.first_seq}..{report.last_seq}), "
             f"{report.checkpoints_matched} signed checkpoints matched, {report.uncovered} records "
             "after the last checkpoint"]
    if report.first_break is not None:
        lines.append(f"BROKEN at record {report.first_break.seq}: {report.first_break.reason}")
    lines.extend(f"PROBLEM: {p}" for p in report.problems)
    lines.extend(f"note: {n}" for n in report.notes)
    lines.append("INTACT" if report.ok else "NOT INTACT")
    return "\n".join(lines)
