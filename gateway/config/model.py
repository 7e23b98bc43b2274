"""The settings' types: one frozen dataclass per section of the TOML file (see the package's
docstring), the defaults, and the checks shared by the file and the environment."""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType

from gateway.delivery.settings import DeliverySettings
from gateway.outbox.config import OutboxSettings
from gateway.signing.policy import FacilityPolicies, SignaturePolicy
from gateway.signing.trust import RevocationPolicy
from gateway.xml.safe import ParseLimits

MiB = 1024 * 1024
GiB = 1024 * MiB
HEX64 = re.compile(r"^[0-9a-f]{64}$")
FACILITY_CODE = re.compile(r"^[0-9A-Z]{5}$")
OPERATOR_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


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
        return ParseLimits(
            self.dossier_body_bytes, self.max_total_bytes, self.max_depth, self.max_elements
        )


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
    max_waiting: int = (
        256  # documents waiting for the checks; one more is refused with 503 intake.busy
    )


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


# -- checks shared by the file and the environment ----------------------------------------


def check_facility(code: str, where: str) -> None:
    """Refuse a facility code that is not 5 letters or digits. Raises ConfigError naming ``where``."""
    if not FACILITY_CODE.match(code):
        raise ConfigError(f"{where}: {code!r} is not a facility code (5 letters or digits)")


def check_networks(items: tuple[str, ...], where: str) -> None:
    """Refuse an item that is not an IP address or network. Raises ConfigError naming ``where``."""
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"{where}: {item!r} is not an address or network") from None
