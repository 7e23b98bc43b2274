"""The delivery workers' settings: one frozen value built from configuration and passed in.

Durations are plain numbers with their unit in the name, so a TOML file or a `GATEWAY_*`
variable maps onto them one to one. The defaults suit one machine and `gateway demo`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from gateway.delivery.errors import SETTINGS, DeliveryConfigError


@dataclass(frozen=True)
class DeliverySettings:
    """How the delivery workers behave.

    Sending: up to `concurrency` sends in flight per process; each holds a lease of
    `lease_seconds`, renewed while its send lasts, so a crashed process's documents are picked
    up by another one `lease_seconds` after the crash. With nothing due, the dispatcher looks
    again every `poll_seconds` (or at once when woken).

    Retrying (TECH_NOTES "Retries"): the wait before attempt n+1 is drawn uniformly from
    [0, min(retry_cap_seconds, retry_base_seconds * 2**(n-1))] (full jitter), or is the
    portal's Retry-After when it gave one (at most `retry_after_cap_seconds`). The policy stops
    (the document goes DEAD) after `max_attempts` attempts, or when the next attempt would come
    `deadline_days` or more after the first one (tenacity's `stop_before_delay`).

    Circuit breaker, per portal base URL: opens after `breaker_failures` consecutive transient
    failures; after `breaker_cooldown_seconds` one probe is let through (half-open).

    Held facilities (the portal refused their credentials): a fresh login is tried every
    `held_check_minutes`; when it succeeds, the facility's documents are released.

    `stop_timeout_seconds`: how long `stop()` lets sends in flight finish before abandoning
    them (their leases expire and another process re-sends them, audited).
    """

    concurrency: int = 16
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    retry_base_seconds: float = 2.0
    retry_cap_seconds: float = 3600.0
    retry_after_cap_seconds: float = 6 * 3600.0
    max_attempts: int = 200
    deadline_days: float = 7.0
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 30.0
    held_check_minutes: float = 5.0
    stop_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value <= 0:
                raise DeliveryConfigError(
                    SETTINGS, f"{item.name} must be more than 0, not {value!r}"
                )
        if self.retry_cap_seconds < self.retry_base_seconds:
            raise DeliveryConfigError(
                SETTINGS, "retry_cap_seconds must be at least retry_base_seconds"
            )
