"""Settings: defaults that run with no file, a TOML file, GATEWAY_* variables, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, Role, Settings, load_settings
from gateway.signing.policy import SignaturePolicy

TOML = """
port = 8443
data_dir = "var"

[store]
min_free_bytes = 1000

[intake]
worker = "thread"

[rate_limit]
rate = 2.5
burst = 10

[signing]
default_policy = "optional"
trust_dir = "/etc/gateway/trust"

[proxy]
trusted = ["10.0.0.0/8"]

[inbox]
dir = "drop"
facility = "01001"

[facilities."01001"]
signature_policy = "delegated"
rate = 1.0
tokens = ["{a}", {{sha256 = "{b}", expires_at = 2027-01-01T00:00:00Z}}]

[operators.alice]
role = "operator"
tokens = ["{c}"]
""".format(a="a" * 64, b="b" * 64, c="c" * 64)


def test_the_defaults_need_no_file() -> None:
    settings = load_settings(None, env={})
    assert settings == Settings()
    assert settings.store_dsn == "sqlite:///data/outbox.db"
    assert settings.limits.dossier_body_bytes > 1024 * 1024  # above aiohttp's default
    assert settings.trust_dir == Path("data/pki/trust") and settings.tokens_path == Path("data/tokens.json")


def test_a_toml_file_sets_every_section(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(TOML)
    settings = load_settings(path, env={})
    assert settings.port == 8443 and settings.data_dir == tmp_path / "var"
    assert settings.inbox.dir == tmp_path / "drop" and settings.inbox.facility == "01001"
    assert settings.signing.trust_dir == Path("/etc/gateway/trust")
    assert settings.policies().for_facility("01001") is SignaturePolicy.DELEGATED
    assert settings.policies().for_facility("79001") is SignaturePolicy.OPTIONAL
    assert settings.rate_for("01001").rate == 1.0 and settings.rate_for("79001").rate == 2.5
    assert len(settings.facilities["01001"].tokens) == 2
    assert settings.facilities["01001"].tokens[1].expires_at is not None
    assert settings.operators["alice"].role is Role.OPERATOR
    assert settings.store.outbox_settings().min_free_bytes == 1000
    assert settings.intake.worker == "thread" and Settings().intake.worker == "process"


def test_environment_variables_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(TOML)
    env = {"GATEWAY_PORT": "9000", "GATEWAY_STORE_DSN": "sqlite:////srv/o.db", "GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
           "GATEWAY_SIGNATURE_POLICY": "required", "GATEWAY_SCHEMAS_DIR": "/elsewhere"}
    settings = load_settings(path, env=env)
    assert settings.port == 9000 and settings.store_dsn == "sqlite:////srv/o.db"
    assert settings.proxy.trusted == ("127.0.0.1",)
    assert settings.signing.default_policy is SignaturePolicy.REQUIRED


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("prot = 1", "prot"),
        ("[store]\nmin_free = 1", "min_free"),
        ("port = 'x'", "port"),
        ("[signing]\ndefault_policy = 'maybe'", "default_policy"),
        ("[facilities.ABC]\n", "ABC"),
        ("[facilities.'01001']\ntokens = ['short']", "tokens"),
        ("[proxy]\ntrusted = ['nowhere']", "trusted"),
        ("[tls]\ncert = 'c.pem'", "key"),
        ("port = [", "TOML"),
        ("[intake]\nworker = 'fork'", "worker"),
    ],
)
def test_a_mistake_is_named(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        load_settings(path, env={})


def test_a_bad_environment_value_is_named() -> None:
    with pytest.raises(ConfigError, match="GATEWAY_PORT"):
        load_settings(None, env={"GATEWAY_PORT": "eighty"})
