"""The exception root of adapters.portal, the codes it raises, and the outcome codes it returns.

The client returns outcomes (outcomes.py) for everything the portal or the network does; it
raises only for the caller's own mistakes: `PortalConfigError` (a malformed accounts file, an
unknown document type or version). Both carry a stable code.
"""

from __future__ import annotations

# -- raised (PortalConfigError) ---------------------------------------------------------------
CONFIG = "portal.config"
DOCUMENT_TYPE = "portal.document_type"
FAULT_SPEC = "sim.fault_spec"

# -- returned in outcomes (AuthFailed.code / Transient.reason) --------------------------------
AUTH_401 = "portal.auth.401"
AUTH_403 = "portal.auth.403"
NO_ACCOUNT = "portal.auth.no_account"
TIMEOUT = "portal.timeout"
CONNECT_TIMEOUT = "portal.connect_timeout"
CONNECT = "portal.connect"
RESET = "portal.reset"
BAD_ANSWER = "portal.bad_answer"
RATE_LIMITED = "portal.http.429"
TOKEN = "portal.token"  # the token endpoint failed transiently (the document was not sent)

CODES: dict[str, str] = {
    CONFIG: "the portal accounts configuration is malformed or names a secret that is missing",
    DOCUMENT_TYPE: "a document type or schema version the portal has no endpoint for",
    FAULT_SPEC: "a simulator fault specification that does not parse",
    AUTH_401: "the portal refused the account's credentials or token (HTTP or maKetQua 401), "
    "also after a fresh login",
    AUTH_403: "the portal refused the account access (HTTP or maKetQua 403), also after a fresh login",
    NO_ACCOUNT: "no portal account is configured for the facility",
    TIMEOUT: "no answer in time after the request was sent: the outcome is unknown",
    CONNECT_TIMEOUT: "the connection could not be opened in time: nothing was sent",
    CONNECT: "the connection was refused or the name did not resolve: nothing was sent",
    RESET: "the connection broke after the request was sent: the outcome is unknown",
    BAD_ANSWER: "the portal answered something that is not its JSON contract",
    RATE_LIMITED: "the portal asked us to slow down (HTTP 429, maybe with Retry-After)",
    TOKEN: "the token endpoint failed (5xx, timeout, connection): the document was not sent",
}


class PortalError(Exception):
    """Root of every exception raised by adapters.portal; `code` is stable, `message` human."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PortalConfigError(PortalError):
    """The caller's configuration or arguments are wrong (not the portal's doing)."""
