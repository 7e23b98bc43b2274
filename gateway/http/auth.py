"""Who is calling: a facility (bearer token or client certificate) or a named operator.

- Bearer tokens (`Authorization: Bearer gwt_...`): from the tokens file (tokens.py: issued by
  `gateway tokens issue`, with expiry and revocation) or configured as SHA-256 hashes
  (`[facilities.X] tokens`, `[operators.Y] tokens`).
- Client certificates (mTLS): the SHA-256 fingerprint of the certificate the TLS layer verified
  names a facility through the signature registry (`registry.json`, the certificates VSS
  registered for it) or an operator (`[operators.Y] certificates`).
- Behind a reverse proxy that terminates TLS, the proxy forwards the client certificate in a
  header (`[proxy] client_cert_header`, URL-encoded PEM as nginx's `$ssl_client_escaped_cert`);
  it is believed only when the request comes from one of `[proxy] trusted`. From anywhere else
  the header is ignored.

When a request carries an Authorization header, it decides (a bad token is refused even if a
certificate is also present); otherwise the certificate does.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import ipaddress
import re
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from aiohttp import web

from gateway.config import OperatorConfig, Role, Settings, TokenHash
from gateway.http.errors import (
    AUTH_CERTIFICATE,
    AUTH_EXPIRED,
    AUTH_INVALID,
    AUTH_MISSING,
    AUTH_REVOKED,
    FORBIDDEN,
    ApiError,
)
from gateway.http.tokens import TokenBook, hash_token
from gateway.signing.registry import FacilityRegistry

_PEM_BODY = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gateway"'}


class Kind(enum.Enum):
    FACILITY = "facility"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. `name` is a facility code or an operator's name."""

    kind: Kind
    name: str
    role: Role | None = None  # operators only
    via: str = "token"  # token | mtls | forwarded-cert | inbox

    @property
    def subject(self) -> str:
        """How the audit chain names the caller: `facility:01001`, `operator:alice`."""
        return f"{self.kind.value}:{self.name}"

    @property
    def facility(self) -> str | None:
        return self.name if self.kind is Kind.FACILITY else None

    @property
    def is_operator(self) -> bool:
        return self.kind is Kind.OPERATOR


def require_facility(principal: Principal) -> str:
    """The caller's facility code; raises 403 for an operator (operators do not submit)."""
    if principal.facility is None:
        raise ApiError(403, FORBIDDEN, "only a facility may do this")
    return principal.facility


def require_role(principal: Principal, role: Role) -> None:
    """Raises 403 unless the caller is an operator with `role` (operator includes viewer)."""
    if principal.role is None:
        raise ApiError(403, FORBIDDEN, "only an operator may do this")
    if role is Role.OPERATOR and principal.role is not Role.OPERATOR:
        raise ApiError(403, FORBIDDEN, "this needs the operator role (you are a viewer)")


@dataclass(frozen=True)
class _Static:
    principal: Principal
    expires_at: datetime | None


class Authenticator:
    """Turns a request into a Principal, or refuses it with a coded 401."""

    def __init__(
        self,
        settings: Settings,
        registry: FacilityRegistry,
        tokens: TokenBook,
        clock: Callable[[], datetime],
    ) -> None:
        self._registry = registry
        self._tokens = tokens
        self._clock = clock
        self._static: dict[str, _Static] = {}
        for code, facility in settings.facilities.items():
            self._add_static(facility.tokens, Principal(Kind.FACILITY, code))
        for name, operator in settings.operators.items():
            self._add_static(operator.tokens, Principal(Kind.OPERATOR, name, operator.role))
        self._operator_certs: dict[str, OperatorConfig] = {
            cert: op for op in settings.operators.values() for cert in op.certificates
        }
        self._proxies = settings.proxy.networks()
        self._forwarded_header = settings.proxy.client_cert_header

    def _add_static(self, tokens: tuple[TokenHash, ...], principal: Principal) -> None:
        for token in tokens:
            self._static[token.sha256] = _Static(principal, token.expires_at)

    def authenticate(self, request: web.Request) -> Principal:
        """The caller of `request`. Raises ApiError 401 (`auth.*`)."""
        header = request.headers.get("Authorization")
        if header is not None:
            return self._bearer(header)
        der, via = self._certificate(request)
        if der is not None:
            return self._by_certificate(der, via)
        raise ApiError(401, AUTH_MISSING, "authentication required", headers=_CHALLENGE)

    # -- tokens --------------------------------------------------------------------------------

    def _bearer(self, header: str) -> Principal:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 200:
            raise ApiError(401, AUTH_INVALID, "expected `Authorization: Bearer <token>`", headers=_CHALLENGE)
        now = self._clock()
        record = self._tokens.lookup(token)
        if record is not None:
            if record.revoked:
                raise ApiError(401, AUTH_REVOKED, "this token was revoked", headers=_CHALLENGE)
            if record.expired(now):
                raise ApiError(401, AUTH_EXPIRED, "this token has expired", headers=_CHALLENGE)
            return _from_record(record.subject, record.role)
        static = self._static_lookup(hash_token(token))
        if static is None:
            raise ApiError(401, AUTH_INVALID, "unknown token", headers=_CHALLENGE)
        if static.expires_at is not None and static.expires_at <= now:
            raise ApiError(401, AUTH_EXPIRED, "this token has expired", headers=_CHALLENGE)
        return static.principal

    def _static_lookup(self, digest: str) -> _Static | None:
        found = None
        for known, entry in self._static.items():  # constant time over the configured hashes
            if secrets.compare_digest(known, digest):
                found = entry
        return found

    # -- certificates --------------------------------------------------------------------------

    def _certificate(self, request: web.Request) -> tuple[bytes | None, str]:
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
            der = ssl_object.getpeercert(binary_form=True)
            if der:
                return der, "mtls"
        forwarded = request.headers.get(self._forwarded_header)
        if forwarded and self._from_trusted_proxy(request.remote):
            return parse_forwarded_certificate(forwarded), "forwarded-cert"
        return None, ""

    def _from_trusted_proxy(self, remote: str | None) -> bool:
        if not remote or not self._proxies:
            return False
        try:
            address = ipaddress.ip_address(remote)
        except ValueError:
            return False
        return any(address in network for network in self._proxies)

    def _by_certificate(self, der: bytes | None, via: str) -> Principal:
        if not der:
            raise ApiError(401, AUTH_CERTIFICATE, "the forwarded client certificate cannot be read",
                           headers=_CHALLENGE)
        fingerprint = hashlib.sha256(der).hexdigest()
        operator = self._operator_certs.get(fingerprint)
        if operator is not None:
            return Principal(Kind.OPERATOR, operator.name, operator.role, via)
        facilities = self._registry.facilities_of(fingerprint)
        if len(facilities) == 1:
            return Principal(Kind.FACILITY, facilities[0], None, via)
        if facilities:
            raise ApiError(401, AUTH_CERTIFICATE,
                           "this certificate is registered for several facilities; use a token", headers=_CHALLENGE)
        raise ApiError(401, AUTH_CERTIFICATE, "this client certificate is not registered", headers=_CHALLENGE)


def _from_record(subject: str, role: str) -> Principal:
    kind, _, name = subject.partition(":")
    if kind == Kind.FACILITY.value:
        return Principal(Kind.FACILITY, name)
    return Principal(Kind.OPERATOR, name, Role(role))


def parse_forwarded_certificate(value: str) -> bytes | None:
    """The DER bytes of a forwarded client certificate: URL-encoded PEM (nginx), PEM with its
    newlines flattened to spaces (some proxies), or bare base64 DER. None when unreadable."""
    text = unquote(value.strip())
    match = _PEM_BODY.search(text)
    body = match.group(1) if match else text
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return der or None
