"""`gateway serve` runs the delivery workers when the configuration names a portal accounts file
(`[delivery] accounts_file` or GATEWAY_PORTAL_ACCOUNTS), with the workers' settings from the
same `[delivery]` table."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.portal import PortalConfigError
from gateway.commands.serve import delivery_components
from gateway.config import ConfigError, load_settings
from gateway.delivery import DeliverySettings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_without_an_accounts_file_serve_runs_no_delivery_workers() -> None:
    settings = load_settings(env={})
    assert settings.delivery.accounts_file is None and settings.delivery.workers == DeliverySettings()
    assert delivery_components(settings) == ()


def test_the_delivery_table_sets_the_accounts_file_and_the_workers(tmp_path: Path) -> None:
    config = write(tmp_path / "gateway.toml", '[delivery]\naccounts_file = "portal.toml"\n'
                   "concurrency = 4\nlease_seconds = 30\ndeadline_days = 2\n")  # fmt: skip
    settings = load_settings(config, env={})
    assert settings.delivery.accounts_file == tmp_path / "portal.toml"  # relative to the file
    workers = settings.delivery.workers
    assert (workers.concurrency, workers.lease_seconds, workers.deadline_days) == (4, 30.0, 2.0)


def test_the_accounts_file_can_come_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(env={"GATEWAY_PORTAL_ACCOUNTS": str(tmp_path / "portal.toml")})
    assert settings.delivery.accounts_file == tmp_path / "portal.toml"


@pytest.mark.parametrize("line", ["concurrency = 0", "retry_cap_seconds = 0.5\nretry_base_seconds = 2",
                                  "lease_seconds = \"long\"", "typo_seconds = 3"])  # fmt: skip
def test_an_unusable_delivery_setting_is_a_config_error(tmp_path: Path, line: str) -> None:
    config = write(tmp_path / "gateway.toml", f"[delivery]\n{line}\n")
    with pytest.raises(ConfigError):
        load_settings(config, env={})


def test_serve_builds_the_delivery_and_card_components_from_the_accounts_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = write(tmp_path / "portal.toml", '[defaults]\nbase_url = "http://127.0.0.1:9"\n'
                     '[facilities."01001"]\n')  # fmt: skip
    settings = load_settings(env={"GATEWAY_PORTAL_ACCOUNTS": str(accounts)})
    monkeypatch.delenv("GATEWAY_PORTAL_PASSWORD_01001", raising=False)
    with pytest.raises(PortalConfigError):  # the secret is missing: refused at start
        delivery_components(settings)
    monkeypatch.setenv("GATEWAY_PORTAL_PASSWORD_01001", "not-a-real-password")
    assert len(delivery_components(settings)) == 2  # the delivery workers and the card lookups
