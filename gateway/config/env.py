"""`GATEWAY_*` environment variables, each overriding one key of the settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gateway.config.model import ConfigError, Settings, check_facility, check_networks
from gateway.signing.policy import SignaturePolicy
from gateway.signing.trust import RevocationPolicy


def _env_path(text: str) -> Path:
    return Path(text).expanduser()


def _env_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not a boolean")


_Apply = Callable[[Settings, str], Settings]


def _top(name: str, parse: Callable[[str], Any]) -> _Apply:
    return lambda s, text: replace(s, **{name: parse(text)})


def _nested(section: str, name: str, parse: Callable[[str], Any]) -> _Apply:
    return lambda s, text: replace(
        s, **{section: replace(getattr(s, section), **{name: parse(text)})}
    )


def _proxies(text: str) -> tuple[str, ...]:
    items = tuple(part.strip() for part in text.split(",") if part.strip())
    check_networks(items, "GATEWAY_TRUSTED_PROXIES")
    return items


def _facility_code(text: str) -> str:
    check_facility(text, "GATEWAY_INBOX_FACILITY")
    return text


def _worker(text: str) -> str:
    if text not in ("process", "thread"):
        raise ValueError("expected process or thread")
    return text


def _client_certs(text: str) -> str:
    if text not in ("none", "optional", "required"):
        raise ValueError("expected none, optional or required")
    return text


ENVIRONMENT: Mapping[str, _Apply] = MappingProxyType(
    {
        "GATEWAY_HOST": _top("host", str),
        "GATEWAY_PORT": _top("port", int),
        "GATEWAY_DATA_DIR": _top("data_dir", _env_path),
        "GATEWAY_SCHEMA_VERSION": _top("schema_version", str),
        "GATEWAY_TOKENS_FILE": _top("tokens_file", _env_path),
        "GATEWAY_STORE_DSN": _nested("store", "dsn", str),
        "GATEWAY_MIN_FREE_BYTES": _nested("store", "min_free_bytes", int),
        "GATEWAY_MAX_BODY_BYTES": _nested("limits", "dossier_body_bytes", int),
        "GATEWAY_INTAKE_WORKER": _nested("intake", "worker", _worker),
        "GATEWAY_RATE": _nested("rate_limit", "rate", float),
        "GATEWAY_BURST": _nested("rate_limit", "burst", float),
        "GATEWAY_TRUST_DIR": _nested("signing", "trust_dir", _env_path),
        "GATEWAY_KEYS_DIR": _nested("signing", "keys_dir", _env_path),
        "GATEWAY_SIGNATURE_POLICY": _nested("signing", "default_policy", SignaturePolicy),
        "GATEWAY_REVOCATION": _nested("signing", "revocation", RevocationPolicy),
        "GATEWAY_KEY_PASSPHRASE_ENV": _nested("signing", "passphrase_env", str),
        "GATEWAY_TLS_CERT": _nested("tls", "cert", _env_path),
        "GATEWAY_TLS_KEY": _nested("tls", "key", _env_path),
        "GATEWAY_TLS_CLIENT_CA": _nested("tls", "client_ca", _env_path),
        "GATEWAY_TLS_CLIENT_CERTS": _nested("tls", "client_certs", _client_certs),
        "GATEWAY_TRUSTED_PROXIES": _nested("proxy", "trusted", _proxies),
        "GATEWAY_INBOX": _nested("inbox", "dir", _env_path),
        "GATEWAY_INBOX_FACILITY": _nested("inbox", "facility", _facility_code),
        "GATEWAY_CALLBACKS_ENABLED": _nested("callbacks", "enabled", _env_bool),
        "GATEWAY_PORTAL_ACCOUNTS": _nested("delivery", "accounts_file", _env_path),
    }
)


def apply_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    """`settings` with every recognised `GATEWAY_*` variable of `env` applied (ENVIRONMENT).

    Raises ConfigError naming the variable whose value does not parse.
    """
    for name, apply in ENVIRONMENT.items():
        text = env.get(name)
        if text is None or text == "":
            continue
        try:
            settings = apply(settings, text)
        except (ValueError, ConfigError) as exc:
            raise ConfigError(f"{name}={text!r}: {exc}") from None
    if settings.tls.cert is not None and settings.tls.key is None:
        raise ConfigError("GATEWAY_TLS_CERT needs GATEWAY_TLS_KEY")
    return settings
