"""`gateway sim portal`: the CLI registration and its configuration."""

from __future__ import annotations

import argparse

import pytest

from adapters.portal import commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway")
    commands.register(parser.add_subparsers(dest="command"))
    return parser


def test_sim_portal_parses_with_defaults() -> None:
    args = _parser().parse_args(["sim", "portal", "--port", "0", "--faults", "error_rate=0.1"])
    assert args.handler is commands._run
    config = commands._config(args)
    assert config.faults.error_rate == 0.1
    assert set(config.accounts) == {"01001_BV", "79001_BV"}
    assert config.trust is None and config.validate


def test_another_simulator_can_join_the_sim_group() -> None:
    parser = argparse.ArgumentParser(prog="gateway")
    subparsers = parser.add_subparsers(dest="command")
    commands.register(subparsers)
    population = commands.sim_subcommands(subparsers).add_parser("population")
    population.set_defaults(handler=lambda args: 0)
    assert _names(parser) == {"sim"}
    assert parser.parse_args(["sim", "population"]).handler(None) == 0
    assert parser.parse_args(["sim", "portal"]).handler is commands._run


def test_sim_without_a_party_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        _parser().parse_args(["sim"])
    assert caught.value.code == 2


def test_bad_fault_spec_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["sim", "portal", "--faults", "error_rate=7"])
    assert commands._run(args) == 2
    assert "sim.fault_spec" in capsys.readouterr().err


def _names(parser: argparse.ArgumentParser) -> set[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)
