"""`gateway demo`: the gateway's main job on the embedded default, with nothing to configure.

    gateway demo [--host H] [--port P] [--config FILE] [--data DIR] [--no-feed] [--duration S]
    gateway demo --validate-only [--out DIR] [--count N] [--invalid-rate R] [--seed N]

By default the live job (demo_live.py): SQLite store in `--data`, the portal simulator, the
development PKI, the HTTP intake, the delivery workers and a sample HIS, with status lines.
`--validate-only` is the intake-validation job: generate a batch of synthetic dossiers (some with
known defects), validate every one, and print the report and where to look.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from gateway.samples import generate
from gateway.xml.validate import validate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `demo` to the CLI."""
    parser = subparsers.add_parser("demo", help="run the whole gateway locally: simulator, intake, delivery, sample HIS")
    parser.add_argument("--host", default="127.0.0.1", help="address of the API (default %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port of the API; 0: ephemeral (default %(default)s)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML settings file")
    parser.add_argument("--data", type=Path, default=Path("demo-data"), metavar="DIR",
                        help="where the store, tokens and PKI live (default %(default)s)")
    parser.add_argument("--no-feed", action="store_true", help="do not run the sample HIS")
    parser.add_argument("--duration", type=float, metavar="SECONDS", help="run this long, then exit (default: until Ctrl-C)")
    parser.add_argument("--validate-only", action="store_true",
                        help="only generate sample dossiers, validate them and print the report")
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="where the samples go (default %(default)s)")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--invalid-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The live demo, or the validation job with `--validate-only`."""
    if args.validate_only:
        return run_validate(args)
    from gateway.commands.demo_live import run as run_live

    return run_live(args)


def run_validate(args: argparse.Namespace) -> int:
    """Generate, validate, report; exit 1 if the validator disagrees with the manifest."""
    started = time.perf_counter()
    files = generate(args.out, args.count, seed=args.seed, invalid_rate=args.invalid_rate)
    generated = time.perf_counter()
    by_code: collections.Counter[str] = collections.Counter()
    warnings: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    valid = disagreements = 0
    for item in files:
        report = validate(item.content)
        kinds[item.kind] += 1
        valid += report.valid
        by_code.update(report.codes())
        warnings.update(p.code for p in report.warnings)
        if sorted(report.codes()) != sorted(item.errors):
            disagreements += 1
            print(f"  ! {item.name}: expected {sorted(item.errors)}, validator said {report.codes()}", file=sys.stderr)
    elapsed = time.perf_counter() - generated
    print(f"Generated {len(files)} documents in {generated - started:.2f}s into {args.out}/ "
          f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); manifest: {args.out}/manifest.json")
    print(f"Validated them in {elapsed:.2f}s ({len(files) / elapsed:.0f} documents/s on one core)")
    print(f"  valid:   {valid}")
    print(f"  invalid: {len(files) - valid}")
    for code, count in sorted(by_code.items()):
        print(f"    {count:4}  {code}")
    for code, count in sorted(warnings.items()):
        print(f"    {count:4}  {code}  (warning)")
    print(f"Validator and manifest {'agree on every file' if not disagreements else f'DISAGREE on {disagreements} files'}.")
    print(f"Look at one report:   .venv/bin/gateway validate {args.out}/{files[-1].name if files else '...'}")
    print(f"All as JSON lines:    .venv/bin/gateway validate --json {args.out}/*.xml")
    return 1 if disagreements else 0
