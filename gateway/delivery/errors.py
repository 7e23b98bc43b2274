"""The exception root of gateway.delivery, and the codes the workers write into outcomes.

The workers raise nothing for what the portal or the network does: that becomes an outcome in
the store. They raise `DeliveryConfigError` only for settings that cannot work (the caller's
mistake, at start-up).
"""

from __future__ import annotations

# -- written into outcomes (Outcome.code) and log lines -----------------------------------------
RETRIES_EXHAUSTED = "delivery.retries_exhausted"
CIRCUIT_OPEN = "delivery.circuit_open"
NO_ENDPOINT = "delivery.no_endpoint"
SEND_ERROR = "delivery.send_error"
# -- raised (DeliveryConfigError) -----------------------------------------------------------------
SETTINGS = "delivery.settings"

CODES: dict[str, str] = {
    RETRIES_EXHAUSTED: "the retry policy stopped (maximum attempts, or the delivery deadline "
    "would pass before the next attempt): the document is DEAD until an operator replays it",
    CIRCUIT_OPEN: "the destination's circuit breaker is open: the attempt was put off, no "
    "retry spent",
    NO_ENDPOINT: "the portal has no endpoint for the document's type and schema version: DEAD",
    SEND_ERROR: "the portal client raised instead of answering: treated as an unknown outcome "
    "(the next send is an audited re-send)",
    SETTINGS: "delivery settings that cannot work (a negative interval, zero workers ...)",
}


class DeliveryError(Exception):
    """Root of every exception raised by gateway.delivery."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class DeliveryConfigError(DeliveryError):
    """Delivery settings that cannot work (the caller's mistake, raised at start-up)."""
