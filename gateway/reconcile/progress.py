"""A progress bar on stderr while a stage runs: rows read and compared, rate, ETA.

DuckDB reports how far its running query is (``query_progress()``, a percentage); a thread
polls it. The Python stage reports the pairs it has compared. Nothing is drawn when the
stream is not a terminal (a log file, a pipe, CI), so it costs nothing there.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import duckdb

_WIDTH = 24
_POLL_SECONDS = 0.25


def _human(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class Progress:
    """Draws one line per stage; ``enabled`` defaults to whether ``stream`` is a terminal.
    ``clock`` is injectable for tests."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.clock = clock

    def line(self, label: str, fraction: float, total: int | None, started: float) -> str:
        """The text of the bar for ``fraction`` (0..1) of ``total`` rows. Raises nothing."""
        fraction = min(max(fraction, 0.0), 1.0)
        filled = round(_WIDTH * fraction)
        elapsed = max(self.clock() - started, 1e-9)
        text = f"{label:<22} [{'#' * filled}{'.' * (_WIDTH - filled)}] {100 * fraction:5.1f}%"
        if total:
            done = fraction * total
            text += f"  {_human(done)}/{_human(total)} rows  {_human(done / elapsed)} rows/s"
        if 0 < fraction < 1:
            text += f"  ETA {_clock(elapsed * (1 - fraction) / fraction)}"
        return text + f"  {_clock(elapsed)}"

    def _draw(self, text: str, end: str = "") -> None:
        self.stream.write("\r\033[K" + text + end)
        self.stream.flush()

    @contextmanager
    def query(
        self, label: str, con: duckdb.DuckDBPyConnection, total: int | None
    ) -> Iterator[None]:
        """Show DuckDB's progress on the queries run inside the block. Raises nothing itself."""
        if not self.enabled:
            yield
            return
        started, stop = self.clock(), threading.Event()
        best = [0.0]

        def poll() -> None:
            while not stop.wait(_POLL_SECONDS):
                try:
                    percent = con.query_progress()
                except duckdb.Error:
                    continue
                if percent >= 0:
                    best[0] = max(best[0], percent / 100)
                    self._draw(self.line(label, best[0], total, started))

        thread = threading.Thread(target=poll, name="reconcile-progress", daemon=True)
        thread.start()
        try:
            yield
        except BaseException:
            stop.set()
            thread.join()
            self._draw(self.line(label, best[0], total, started), end="\n")
            raise
        stop.set()
        thread.join()
        self._draw(self.line(label, 1.0, total, started), end="\n")

    @contextmanager
    def counted(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """A block that reports its own progress by calling the yielded ``advance(n)``."""
        started = self.clock()
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            if self.enabled and total:
                self._draw(self.line(label, done[0] / total, total, started))

        yield advance
        if self.enabled:
            self._draw(self.line(label, 1.0, total, started), end="\n")
