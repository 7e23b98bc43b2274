"""The `gateway` command line: one sub-command per module, registered from a list.

Each command module exposes `register(subparsers)`, which adds its parser and sets
`handler=callable(args) -> int`. Exit codes: 0 success, 1 the input was found wanting
(invalid, unverifiable ...), 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Order is the order `gateway --help` lists them.
COMMAND_MODULES = (
    "gateway.commands.validate",
    "gateway.commands.samples",
    "gateway.commands.demo",
    "gateway.signing.commands",
    "adapters.portal.commands",
    "gateway.outbox.commands",
    "gateway.delivery.commands",
    "gateway.commands.serve",
    "gateway.commands.reconcile",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="gateway",
        description="Interagency health-insurance gateway (QĐ 130 intake, signatures, delivery).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
