"""The circuit breaker of one destination, on a fake clock."""

from __future__ import annotations

import logging
from datetime import timedelta

from gateway.delivery import BreakerPolicy, Breakers, BreakerState, CircuitBreaker
from tests.delivery.conftest import FakeClock

POLICY = BreakerPolicy(failures=3, cooldown=timedelta(seconds=30))
LOG = logging.getLogger("tests.delivery")


def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker("https://portal.example", POLICY, clock, LOG)


def test_the_circuit_opens_after_n_consecutive_transient_failures(clock: FakeClock) -> None:
    circuit = breaker(clock)
    for _ in range(2):
        assert circuit.allow()
        circuit.failure()
    circuit.success()  # not consecutive: the count starts again
    for _ in range(3):
        assert circuit.allow()
        circuit.failure()
    assert circuit.state is BreakerState.OPEN and not circuit.allow()
    snapshot = circuit.snapshot()
    assert snapshot.probe_at == clock() + timedelta(seconds=30) and snapshot.times_opened == 1


def test_after_the_cooldown_one_probe_goes_and_its_success_closes_the_circuit(
    clock: FakeClock,
) -> None:
    circuit = breaker(clock)
    for _ in range(3):
        circuit.failure()
    clock.advance(seconds=29)
    assert not circuit.allow() and circuit.resume_at() == clock() + timedelta(seconds=1)
    clock.advance(seconds=1)
    assert circuit.allow()  # the probe
    assert circuit.state is BreakerState.HALF_OPEN
    assert not circuit.allow()  # only one
    circuit.success()
    assert circuit.state is BreakerState.CLOSED and circuit.allow()


def test_a_failed_probe_opens_the_circuit_for_another_cooldown(clock: FakeClock) -> None:
    circuit = breaker(clock)
    for _ in range(3):
        circuit.failure()
    clock.advance(seconds=30)
    assert circuit.allow()
    circuit.failure()
    assert circuit.state is BreakerState.OPEN and circuit.snapshot().times_opened == 2
    assert circuit.resume_at() == clock() + timedelta(seconds=30)


def test_an_account_refusal_neither_opens_nor_closes_but_gives_the_probe_back(
    clock: FakeClock,
) -> None:
    circuit = breaker(clock)
    for _ in range(10):
        circuit.neutral()
    assert circuit.state is BreakerState.CLOSED
    for _ in range(3):
        circuit.failure()
    clock.advance(seconds=30)
    assert circuit.allow()
    circuit.neutral()
    assert circuit.state is BreakerState.HALF_OPEN and circuit.allow()  # the next may probe


def test_breakers_are_per_destination_and_readable(clock: FakeClock) -> None:
    breakers = Breakers(POLICY, clock, LOG)
    for _ in range(3):
        breakers.get("https://a").failure()
    breakers.get("https://b").success()
    assert [(s.destination, s.state) for s in breakers.snapshot()] == [
        ("https://a", BreakerState.OPEN),
        ("https://b", BreakerState.CLOSED),
    ]
    assert breakers.all_waiting(["https://a"]) and not breakers.all_waiting(
        ["https://a", "https://b"]
    )
    assert breakers.snapshot()[0].to_json()["state"] == "open"
