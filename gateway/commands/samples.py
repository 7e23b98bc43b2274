"""`gateway samples --count N --out DIR`: write synthetic QĐ 130 documents and their manifest."""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from gateway.samples import PROFILES, generate
from gateway.samples.generate import check_facility


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `samples` to the CLI."""
    parser = subparsers.add_parser(
        "samples",
        help="generate synthetic dossiers, check-ins and assessments (with a manifest)",
        description="Generate synthetic QĐ 130 documents into DIR with DIR/manifest.json, which "
        "lists for every file the errors and warnings a validator must report. Every 25th file "
        "is an XML12 document, every other 10th an XML0 check-in, the rest GIAMDINHHS envelopes; "
        "--invalid-rate of the envelopes carry one known defect each. The same seed gives the "
        "same files. Exit 0 on success, 2 on a usage error.",
    )
    parser.add_argument("--count", type=int, required=True, help="number of documents")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created if needed)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    parser.add_argument(
        "--invalid-rate", type=float, default=0.0,
        help="share of envelopes with one known defect, 0..1 (default %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", choices=tuple(PROFILES), default="typical",
        help="envelope size: small (~10 KB), typical (~40 KB), large (~1 MB); default %(default)s",
    )  # fmt: skip
    parser.add_argument(
        "--facility", default="01001",
        help="5-digit facility code MACSKCB; its first two digits are the province (default %(default)s)",
    )  # fmt: skip
    parser.set_defaults(handler=run)


def _usage_error(message: str) -> int:
    print(f"gateway samples: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Generate the documents; print a one-line summary to stderr. 0 on success, 2 on bad input."""
    if args.count < 0:
        return _usage_error(f"--count must be 0 or more, not {args.count}")
    if not 0.0 <= args.invalid_rate <= 1.0:
        return _usage_error(f"--invalid-rate must be between 0 and 1, not {args.invalid_rate}")
    try:
        check_facility(args.facility)
    except ValueError as exc:
        return _usage_error(f"--facility: {exc}")
    started = time.perf_counter()
    try:
        files = generate(
            args.out, args.count, seed=args.seed, invalid_rate=args.invalid_rate,
            profile=args.profile, facility=args.facility,
        )  # fmt: skip
    except OSError as exc:
        return _usage_error(f"cannot write to {args.out}: {exc}")
    elapsed = time.perf_counter() - started
    kinds = collections.Counter(item.kind for item in files)
    invalid = sum(not item.valid for item in files)
    with_warnings = sum(bool(item.warnings) for item in files)
    mix = ", ".join(f"{kinds[k]} {k}" for k in ("envelope", "XML0", "XML12") if kinds[k])
    print(
        f"samples: {len(files)} files ({mix or 'none'}; {invalid} invalid, {with_warnings} with "
        f"warnings) in {args.out}/ with manifest.json; profile {args.profile}, seed {args.seed}, "
        f"{elapsed:.2f}s",
        file=sys.stderr,
    )
    return 0
