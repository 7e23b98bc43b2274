"""The progress bar: drawn on a terminal only, with rows, rate and ETA (a fake clock, no sleeps)."""

from __future__ import annotations

import io

import duckdb

from gateway.reconcile.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_line_shows_rows_rate_and_eta() -> None:
    clock = Clock()
    progress = Progress(FakeTerminal(), clock=clock)
    clock.now = 110.0
    line = progress.line("reading and comparing", 0.25, 4_000_000, started=100.0)
    assert (
        "25.0%" in line
        and "1.0M/4.0M rows" in line
        and "100.0k rows/s" in line
        and "ETA 0:30" in line
    )


def test_nothing_is_drawn_when_the_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    with progress.counted("comparing", 10) as advance:
        advance(10)
    with progress.query("reading", duckdb.connect(), 10):
        pass
    assert stream.getvalue() == ""


def test_counted_stage_ends_with_a_complete_line() -> None:
    stream = FakeTerminal()
    with Progress(stream, clock=Clock()).counted("comparing names", 4) as advance:
        advance(2)
        advance(2)
    assert stream.getvalue().endswith("\n")
    assert "100.0%" in stream.getvalue().splitlines()[-1]


def test_query_stage_draws_a_final_line() -> None:
    stream = FakeTerminal()
    con = duckdb.connect()
    with Progress(stream).query("reading", con, 3):
        con.execute("SELECT 42").fetchall()
    assert "reading" in stream.getvalue() and stream.getvalue().endswith("\n")
