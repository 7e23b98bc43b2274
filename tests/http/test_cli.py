"""`gateway tokens issue|revoke|list` and `gateway serve`'s settings and development PKI."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

from gateway.commands import serve
from gateway.config import Settings
from gateway.http.tokens import TokenBook


def run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="gateway")
    serve.register(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        args = parser.parse_args(list(argv))
        code = args.handler(args)
    return code, out.getvalue(), err.getvalue()


def test_a_token_is_printed_once_and_stored_as_a_hash(tmp_path: Path) -> None:
    code, out, err = run("tokens", "issue", "--facility", "01001", "--data", str(tmp_path), "--note", "HIS A")
    assert code == 0 and "shown only now" in err
    token = out.strip()
    stored = (tmp_path / "tokens.json").read_text()
    assert token not in stored and "HIS A" in stored
    record = TokenBook(tmp_path / "tokens.json").lookup(token)
    assert record is not None and record.subject == "facility:01001" and record.expires_at is not None
    code, out, _ = run("tokens", "list", "--data", str(tmp_path), "--json")
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert listed["id"] == record.id and "sha256" not in listed
    assert run("tokens", "revoke", record.id, "--data", str(tmp_path))[0] == 0
    revoked = TokenBook(tmp_path / "tokens.json").lookup(token)
    assert revoked is not None and revoked.revoked
    assert run("tokens", "revoke", "000000000000", "--data", str(tmp_path))[0] == 1


def test_an_operator_token_carries_its_role(tmp_path: Path) -> None:
    code, out, _ = run("tokens", "issue", "--operator", "alice", "--role", "operator", "--no-expiry",
                       "--data", str(tmp_path))
    record = TokenBook(tmp_path / "tokens.json").lookup(out.strip())
    assert code == 0 and record is not None and record.role == "operator" and record.expires_at is None


def test_a_bad_facility_code_is_a_usage_error(tmp_path: Path) -> None:
    assert run("tokens", "issue", "--facility", "1", "--data", str(tmp_path))[0] == 2


def test_serve_flags_override_the_settings(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="gateway")
    serve.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "--port", "9999", "--data", str(tmp_path), "--inbox", str(tmp_path / "in"),
                              "--inbox-facility", "01001"])
    settings = serve.settings_from(args)
    assert settings.port == 9999 and settings.data_dir == tmp_path
    assert settings.inbox.dir == tmp_path / "in" and settings.inbox.facility == "01001"


def test_a_local_run_gets_a_development_pki_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert serve.ensure_dev_pki(settings) is True
        assert serve.ensure_dev_pki(settings) is False
    assert (tmp_path / "pki" / "trust" / "registry.json").exists() and "DEVELOPMENT" in err.getvalue()
