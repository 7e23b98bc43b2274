"""The `gateway` command line: one sub-command per module, registered from a list.

Each command module exposes `register(subparsers)`, which adds its parser and sets
`handler=callable(args) -> int`. A command named on the command line imports only its own
module (`COMMANDS`); ``gateway --help`` or an unknown command imports them all. Importing
every module costs ~0.7 s (the HTTP server, signatures, zeep ...), paid again by each
`gateway reconcile` a VSS operator runs. Exit codes: 0 success, 1 the input was found wanting
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
# Each command and the module that registers it (tests/test_cli.py keeps this true).
COMMANDS = {
    "validate": "gateway.commands.validate",
    "samples": "gateway.commands.samples",
    "demo": "gateway.commands.demo",
    **dict.fromkeys(("sign", "verify", "verify-receipt", "certs"), "gateway.signing.commands"),
    "sim": "adapters.portal.commands",
    "audit": "gateway.outbox.commands",
    "replay": "gateway.delivery.commands",
    "release": "gateway.delivery.commands",
    "serve": "gateway.commands.serve",
    "tokens": "gateway.commands.serve",
    "reconcile": "gateway.commands.reconcile",
}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The argument parser with the sub-commands of ``modules`` (all by default)."""
    parser = argparse.ArgumentParser(
        prog="gateway",
        description="Interagency health-insurance gateway (QĐ 130 intake, signatures, delivery).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def _modules_for(argv: Sequence[str]) -> Sequence[str]:
    # The first argument names the command (the top-level parser has no options but --help).
    if argv and argv[0] in COMMANDS:
        return (COMMANDS[argv[0]],)
    return COMMAND_MODULES


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_modules_for(arguments))
    try:
        args = parser.parse_args(arguments)
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
