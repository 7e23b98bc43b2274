"""Delivery to the assessment portal: workers that lease, send, retry and record.

    service = DeliveryService.for_portal(store, session, directory, settings=DeliverySettings())
    await service.start(); ...; await service.stop()

See README.md beside this file.
"""

from gateway.delivery.breaker import (
    BreakerPolicy,
    Breakers,
    BreakerSnapshot,
    BreakerState,
    CircuitBreaker,
)
from gateway.delivery.errors import CODES, DeliveryConfigError, DeliveryError
from gateway.delivery.held import HeldReleaser, PortalLogin
from gateway.delivery.outcomes import outcome_of
from gateway.delivery.policy import (
    RetryDecision,
    RetryPolicy,
    RetryWindow,
    retry_window,
    wait_retry_after,
)
from gateway.delivery.service import DeliveryService
from gateway.delivery.settings import DeliverySettings
from gateway.delivery.status import Counters, DeliveryStatus
from gateway.delivery.worker import Courier, PortalSender

__all__ = [
    "CODES",
    "BreakerPolicy",
    "BreakerSnapshot",
    "BreakerState",
    "Breakers",
    "CircuitBreaker",
    "Counters",
    "Courier",
    "DeliveryConfigError",
    "DeliveryError",
    "DeliveryService",
    "DeliverySettings",
    "DeliveryStatus",
    "HeldReleaser",
    "PortalLogin",
    "PortalSender",
    "RetryDecision",
    "RetryPolicy",
    "RetryWindow",
    "outcome_of",
    "retry_window",
    "wait_retry_after",
]
