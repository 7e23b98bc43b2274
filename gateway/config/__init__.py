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

from gateway.config.env import ENVIRONMENT, apply_env
from gateway.config.loading import load_settings
from gateway.config.model import (
    CallbackConfig,
    ConfigError,
    DeliveryConfig,
    FacilityConfig,
    GiB,
    InboxConfig,
    IntakeConfig,
    Limits,
    MiB,
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
)

__all__ = [
    "ENVIRONMENT",
    "CallbackConfig",
    "ConfigError",
    "DeliveryConfig",
    "FacilityConfig",
    "GiB",
    "InboxConfig",
    "IntakeConfig",
    "Limits",
    "MiB",
    "OperatorConfig",
    "PortalAccount",
    "PortalFaceConfig",
    "ProxyConfig",
    "RateLimit",
    "Role",
    "Settings",
    "SigningConfig",
    "StoreConfig",
    "TlsConfig",
    "TokenHash",
    "apply_env",
    "load_settings",
]
