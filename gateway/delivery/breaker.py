"""A circuit breaker per destination (the portal's base URL).

    CLOSED     sends go out; `failures` consecutive transient failures open it
    OPEN       nothing is sent; after `cooldown` the next send is let through as a probe
    HALF_OPEN  one probe in flight, every other send waits; its success closes the circuit,
               its transient failure opens it again for another cooldown

Only transient failures count. A refusal or a delivery is an answer: the portal is up. An
account refusal (AuthFailed) neither opens nor closes the circuit: it says nothing about the
destination as a whole (the facility is held instead). Time is the injected clock; state
changes are log lines, and `snapshot()` is what the status API shows.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.delivery.logs import emit
from gateway.delivery.settings import DeliverySettings

Clock = Callable[[], datetime]


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerPolicy:
    """When a circuit opens, and how long it stays open before a probe."""

    failures: int = 5
    cooldown: timedelta = timedelta(seconds=30)

    @classmethod
    def from_settings(cls, settings: DeliverySettings) -> BreakerPolicy:
        return cls(settings.breaker_failures, timedelta(seconds=settings.breaker_cooldown_seconds))


@dataclass(frozen=True)
class BreakerSnapshot:
    """One destination's circuit, as the status API shows it."""

    destination: str
    state: BreakerState
    consecutive_failures: int
    opened_at: datetime | None
    probe_at: datetime | None  # OPEN: when a probe will be let through
    times_opened: int

    def to_json(self) -> dict[str, object]:
        return {
            "destination": self.destination, "state": self.state.value,
            "consecutive_failures": self.consecutive_failures,
            "opened_at": self.opened_at.isoformat() if self.opened_at else None,
            "probe_at": self.probe_at.isoformat() if self.probe_at else None,
            "times_opened": self.times_opened,
        }  # fmt: skip


class CircuitBreaker:
    """The circuit of one destination (module docstring). Not thread-safe: one event loop."""

    def __init__(
        self, destination: str, policy: BreakerPolicy, clock: Clock, logger: logging.Logger
    ) -> None:
        self.destination = destination
        self._policy = policy
        self._clock = clock
        self._log = logger
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: datetime | None = None
        self._probing = False
        self._times_opened = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.destination!r}, {self._state.value})"

    @property
    def state(self) -> BreakerState:
        return self._state

    def allow(self) -> bool:
        """May a send go out now? Taking the half-open probe when the cool-down is over: the
        caller must then report its result (success, failure or neutral)."""
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.OPEN and self._clock() >= self._probe_at():
            self._move(BreakerState.HALF_OPEN)
        if self._state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def resume_at(self) -> datetime:
        """The earliest time a send may be let through (now when closed)."""
        now = self._clock()
        if self._state is BreakerState.OPEN:
            return max(now, self._probe_at())
        if self._state is BreakerState.HALF_OPEN:
            return now + self._policy.cooldown  # the probe's answer is awaited
        return now

    def waiting(self) -> bool:
        """OPEN, and the cool-down not over: no send can go out to this destination now."""
        return self._state is BreakerState.OPEN and self._clock() < self._probe_at()

    def success(self) -> None:
        """The destination answered (delivered or refused): close the circuit."""
        self._failures = 0
        self._probing = False
        if self._state is not BreakerState.CLOSED:
            self._opened_at = None
            self._move(BreakerState.CLOSED)

    def failure(self) -> None:
        """A transient failure: count it; open (again) at the threshold or when probing."""
        self._failures += 1
        was_probe = self._state is BreakerState.HALF_OPEN and self._probing
        self._probing = False
        if was_probe or (
            self._state is BreakerState.CLOSED and self._failures >= self._policy.failures
        ):
            self._opened_at = self._clock()
            self._times_opened += 1
            self._move(BreakerState.OPEN)

    def neutral(self) -> None:
        """A send that says nothing about the destination (an account refusal, or a send that
        did not happen): give the probe back if this was it."""
        self._probing = False

    def snapshot(self) -> BreakerSnapshot:
        probe_at = self._probe_at() if self._state is BreakerState.OPEN else None
        return BreakerSnapshot(self.destination, self._state, self._failures, self._opened_at, probe_at,
                               self._times_opened)  # fmt: skip

    def _probe_at(self) -> datetime:
        assert self._opened_at is not None
        return self._opened_at + self._policy.cooldown

    def _move(self, to: BreakerState) -> None:
        before, self._state = self._state, to
        level = logging.WARNING if to is BreakerState.OPEN else logging.INFO
        emit(self._log, {"event": "delivery.circuit", "destination": self.destination, "from": before.value,
                         "to": to.value, "consecutive_failures": self._failures}, level)  # fmt: skip


class Breakers:
    """The circuit breakers of every destination, made on first use."""

    def __init__(self, policy: BreakerPolicy, clock: Clock, logger: logging.Logger) -> None:
        self._policy = policy
        self._clock = clock
        self._log = logger
        self._by_destination: dict[str, CircuitBreaker] = {}

    def __repr__(self) -> str:
        return f"Breakers({sorted(self._by_destination)})"

    def get(self, destination: str) -> CircuitBreaker:
        breaker = self._by_destination.get(destination)
        if breaker is None:
            breaker = CircuitBreaker(destination, self._policy, self._clock, self._log)
            self._by_destination[destination] = breaker
        return breaker

    def all_waiting(self, destinations: Iterable[str]) -> bool:
        """True when every one of `destinations` (at least one) has an open circuit still
        cooling down: nothing could be sent, so there is no point leasing."""
        chosen = list(destinations)
        return bool(chosen) and all(
            d in self._by_destination and self._by_destination[d].waiting() for d in chosen
        )

    def waiting_among(self, destinations: Iterable[str]) -> frozenset[str]:
        """Those of `destinations` whose circuit is open and still cooling down (nothing can
        be sent there now); a destination never used has no circuit yet and is not waiting."""
        return frozenset(
            d for d in destinations if d in self._by_destination and self._by_destination[d].waiting()
        )

    def snapshot(self) -> list[BreakerSnapshot]:
        return [b.snapshot() for _, b in sorted(self._by_destination.items())]
