"""The fault SPEC grammar (adapters/portal/simulator/faults.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.portal import PortalConfigError
from adapters.portal.simulator import Faults, Window, parse_faults

EXAMPLE = (
    "error_rate=0.3,latency_ms=5..50,timeout_rate=0.05,reset_rate=0.05,rate_429=0.1:2,"
    "burst_5xx=10@100,refuse=MA_LK1|MA_LK2,deny=01001_BV,down=30..60"
)


def test_the_documented_example_parses() -> None:
    assert parse_faults(EXAMPLE) == Faults(
        error_rate=0.3,
        latency_ms=(5.0, 50.0),
        timeout_rate=0.05,
        reset_rate=0.05,
        rate_429=0.1,
        retry_after_s=2.0,
        burst_5xx=(10, 100),
        refuse=frozenset({"MA_LK1", "MA_LK2"}),
        deny=frozenset({"01001_BV"}),
        down=(Window(30.0, 60.0),),
    )


@pytest.mark.parametrize("spec", ["", "none", "  ", ",,"])
def test_empty_spec_is_no_faults(spec: str) -> None:
    assert parse_faults(spec) == Faults()


def test_details() -> None:
    assert parse_faults("latency_ms=20").latency_ms == (20.0, 20.0)
    assert parse_faults("rate_429=1:3:date") == Faults(rate_429=1.0, retry_after_s=3.0, retry_after_date=True)
    assert parse_faults("rate_429=0.5").retry_after_s == 1.0
    assert parse_faults("down=0..10|20..").down == (Window(0.0, 10.0), Window(20.0, None))
    assert parse_faults("hang_s=2").hang_s == 2.0


@pytest.mark.parametrize(
    "spec",
    ["error_rate=1.5", "error_rate=x", "nonsense=1", "error_rate", "latency_ms=9..3", "rate_429=0.1:2:hours",
     "burst_5xx=10", "burst_5xx=1@0", "refuse=", "down=60..30", "down=5", "hang_s=-1", "error_rate=nan"],
)  # fmt: skip
def test_malformed_items_are_named(spec: str) -> None:
    with pytest.raises(PortalConfigError) as caught:
        parse_faults(spec)
    assert caught.value.code == "sim.fault_spec"
    assert spec.split(",")[0] in caught.value.message


def test_spec_round_trips() -> None:
    assert parse_faults(parse_faults(EXAMPLE).spec()) == parse_faults(EXAMPLE)
    assert Faults().spec() == "none"


def test_downtime_and_burst_predicates() -> None:
    faults = parse_faults("down=30..60|90..,burst_5xx=2@3")
    assert [faults.is_down(t) for t in (0, 30, 59.9, 60, 89, 90, 10**6)] == [
        False, True, True, False, False, True, True,
    ]  # fmt: skip
    assert [faults.in_burst(n) for n in range(1, 7)] == [False, False, True, True, False, False]


rates = st.sampled_from([0.0, 0.05, 0.25, 0.5, 1.0])
names = st.frozensets(st.text("ABCDEF0123456789_", min_size=1, max_size=8), max_size=3)


@given(
    error=rates, timeout=rates, reset=rates, r429=rates, after=st.integers(0, 120), date=st.booleans(),
    low=st.integers(0, 50), extra=st.integers(0, 50), refuse=names, deny=names,
    burst=st.none() | st.tuples(st.integers(0, 20), st.integers(1, 500)),
    down=st.lists(st.tuples(st.integers(0, 100), st.none() | st.integers(0, 100)), max_size=3),
)  # fmt: skip
def test_any_faults_value_round_trips_through_its_spec(
    error: float, timeout: float, reset: float, r429: float, after: int, date: bool, low: int, extra: int,
    refuse: frozenset[str], deny: frozenset[str], burst: tuple[int, int] | None,
    down: list[tuple[int, int | None]],
) -> None:  # fmt: skip
    windows = tuple(Window(float(a), None if b is None else float(a + b)) for a, b in down)
    faults = Faults(
        error_rate=error, timeout_rate=timeout, reset_rate=reset, latency_ms=(float(low), float(low + extra)),
        rate_429=r429, retry_after_s=float(after) if r429 else 1.0, retry_after_date=date and bool(r429),
        burst_5xx=burst, refuse=refuse, deny=deny, down=windows,
    )  # fmt: skip
    assert parse_faults(faults.spec()) == faults
