"""The command line's lazy loading: a named command imports only its module, and the table
that says which module registers which command stays true."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from gateway.cli import COMMAND_MODULES, COMMANDS, build_parser, main


def test_every_command_maps_to_the_module_that_registers_it() -> None:
    registered: dict[str, str] = {}
    for module in COMMAND_MODULES:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(subparsers)
        registered.update(dict.fromkeys(subparsers.choices, module))
    assert registered == COMMANDS


def test_help_lists_every_command() -> None:
    text = build_parser().format_help()
    assert all(command in text for command in COMMANDS)


def test_unknown_command_is_a_usage_error() -> None:
    assert main(["no-such-command"]) == 2


def test_reconcile_imports_neither_the_http_server_nor_signatures() -> None:
    code = (
        "import sys; from gateway.cli import main; rc = main(['reconcile', '--help']); "
        "print(sorted(m for m in ('aiohttp', 'signxml', 'zeep', 'gateway.http') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
