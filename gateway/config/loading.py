"""Reading the TOML file into `Settings`: each section parsed and checked, unknown keys refused."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gateway.config.env import apply_env
from gateway.config.model import (
    HEX64,
    OPERATOR_NAME,
    CallbackConfig,
    ConfigError,
    DeliveryConfig,
    FacilityConfig,
    InboxConfig,
    IntakeConfig,
    Limits,
    OperatorConfig,
    PortalAccount,
    PortalFaceConfig,
    ProxyConfig,
    RateLimit,
    Role,
    Settings,
    SigningConfig,
    StoreConfig,
    TlsConfig,
    TokenHash,
    check_facility,
    check_networks,
)
from gateway.config.section import Section, as_table, enum_value
from gateway.delivery.errors import DeliveryConfigError
from gateway.delivery.settings import DeliverySettings
from gateway.signing.policy import SignaturePolicy
from gateway.signing.trust import RevocationPolicy


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file at `path` (if given), then `GATEWAY_*` variables of `env`
    (os.environ when None). Raises ConfigError naming the offending key or variable."""
    data: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        base = path.resolve().parent
    settings = _from_mapping(data, base)
    return apply_env(settings, os.environ if env is None else env)


def _from_mapping(data: Mapping[str, Any], base: Path) -> Settings:
    top = Section(data, "", base)
    settings = Settings(
        host=top.text("host", "127.0.0.1"),
        port=top.integer("port", 8080, low=0, high=65535),
        data_dir=top.path("data_dir") or Path("data"),
        schema_version=top.text("schema_version", "4750"),
        tokens_file=top.path("tokens_file"),
        store=_store(top.section("store")),
        limits=_limits(top.section("limits")),
        intake=_intake(top.section("intake")),
        rate_limit=_rate(top.section("rate_limit"), RateLimit()),
        signing=_signing(top.section("signing")),
        tls=_tls(top.section("tls")),
        proxy=_proxy(top.section("proxy")),
        inbox=_inbox(top.section("inbox")),
        callbacks=_callbacks(top.section("callbacks")),
        facilities=MappingProxyType(_facilities(top.table("facilities"), base)),
        operators=MappingProxyType(_operators(top.table("operators"), base)),
        portal_face=_portal_face(top.section("portal_face")),
        delivery=_delivery(top.section("delivery")),
    )
    top.finish()
    return settings


def _store(s: Section) -> StoreConfig:
    d = StoreConfig()
    value = StoreConfig(
        dsn=s.opt_text("dsn"),
        min_free_bytes=s.integer("min_free_bytes", d.min_free_bytes, low=0),
        checkpoint_interval_seconds=s.number(
            "checkpoint_interval_seconds", d.checkpoint_interval_seconds
        ),
        prune_interval_seconds=s.number("prune_interval_seconds", d.prune_interval_seconds),
        payload_retention_days=s.number("payload_retention_days", d.payload_retention_days),
        resend_on_unknown=s.flag("resend_on_unknown", d.resend_on_unknown),
    )
    s.finish()
    return value


def _delivery(s: Section) -> DeliveryConfig:
    default = DeliverySettings()
    values: dict[str, Any] = {}
    for item in fields(DeliverySettings):
        current = getattr(default, item.name)
        if isinstance(current, int):
            values[item.name] = s.integer(item.name, current, low=1)
        else:
            values[item.name] = s.number(item.name, current, positive=True)
    try:
        workers = DeliverySettings(**values)
    except DeliveryConfigError as exc:
        raise ConfigError(f"[delivery] {exc.message}") from None
    value = DeliveryConfig(accounts_file=s.path("accounts_file"), workers=workers)
    s.finish()
    return value


def _limits(s: Section) -> Limits:
    d = Limits()
    value = Limits(
        dossier_body_bytes=s.integer("dossier_body_bytes", d.dossier_body_bytes, low=1),
        json_body_bytes=s.integer("json_body_bytes", d.json_body_bytes, low=1),
        max_total_bytes=s.integer("max_total_bytes", d.max_total_bytes, low=1),
        max_depth=s.integer("max_depth", d.max_depth, low=1),
        max_elements=s.integer("max_elements", d.max_elements, low=1),
    )
    s.finish()
    return value


def _intake(s: Section) -> IntakeConfig:
    value = IntakeConfig(
        worker=s.choice("worker", ("process", "thread"), "process"),
        max_waiting=s.integer("max_waiting", IntakeConfig.max_waiting, low=1),
    )
    s.finish()
    return value


def _rate(s: Section, default: RateLimit) -> RateLimit:
    value = RateLimit(
        rate=s.number("rate", default.rate, positive=True),
        burst=s.number("burst", default.burst, low=1.0),
    )
    s.finish()
    return value


def _signing(s: Section) -> SigningConfig:
    value = SigningConfig(
        trust_dir=s.path("trust_dir"),
        keys_dir=s.path("keys_dir"),
        default_policy=s.choose("default_policy", SignaturePolicy, SignaturePolicy.REQUIRED),
        revocation=s.choose("revocation", RevocationPolicy, RevocationPolicy.HARD),
        passphrase_env=s.opt_text("passphrase_env"),
        passphrase_file=s.path("passphrase_file"),
    )
    s.finish()
    return value


def _tls(s: Section) -> TlsConfig:
    value = TlsConfig(
        cert=s.path("cert"),
        key=s.path("key"),
        client_ca=s.path("client_ca"),
        client_certs=s.choice("client_certs", ("none", "optional", "required"), "optional"),
        key_passphrase_env=s.opt_text("key_passphrase_env"),
    )
    s.finish()
    if (value.cert is None) != (value.key is None):
        raise ConfigError("[tls]: cert and key go together")
    return value


def _proxy(s: Section) -> ProxyConfig:
    value = ProxyConfig(
        trusted=tuple(s.texts("trusted")),
        client_cert_header=s.text("client_cert_header", "X-Client-Cert"),
    )
    s.finish()
    check_networks(value.trusted, "[proxy] trusted")
    return value


def _inbox(s: Section) -> InboxConfig:
    value = InboxConfig(
        dir=s.path("dir"),
        facility=s.opt_text("facility"),
        stable_seconds=s.number("stable_seconds", 5.0),
        poll_seconds=s.number("poll_seconds", 1.0, positive=True),
    )
    s.finish()
    if value.facility is not None:
        check_facility(value.facility, "[inbox] facility")
    return value


def _callbacks(s: Section) -> CallbackConfig:
    d = CallbackConfig()
    value = CallbackConfig(
        enabled=s.flag("enabled", d.enabled),
        poll_seconds=s.number("poll_seconds", d.poll_seconds, positive=True),
        timeout_seconds=s.number("timeout_seconds", d.timeout_seconds, positive=True),
        max_attempts=s.integer("max_attempts", d.max_attempts, low=1),
        retry_base_seconds=s.number("retry_base_seconds", d.retry_base_seconds),
        retry_max_seconds=s.number("retry_max_seconds", d.retry_max_seconds),
        allow_http=s.flag("allow_http", d.allow_http),
        allow_private_addresses=s.flag("allow_private_addresses", d.allow_private_addresses),
        concurrency=s.integer("concurrency", d.concurrency, low=1),
    )
    s.finish()
    return value


def _portal_face(s: Section) -> PortalFaceConfig:
    accounts: dict[str, PortalAccount] = {}
    for username, body in s.table("accounts").items():
        a = Section(
            as_table(body, f"portal_face.accounts.{username}"),
            f"portal_face.accounts.{username}",
            Path("."),
        )
        facility = a.text("facility", username.partition("_")[0])
        check_facility(facility, f"[portal_face.accounts.{username}] facility")
        secret = a.text("secret", "")
        if not secret.startswith("scrypt$") or secret.count("$") != 5:
            raise ConfigError(
                f"portal_face.accounts.{username}.secret must be a scrypt hash "
                "(scrypt$n$r$p$salt$hash), never a password"
            )
        accounts[username] = PortalAccount(username, facility, secret)
        a.finish()
    config = PortalFaceConfig(
        enabled=s.flag("enabled", True),
        require_tls=s.flag("require_tls", True),
        token_ttl_seconds=s.number("token_ttl_seconds", 3600.0, positive=True),
        max_failures=s.integer("max_failures", 5, low=1),
        lockout_seconds=s.number("lockout_seconds", 900.0),
        take_rate=s.number("take_rate", 1.0, positive=True),
        take_burst=s.number("take_burst", 10.0, low=1.0),
        accounts=MappingProxyType(accounts),
    )
    s.finish()
    return config


def _facilities(table: Mapping[str, Any], base: Path) -> dict[str, FacilityConfig]:
    result: dict[str, FacilityConfig] = {}
    for code, body in table.items():
        check_facility(code, f"[facilities.{code}]")
        s = Section(as_table(body, f"facilities.{code}"), f"facilities.{code}", base)
        rate = s.opt_number("rate")
        burst = s.opt_number("burst")
        limit = None
        if rate is not None or burst is not None:
            limit = RateLimit(
                rate if rate is not None else RateLimit().rate,
                burst if burst is not None else RateLimit().burst,
            )
        policy = s.opt_text("signature_policy")
        result[code] = FacilityConfig(
            code=code,
            tokens=_tokens(s.items("tokens"), f"facilities.{code}.tokens"),
            signature_policy=enum_value(
                SignaturePolicy, policy, f"facilities.{code}.signature_policy"
            )
            if policy is not None
            else None,
            rate_limit=limit,
        )
        s.finish()
    return result


def _operators(table: Mapping[str, Any], base: Path) -> dict[str, OperatorConfig]:
    result: dict[str, OperatorConfig] = {}
    for name, body in table.items():
        if not OPERATOR_NAME.match(name):
            raise ConfigError(f"[operators.{name}]: an operator name is 1-64 of a-z 0-9 . _ -")
        s = Section(as_table(body, f"operators.{name}"), f"operators.{name}", base)
        certificates = tuple(c.lower().replace(":", "") for c in s.texts("certificates"))
        for cert in certificates:
            if not HEX64.match(cert):
                raise ConfigError(f"operators.{name}.certificates: {cert!r} is not a SHA-256 hex")
        result[name] = OperatorConfig(
            name=name,
            role=s.choose("role", Role, Role.VIEWER),
            tokens=_tokens(s.items("tokens"), f"operators.{name}.tokens"),
            certificates=certificates,
        )
        s.finish()
    return result


def _tokens(items: list[Any], where: str) -> tuple[TokenHash, ...]:
    tokens = []
    for item in items:
        if isinstance(item, str):
            digest, expires = item, None
        elif isinstance(item, dict):
            unknown = set(item) - {"sha256", "expires_at"}
            if unknown:
                raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
            digest, expires = item.get("sha256", ""), item.get("expires_at")
        else:
            raise ConfigError(f"{where}: a token is a SHA-256 hex string or {{sha256, expires_at}}")
        if not isinstance(digest, str) or not HEX64.match(digest.lower()):
            raise ConfigError(f"{where}: {digest!r} is not a SHA-256 hex digest")
        tokens.append(TokenHash(digest.lower(), _as_time(expires, where)))
    return tuple(tokens)


def _as_time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{where}: {value!r} is not an ISO 8601 time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ConfigError(f"{where}: expires_at must be a time")
