"""The assessment portal (VSS): its client, and beside it a simulator (`adapters.portal.simulator`).

    client = PortalClient(session, load_directory(path), clock=clock)
    outcome = await client.send("01001", "envelope", document)   # Delivered | Refused | AuthFailed | Transient
    status = await client.lookup_card("01001", CardQuery(...))    # CardStatus | AuthFailed | Transient
"""

from adapters.portal.auth import Token, TokenCache, TokenPolicy, parse_expiry
from adapters.portal.cards import CARD_RESULTS, CardQuery, CardResult, CardStatus, Check, Visit
from adapters.portal.client import CardLookupResult, PortalClient, PortalSettings
from adapters.portal.credentials import (
    Credentials,
    FacilityAccount,
    PortalDirectory,
    Secret,
    load_directory,
    md5_upper,
)
from adapters.portal.errors import CODES, PortalConfigError, PortalError
from adapters.portal.outcomes import (
    AuthFailed,
    Delivered,
    Refused,
    SendOutcome,
    Transient,
    parse_portal_time,
    parse_retry_after,
)
from adapters.portal.paths import LOAI_HO_SO, submit_path
from adapters.portal.transport import Timeouts

__all__ = [
    "CARD_RESULTS",
    "CODES",
    "LOAI_HO_SO",
    "AuthFailed",
    "CardLookupResult",
    "CardQuery",
    "CardResult",
    "CardStatus",
    "Check",
    "Credentials",
    "Delivered",
    "FacilityAccount",
    "PortalClient",
    "PortalConfigError",
    "PortalDirectory",
    "PortalError",
    "PortalSettings",
    "Refused",
    "Secret",
    "SendOutcome",
    "Timeouts",
    "Token",
    "TokenCache",
    "TokenPolicy",
    "Transient",
    "Visit",
    "load_directory",
    "md5_upper",
    "parse_expiry",
    "parse_portal_time",
    "parse_retry_after",
    "submit_path",
]
