"""The simulator's fault injection: a frozen `Faults` value parsed from a SPEC string.

Grammar (items separated by commas, in any order; an empty SPEC or `none` means no faults):

    error_rate=P          answer HTTP 500 to a fraction P (0..1) of API requests (not stored)
    latency_ms=A[..B]     delay every request by A ms, or uniformly A..B ms
    timeout_rate=P        store the document, then never answer (hang for `hang_s` or until the
                          simulator stops): the client's read timeout fires, outcome unknown
    reset_rate=P          store the document, then reset the connection (TCP RST) unanswered
    rate_429=P[:S[:date]] answer HTTP 429 with `Retry-After: S` (seconds, default 1), or the
                          same delay as an HTTP date with `:date`
    burst_5xx=N@K         the API requests numbered K .. K+N-1 (1-based, counted since start or
                          since the faults were last changed) answer HTTP 503
    refuse=K1|K2          refuse documents naming any of these MA_LK (or SO_BIEN_BAN) keys
    deny=U1|U2            these accounts are refused: maKetQua "401" at login, HTTP 401 on calls
    down=A..B[|C..D]      downtime windows, in seconds since the simulator started (by its
                          clock): every request, the token endpoint's too, answers HTTP 503.
                          B may be left out: down until the faults are changed
    hang_s=S              how long a `timeout_rate` request hangs (default 3600)

Example: `error_rate=0.3,latency_ms=5..50,timeout_rate=0.05,reset_rate=0.05,rate_429=0.1:2,
burst_5xx=10@100,refuse=LK1|LK2,deny=01001_BV,down=30..60`.

"API requests" are submissions and card lookups; the token endpoint sees only `latency_ms`,
`deny` and `down`. Each API request draws the same random numbers in the same order whatever
the faults, so one seed gives one sequence of decisions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from adapters.portal.errors import FAULT_SPEC, PortalConfigError


@dataclass(frozen=True)
class Window:
    """A downtime window [start, end) in seconds since the simulator started; end None = open."""

    start: float
    end: float | None = None

    def contains(self, elapsed: float) -> bool:
        return self.start <= elapsed and (self.end is None or elapsed < self.end)

    def spec(self) -> str:
        return f"{_num(self.start)}..{'' if self.end is None else _num(self.end)}"


@dataclass(frozen=True)
class Faults:
    """What the simulator does wrong, and how often. The default is a well-behaved portal."""

    error_rate: float = 0.0
    latency_ms: tuple[float, float] = (0.0, 0.0)
    timeout_rate: float = 0.0
    reset_rate: float = 0.0
    rate_429: float = 0.0
    retry_after_s: float = 1.0
    retry_after_date: bool = False
    burst_5xx: tuple[int, int] | None = None  # (count N, first request K)
    refuse: frozenset[str] = field(default_factory=frozenset)
    deny: frozenset[str] = field(default_factory=frozenset)
    down: tuple[Window, ...] = ()
    hang_s: float = 3600.0

    def is_down(self, elapsed: float) -> bool:
        return any(w.contains(elapsed) for w in self.down)

    def in_burst(self, request_number: int) -> bool:
        if self.burst_5xx is None:
            return False
        count, first = self.burst_5xx
        return first <= request_number < first + count

    def spec(self) -> str:
        """The SPEC string that parses back to this value ("none" for no faults)."""
        parts = []
        for name in ("error_rate", "timeout_rate", "reset_rate"):
            if getattr(self, name):
                parts.append(f"{name}={_num(getattr(self, name))}")
        low, high = self.latency_ms
        if high:
            parts.append(f"latency_ms={_num(low)}" + ("" if low == high else f"..{_num(high)}"))
        if self.rate_429:
            parts.append(f"rate_429={_num(self.rate_429)}:{_num(self.retry_after_s)}"
                         + (":date" if self.retry_after_date else ""))  # fmt: skip
        if self.burst_5xx:
            parts.append(f"burst_5xx={self.burst_5xx[0]}@{self.burst_5xx[1]}")
        for name in ("refuse", "deny"):
            if getattr(self, name):
                parts.append(f"{name}={'|'.join(sorted(getattr(self, name)))}")
        if self.down:
            parts.append("down=" + "|".join(w.spec() for w in self.down))
        if self.hang_s != Faults.hang_s:
            parts.append(f"hang_s={_num(self.hang_s)}")
        return ",".join(parts) or "none"


@dataclass(frozen=True)
class Draw:
    """What the dice said for one request: the same five draws per request, whatever the faults."""

    latency_s: float
    too_many: bool  # answer 429
    error: bool  # answer 500
    hang: bool  # store, then never answer
    reset: bool  # store, then reset the connection


def draw(faults: Faults, rng: random.Random) -> Draw:
    """Roll the dice for one request (module docstring: one seed, one sequence)."""
    u_latency, u_429, u_error, u_hang, u_reset = (rng.random() for _ in range(5))
    low, high = faults.latency_ms
    return Draw(
        latency_s=(low + (high - low) * u_latency) / 1000.0,
        too_many=u_429 < faults.rate_429,
        error=u_error < faults.error_rate,
        hang=u_hang < faults.timeout_rate,
        reset=u_reset < faults.reset_rate,
    )


def parse_faults(spec: str) -> Faults:
    """Parse a SPEC string (module docstring) into Faults.

    Raises PortalConfigError `sim.fault_spec` naming the item that does not parse.
    """
    text = spec.strip()
    if text in ("", "none"):
        return Faults()
    values: dict[str, Any] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        parser = _PARSERS.get(key)
        if not sep or parser is None:
            known = ", ".join(sorted(_PARSERS))
            raise PortalConfigError(FAULT_SPEC, f"{item!r}: expected KEY=VALUE with KEY one of {known}")
        try:
            values.update(parser(value))
        except ValueError as exc:
            raise PortalConfigError(FAULT_SPEC, f"{item!r}: {exc}") from None
    return replace(Faults(), **values)


def _rate(name: str) -> Callable[[str], dict[str, Any]]:
    def parse(value: str) -> dict[str, Any]:
        return {name: _probability(value)}

    return parse


def _probability(value: str) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise ValueError("a rate must be between 0 and 1")
    return rate


def _non_negative(value: str) -> float:
    number = float(value)
    if not number >= 0.0 or number == float("inf"):
        raise ValueError(f"{value!r} must be a finite number >= 0")
    return number


def _latency(value: str) -> dict[str, Any]:
    low, sep, high = value.partition("..")
    a = _non_negative(low)
    b = _non_negative(high) if sep else a
    if b < a:
        raise ValueError("latency A..B needs A <= B")
    return {"latency_ms": (a, b)}


def _rate_429(value: str) -> dict[str, Any]:
    parts = value.split(":")
    if len(parts) > 3 or (len(parts) == 3 and parts[2] != "date"):
        raise ValueError("expected P[:SECONDS[:date]]")
    out: dict[str, Any] = {"rate_429": _probability(parts[0])}
    if len(parts) >= 2:
        out["retry_after_s"] = _non_negative(parts[1])
    out["retry_after_date"] = len(parts) == 3
    return out


def _burst(value: str) -> dict[str, Any]:
    count, sep, first = value.partition("@")
    if not sep:
        raise ValueError("expected N@K")
    n, k = int(count), int(first)
    if n < 0 or k < 1:
        raise ValueError("N must be >= 0 and K >= 1")
    return {"burst_5xx": (n, k)}


def _names(name: str) -> Callable[[str], dict[str, Any]]:
    def parse(value: str) -> dict[str, Any]:
        names = frozenset(v.strip() for v in value.split("|") if v.strip())
        if not names:
            raise ValueError("expected NAME[|NAME...]")
        return {name: names}

    return parse


def _down(value: str) -> dict[str, Any]:
    windows = []
    for part in value.split("|"):
        start, sep, end = part.strip().partition("..")
        if not sep:
            raise ValueError("expected START..[END] (seconds)")
        window = Window(_non_negative(start), _non_negative(end) if end.strip() else None)
        if window.end is not None and window.end < window.start:
            raise ValueError("a window's END must not be before its START")
        windows.append(window)
    return {"down": tuple(windows)}


def _hang(value: str) -> dict[str, Any]:
    return {"hang_s": _non_negative(value)}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


_PARSERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "error_rate": _rate("error_rate"),
    "timeout_rate": _rate("timeout_rate"),
    "reset_rate": _rate("reset_rate"),
    "latency_ms": _latency,
    "rate_429": _rate_429,
    "burst_5xx": _burst,
    "refuse": _names("refuse"),
    "deny": _names("deny"),
    "down": _down,
    "hang_s": _hang,
}
