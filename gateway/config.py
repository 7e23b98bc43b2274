"""The gateway's settings: one frozen value from a TOML file plus `GATEWAY_*` environment variables.

    settings = load_settings(Path("gateway.toml"))      # or load_settings() for the defaults

Precedence: built-in defaults < the TOML file < environment variables < command-line flags (the
`serve` command applies those with `dataclasses.replace`). The defaults make a local run work
with no file at all: `./data` for the store, the tokens file and a development PKI.

The TOML file (every key optional; unknown keys are an error, so a typo does not pass silently):

    host = "0.0.0.0"
    port = 8443
    data_dir = "/var/lib/gateway"          # relative paths in the file are relative to the file
    schema_version = "4750"
    tokens_file = "/var/lib/gateway/tokens.json"

    [store]       dsn = "sqlite:////var/lib/gateway/outbox.db", min_free_bytes = 2147483648,
                  checkpoint_interval_seconds = 300, prune_interval_seconds = 3600,
                  payload_retention_days = 30, resend_on_unknown = true
    [limits]      dossier_body_bytes = 33554432, json_body_bytes = 65536,
                  max_total_bytes = 100663296, max_depth = 32, max_elements = 2000000
    [intake]      worker = "process"               # or "thread" (gateway/http/cpu.py)
                  max_waiting = 256                # more waiting documents: 503 intake.busy
    [rate_limit]  rate = 10.0, burst = 50          # per facility: tokens per second, bucket size
    [signing]     trust_dir = "...", keys_dir = "...", default_policy = "required",
                  revocation = "hard", passphrase_env = "GATEWAY_KEY_PASSPHRASE"
    [tls]         cert = "...", key = "...", client_ca = "trust/", client_certs = "optional"
    [proxy]       trusted = ["10.0.0.5/32"], client_cert_header = "X-Client-Cert"
    [inbox]       dir = "/srv/his-drop", facility = "01001", stable_seconds = 5, poll_seconds = 1
    [callbacks]   enabled = true, poll_seconds = 2, timeout_seconds = 10, max_attempts = 12,
                  retry_base_seconds = 5, retry_max_seconds = 3600, allow_http = false,
                  allow_private_addresses = false, concurrency = 8

    [facilities."01001"]
    signature_policy = "delegated"                 # required | delegated | optional | off
    rate = 5.0
    burst = 20
    tokens = [{sha256 = "<hex>", expires_at = 2027-01-01T00:00:00Z}, "<hex>"]

    [delivery]    accounts_file = "portal-accounts.toml"   # adapters/portal/credentials.py; none: no
                  concurrency = 16, lease_seconds = 60, ...  # delivery workers (gateway/delivery/settings.py)

    [portal_face]  enabled = true, require_tls = true, token_ttl_seconds = 3600, max_failures = 5,
                   lockout_seconds = 900, take_rate = 1.0, take_burst = 10
    [portal_face.accounts."01001_BV"]
    facility = "01001"
    secret = "scrypt$16384$8$1$<salt>$<hash>"     # scrypt of the MD5 hex: never the password

    [operators.alice]
    role = "operator"                              # viewer | operator
    tokens = ["<hex sha256 of the token>"]
    certificates = ["<hex sha256 of the client certificate DER>"]

Environment variables (each overrides one key): GATEWAY_HOST, GATEWAY_PORT, GATEWAY_DATA_DIR,
GATEWAY_SCHEMA_VERSION, GATEWAY_TOKENS_FILE, GATEWAY_STORE_DSN, GATEWAY_MIN_FREE_BYTES,
GATEWAY_MAX_BODY_BYTES, GATEWAY_INTAKE_WORKER, GATEWAY_RATE, GATEWAY_BURST, GATEWAY_TRUST_DIR, GATEWAY_KEYS_DIR,
GATEWAY_SIGNATURE_POLICY, GATEWAY_REVOCATION, GATEWAY_KEY_PASSPHRASE_ENV, GATEWAY_TLS_CERT,
GATEWAY_TLS_KEY, GATEWAY_TLS_CLIENT_CA, GATEWAY_TLS_CLIENT_CERTS, GATEWAY_TRUSTED_PROXIES
(comma-separated), GATEWAY_INBOX, GATEWAY_INBOX_FACILITY, GATEWAY_CALLBACKS_ENABLED,
GATEWAY_PORTAL_ACCOUNTS. Other
`GATEWAY_*` variables belong to other parts (e.g. GATEWAY_SCHEMAS_DIR) and are ignored here.
Secrets never go in this file: tokens are stored as SHA-256 hashes, key passphrases come from an
environment variable or a file named here.
"""

from __future__ import annotations

import enum
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gateway.delivery.errors import DeliveryConfigError
from gateway.delivery.settings import DeliverySettings
from gateway.outbox.config import OutboxSettings
from gateway.signing.policy import FacilityPolicies, SignaturePolicy
from gateway.signing.trust import RevocationPolicy
from gateway.xml.safe import ParseLimits

MiB = 1024 * 1024
GiB = 1024 * MiB
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FACILITY = re.compile(r"^[0-9A-Z]{5}$")
_OPERATOR = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class ConfigError(ValueError):
    """The configuration cannot be used as written; the message names the key."""


class Role(enum.Enum):
    """What an operator may do: `viewer` reads everything, `operator` also replays."""

    VIEWER = "viewer"
    OPERATOR = "operator"


@dataclass(frozen=True)
class TokenHash:
    """A bearer token as configuration knows it: the SHA-256 of the token, and its expiry."""

    sha256: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `rate` requests per second on average, bursts of up to `burst`."""

    rate: float = 10.0
    burst: float = 50.0


@dataclass(frozen=True)
class FacilityConfig:
    """One facility's exceptions to the defaults and its configured tokens."""

    code: str
    tokens: tuple[TokenHash, ...] = ()
    signature_policy: SignaturePolicy | None = None
    rate_limit: RateLimit | None = None


@dataclass(frozen=True)
class OperatorConfig:
    """A named operator (a VSS or hub staff account), with tokens and/or certificates."""

    name: str
    role: Role = Role.VIEWER
    tokens: tuple[TokenHash, ...] = ()
    certificates: tuple[str, ...] = ()  # SHA-256 fingerprints of client certificates


@dataclass(frozen=True)
class Limits:
    """Size limits. `dossier_body_bytes` sits above the largest legal dossier (a long inpatient
    stay is a few MB); aiohttp's default of 1 MiB would refuse legal dossiers."""

    dossier_body_bytes: int = 32 * MiB
    json_body_bytes: int = 64 * 1024
    max_total_bytes: int = 96 * MiB
    max_depth: int = 32
    max_elements: int = 2_000_000

    def parse_limits(self) -> ParseLimits:
        """The safe parser's limits for one submission."""
        return ParseLimits(self.dossier_body_bytes, self.max_total_bytes, self.max_depth, self.max_elements)


@dataclass(frozen=True)
class StoreConfig:
    """Where the outbox lives and how it behaves (see gateway/outbox/README.md)."""

    dsn: str | None = None  # default: sqlite:///<data_dir>/outbox.db
    min_free_bytes: int = 2 * GiB
    checkpoint_interval_seconds: float = 300.0
    prune_interval_seconds: float = 3600.0
    payload_retention_days: float = 30.0
    resend_on_unknown: bool = True

    def outbox_settings(self) -> OutboxSettings:
        """The store's own settings value."""
        return OutboxSettings(
            min_free_bytes=self.min_free_bytes,
            payload_retention=timedelta(days=self.payload_retention_days),
            resend_on_unknown=self.resend_on_unknown,
        )


@dataclass(frozen=True)
class IntakeConfig:
    """Where the CPU-bound checks run: `process` (one worker process, the default) or `thread`
    (one worker thread in the gateway process); gateway/http/cpu.py says why."""

    worker: str = "process"
    max_waiting: int = 256  # documents waiting for the checks; one more is refused with 503 intake.busy


@dataclass(frozen=True)
class SigningConfig:
    """Trust and keys. Defaults: `<data_dir>/pki/trust` and `<data_dir>/pki` (a dev PKI)."""

    trust_dir: Path | None = None
    keys_dir: Path | None = None
    default_policy: SignaturePolicy = SignaturePolicy.REQUIRED
    revocation: RevocationPolicy = RevocationPolicy.HARD
    passphrase_env: str | None = None
    passphrase_file: Path | None = None


@dataclass(frozen=True)
class TlsConfig:
    """HTTPS and mutual TLS. `client_certs`: none | optional | required."""

    cert: Path | None = None
    key: Path | None = None
    client_ca: Path | None = None  # a PEM file or a directory of them (e.g. the trust dir)
    client_certs: str = "optional"
    key_passphrase_env: str | None = None

    @property
    def enabled(self) -> bool:
        return self.cert is not None and self.key is not None


@dataclass(frozen=True)
class ProxyConfig:
    """A reverse proxy that terminates TLS: its forwarded client certificate is believed only
    when the request comes from one of the `trusted` networks."""

    trusted: tuple[str, ...] = ()
    client_cert_header: str = "X-Client-Cert"

    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in self.trusted)


@dataclass(frozen=True)
class InboxConfig:
    """The watched folder of legacy HIS (`gateway serve --inbox DIR`)."""

    dir: Path | None = None
    facility: str | None = None  # whose documents they are; None: the facility each names
    stable_seconds: float = 5.0  # a file unchanged this long is complete (*.tmp never is)
    poll_seconds: float = 1.0


@dataclass(frozen=True)
class CallbackConfig:
    """Signed notices POSTed to the facilities' registered URLs."""

    enabled: bool = True
    poll_seconds: float = 2.0
    timeout_seconds: float = 10.0
    max_attempts: int = 12
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    allow_http: bool = False  # https only, unless a test or a closed network says otherwise
    allow_private_addresses: bool = False  # refuse loopback/private targets (SSRF)
    concurrency: int = 8


@dataclass(frozen=True)
class PortalAccount:
    """A facility's account on the portal-compatible face (gateway/http/portal_face): the
    username the HIS sends (`<MACSKCB>_BV`), its facility, and `secret`: the scrypt hash of the
    MD5 hex password (`scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`, from
    `gateway.http.portal_face.accounts.hash_password`). Never the password itself."""

    username: str
    facility: str
    secret: str


@dataclass(frozen=True)
class PortalFaceConfig:
    """The portal-compatible face: the portal's own paths and formats (issue 8).

    `require_tls`: refuse plain HTTP unless the request came over TLS or through a trusted
    TLS-terminating proxy (`[proxy] trusted`, `X-Forwarded-Proto: https`); only `gateway demo`
    and tests turn it off."""

    enabled: bool = True
    require_tls: bool = True
    token_ttl_seconds: float = 3600.0
    max_failures: int = 5  # consecutive bad passwords before a username is locked out
    lockout_seconds: float = 900.0
    take_rate: float = 1.0  # token requests per second per client address (token bucket)
    take_burst: float = 10.0
    accounts: Mapping[str, PortalAccount] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class DeliveryConfig:
    """The delivery workers: the portal accounts file (base URL, version and where each
    facility's secret lives: adapters/portal/credentials.py) and the workers' settings. Without
    an accounts file `gateway serve` runs no delivery workers."""

    accounts_file: Path | None = None
    workers: DeliverySettings = field(default_factory=DeliverySettings)


@dataclass(frozen=True)
class Settings:
    """Everything the gateway process reads from configuration (module docstring)."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    schema_version: str = "4750"
    tokens_file: Path | None = None  # default: <data_dir>/tokens.json
    store: StoreConfig = StoreConfig()
    limits: Limits = Limits()
    intake: IntakeConfig = IntakeConfig()
    rate_limit: RateLimit = RateLimit()
    signing: SigningConfig = SigningConfig()
    tls: TlsConfig = TlsConfig()
    proxy: ProxyConfig = ProxyConfig()
    inbox: InboxConfig = InboxConfig()
    callbacks: CallbackConfig = CallbackConfig()
    facilities: Mapping[str, FacilityConfig] = field(default_factory=lambda: MappingProxyType({}))
    operators: Mapping[str, OperatorConfig] = field(default_factory=lambda: MappingProxyType({}))
    portal_face: PortalFaceConfig = PortalFaceConfig()
    delivery: DeliveryConfig = DeliveryConfig()

    @property
    def store_dsn(self) -> str:
        return self.store.dsn or f"sqlite:///{self.data_dir / 'outbox.db'}"

    @property
    def trust_dir(self) -> Path:
        return self.signing.trust_dir or self.data_dir / "pki" / "trust"

    @property
    def keys_dir(self) -> Path:
        return self.signing.keys_dir or self.data_dir / "pki"

    @property
    def tokens_path(self) -> Path:
        return self.tokens_file or self.data_dir / "tokens.json"

    @property
    def callbacks_db(self) -> Path:
        return self.data_dir / "callbacks.db"

    def policies(self) -> FacilityPolicies:
        """The signature policy of every facility (default plus per-facility exceptions)."""
        overrides = {
            code: f.signature_policy for code, f in self.facilities.items() if f.signature_policy
        }
        return FacilityPolicies(self.signing.default_policy, MappingProxyType(overrides))

    def rate_for(self, facility: str) -> RateLimit:
        """The token bucket of one facility."""
        configured = self.facilities.get(facility)
        if configured is not None and configured.rate_limit is not None:
            return configured.rate_limit
        return self.rate_limit


# -- loading ---------------------------------------------------------------------------------


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
    top = _Section(data, "", base)
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


def _store(s: _Section) -> StoreConfig:
    d = StoreConfig()
    value = StoreConfig(
        dsn=s.opt_text("dsn"),
        min_free_bytes=s.integer("min_free_bytes", d.min_free_bytes, low=0),
        checkpoint_interval_seconds=s.number("checkpoint_interval_seconds", d.checkpoint_interval_seconds),
        prune_interval_seconds=s.number("prune_interval_seconds", d.prune_interval_seconds),
        payload_retention_days=s.number("payload_retention_days", d.payload_retention_days),
        resend_on_unknown=s.flag("resend_on_unknown", d.resend_on_unknown),
    )
    s.finish()
    return value


def _delivery(s: _Section) -> DeliveryConfig:
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


def _limits(s: _Section) -> Limits:
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


def _intake(s: _Section) -> IntakeConfig:
    value = IntakeConfig(worker=s.choice("worker", ("process", "thread"), "process"),
                         max_waiting=s.integer("max_waiting", IntakeConfig.max_waiting, low=1))
    s.finish()
    return value


def _rate(s: _Section, default: RateLimit) -> RateLimit:
    value = RateLimit(
        rate=s.number("rate", default.rate, positive=True),
        burst=s.number("burst", default.burst, low=1.0),
    )
    s.finish()
    return value


def _signing(s: _Section) -> SigningConfig:
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


def _tls(s: _Section) -> TlsConfig:
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


def _proxy(s: _Section) -> ProxyConfig:
    value = ProxyConfig(
        trusted=tuple(s.texts("trusted")),
        client_cert_header=s.text("client_cert_header", "X-Client-Cert"),
    )
    s.finish()
    _check_networks(value.trusted, "[proxy] trusted")
    return value


def _inbox(s: _Section) -> InboxConfig:
    value = InboxConfig(
        dir=s.path("dir"),
        facility=s.opt_text("facility"),
        stable_seconds=s.number("stable_seconds", 5.0),
        poll_seconds=s.number("poll_seconds", 1.0, positive=True),
    )
    s.finish()
    if value.facility is not None:
        _check_facility(value.facility, "[inbox] facility")
    return value


def _callbacks(s: _Section) -> CallbackConfig:
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


def _portal_face(s: _Section) -> PortalFaceConfig:
    accounts: dict[str, PortalAccount] = {}
    for username, body in s.table("accounts").items():
        a = _Section(_as_table(body, f"portal_face.accounts.{username}"), f"portal_face.accounts.{username}",
                     Path("."))
        facility = a.text("facility", username.partition("_")[0])
        _check_facility(facility, f"[portal_face.accounts.{username}] facility")
        secret = a.text("secret", "")
        if not secret.startswith("scrypt$") or secret.count("$") != 5:
            raise ConfigError(f"portal_face.accounts.{username}.secret must be a scrypt hash "
                              "(scrypt$n$r$p$salt$hash), never a password")
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
        _check_facility(code, f"[facilities.{code}]")
        s = _Section(_as_table(body, f"facilities.{code}"), f"facilities.{code}", base)
        rate = s.opt_number("rate")
        burst = s.opt_number("burst")
        limit = None
        if rate is not None or burst is not None:
            limit = RateLimit(rate if rate is not None else RateLimit().rate,
                              burst if burst is not None else RateLimit().burst)
        policy = s.opt_text("signature_policy")
        result[code] = FacilityConfig(
            code=code,
            tokens=_tokens(s.items("tokens"), f"facilities.{code}.tokens"),
            signature_policy=_enum_value(SignaturePolicy, policy, f"facilities.{code}.signature_policy")
            if policy is not None
            else None,
            rate_limit=limit,
        )
        s.finish()
    return result


def _operators(table: Mapping[str, Any], base: Path) -> dict[str, OperatorConfig]:
    result: dict[str, OperatorConfig] = {}
    for name, body in table.items():
        if not _OPERATOR.match(name):
            raise ConfigError(f"[operators.{name}]: an operator name is 1-64 of a-z 0-9 . _ -")
        s = _Section(_as_table(body, f"operators.{name}"), f"operators.{name}", base)
        certificates = tuple(c.lower().replace(":", "") for c in s.texts("certificates"))
        for cert in certificates:
            if not _HEX64.match(cert):
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
        if not isinstance(digest, str) or not _HEX64.match(digest.lower()):
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


def _check_facility(code: str, where: str) -> None:
    if not _FACILITY.match(code):
        raise ConfigError(f"{where}: {code!r} is not a facility code (5 letters or digits)")


def _check_networks(items: tuple[str, ...], where: str) -> None:
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"{where}: {item!r} is not an address or network") from None


def _as_table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"[{where}] must be a table")
    return value


def _enum_value(kind: type[enum.Enum], value: str, where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise ConfigError(f"{where}: {value!r} is not one of {allowed}") from None


class _Section:
    """Typed reads from one TOML table; `finish` refuses keys nobody asked for."""

    def __init__(self, data: Mapping[str, Any], name: str, base: Path) -> None:
        self._data = data
        self._name = name
        self._base = base
        self._seen: set[str] = set()

    def _where(self, key: str) -> str:
        return f"{self._name}.{key}" if self._name else key

    def _get(self, key: str) -> Any:
        self._seen.add(key)
        return self._data.get(key)

    def section(self, key: str) -> _Section:
        return _Section(self.table(key), self._where(key), self._base)

    def table(self, key: str) -> Mapping[str, Any]:
        value = self._get(key)
        return {} if value is None else _as_table(value, self._where(key))

    def text(self, key: str, default: str) -> str:
        value = self.opt_text(key)
        return default if value is None else value

    def opt_text(self, key: str) -> str | None:
        value = self._get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{self._where(key)} must be a string")
        return value

    def integer(self, key: str, default: int, *, low: int | None = None, high: int | None = None) -> int:
        value = self._get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self._where(key)} must be an integer")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"{self._where(key)} = {value} is out of range")
        return value

    def number(self, key: str, default: float, *, positive: bool = False, low: float | None = None) -> float:
        value = self.opt_number(key)
        if value is None:
            return default
        if value < 0 or (positive and value == 0) or (low is not None and value < low):
            raise ConfigError(f"{self._where(key)} = {value} is out of range")
        return value

    def opt_number(self, key: str) -> float | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{self._where(key)} must be a number")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(f"{self._where(key)} must be true or false")
        return value

    def path(self, key: str) -> Path | None:
        value = self.opt_text(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self._base / path

    def items(self, key: str) -> list[Any]:
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ConfigError(f"{self._where(key)} must be a list")
        return value

    def texts(self, key: str) -> list[str]:
        items = self.items(key)
        if not all(isinstance(item, str) for item in items):
            raise ConfigError(f"{self._where(key)} must be a list of strings")
        return items

    def choose(self, key: str, kind: type[Any], default: Any) -> Any:
        value = self.opt_text(key)
        return default if value is None else _enum_value(kind, value, self._where(key))

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(key, default)
        if value not in allowed:
            raise ConfigError(f"{self._where(key)}: {value!r} is not one of {', '.join(allowed)}")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            where = f"[{self._name}]" if self._name else "the top level"
            raise ConfigError(f"unknown key(s) in {where}: {', '.join(unknown)}")


# -- environment -----------------------------------------------------------------------------


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
    return lambda s, text: replace(s, **{section: replace(getattr(s, section), **{name: parse(text)})})


def _proxies(text: str) -> tuple[str, ...]:
    items = tuple(part.strip() for part in text.split(",") if part.strip())
    _check_networks(items, "GATEWAY_TRUSTED_PROXIES")
    return items


def _facility_code(text: str) -> str:
    _check_facility(text, "GATEWAY_INBOX_FACILITY")
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
