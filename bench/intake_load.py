"""The load generator and the observers of bench/intake.py.

`offer`: open-loop load at a fixed rate. Request i is due at start + i / rate and is sent then,
whatever the answers to earlier ones (a slow gateway meets more requests in flight, as it would
from many hospitals, instead of fewer); its latency is measured from the time it was due, so a
stalled gateway or a late load generator shows in the figures (no coordinated omission).

`StoreProbe`: the gateway's backlog read from its SQLite store through a read-only connection
of this process (WAL: readers never block the writer), so observing costs the gateway nothing.
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PENDING = ("QUEUED", "SENDING", "RETRY_WAIT", "HELD")
# Literal states, as in the partial index `messages_pending` (gateway/outbox/sqlite_schema.py), so
# that SQLite counts from that index instead of scanning every message.
PENDING_QUERY = ("SELECT state, count(*) FROM messages WHERE state IN ('QUEUED','SENDING','RETRY_WAIT','HELD') "
                 "GROUP BY state")


@dataclass(frozen=True)
class Answer:
    """One request: when it was due, how late it went out, when it was answered (seconds after
    it was due), the HTTP status (0: no answer) and whether the gateway called it a duplicate."""

    due: float
    lag: float
    latency: float
    status: int
    duplicate: bool = False
    error: str = ""


@dataclass
class Offered:
    """The answers of one phase of offered load."""

    rate: float
    started: float  # loop time of the first due time
    answers: list[Answer] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.answers)

    def accepted(self) -> int:
        return sum(a.status == 202 for a in self.answers)

    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.answers:
            name = str(a.status) if a.status else f"no answer ({a.error})"
            out[name] = out.get(name, 0) + 1
        return out

    def last_answer(self) -> float:
        return max((a.due + a.latency for a in self.answers), default=self.started)


async def offer(session: Any, url: str, headers: dict[str, str], documents: Iterable[bytes],
                rate: float, progress: Offered | None = None) -> Offered:
    """POST `documents` in order, one every 1/`rate` s from now (open loop, module docstring)."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.01
    run = progress if progress is not None else Offered(rate, start)
    run.rate, run.started = rate, start
    in_flight: set[asyncio.Task[None]] = set()

    async def one(document: bytes, due: float) -> None:
        sent = loop.time()
        status, duplicate, error = 0, False, ""
        try:
            async with session.post(url, data=document, headers=headers) as response:
                body = await response.read()
                status = response.status
            if status == 202:
                duplicate = bool(json.loads(body).get("duplicate"))
        except Exception as exc:  # counted and reported, never fatal to the run
            error = type(exc).__name__
        run.answers.append(Answer(due, sent - due, loop.time() - due, status, duplicate, error))

    for number, document in enumerate(documents):
        due = start + number / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(document, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)
    return run


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y over x; 0 with fewer than two distinct x."""
    if len(points) < 2:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return 0.0 if sxx == 0 else sum((x - mx) * (y - my) for x, y in points) / sxx


class StoreProbe:
    """Counts from the gateway's outbox (module docstring)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute("PRAGMA busy_timeout=5000")
        return self._conn

    def counts(self) -> dict[str, int]:
        """received / delivered / refused / dead (the store's daily counts, summed) and the
        pending messages by state (the partial index of pending messages: cheap)."""
        conn = self._connection()
        row = conn.execute("SELECT coalesce(sum(received),0), coalesce(sum(delivered),0), "
                           "coalesce(sum(refused),0), coalesce(sum(dead),0) FROM daily_counts").fetchone()
        out = dict(zip(("received", "delivered", "refused", "dead"), map(int, row), strict=True))
        pending = dict(conn.execute(PENDING_QUERY).fetchall())
        for state in PENDING:
            out[state] = int(pending.get(state, 0))
        out["backlog"] = sum(out[state] for state in PENDING)
        return out

    def by_state(self) -> dict[str, int]:
        """Every message by state (a full scan: only at the end)."""
        return dict(self._connection().execute("SELECT state, count(*) FROM messages GROUP BY state"))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
