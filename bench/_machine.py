"""Shared benchmark helpers: the machine description and a timing loop."""

from __future__ import annotations

import datetime
import os
import platform
import time
from collections.abc import Callable


def machine() -> str:
    """One line: date, CPU model, cores, Python."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    return f"{today}, {model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def rate(fn: Callable[[], object], *, min_seconds: float = 2.0, min_runs: int = 5) -> float:
    """Calls per second of `fn` on one core: best of 3 rounds of at least `min_seconds` each."""
    fn()  # warm up (schema compilation, caches)
    best = 0.0
    for _ in range(3):
        runs = 0
        started = time.perf_counter()
        while True:
            fn()
            runs += 1
            elapsed = time.perf_counter() - started
            if runs >= min_runs and elapsed >= min_seconds / 3:
                break
        best = max(best, runs / elapsed)
    return best
