"""Outbox speed: acknowledged writes per second of ~40 KB documents with group commit, beside
the floor measured in the same run (raw sqlite3 inserts of the same blobs, WAL,
synchronous=FULL, 50-row transactions). Target (issue 5): >= 1,500/s and within 2x of the floor.

An acknowledged write is `await store.accept(...)` returning: the message, its keys, its audit
record and its daily count are committed and fsync'd. `--concurrency` accepts are in flight at
once, as from that many HTTP requests.

    .venv/bin/python bench/outbox.py [--count 5000] [--concurrency 128]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from _machine import machine
from gateway.outbox import DocumentType, OutboxSettings, Submission, open_store
from gateway.samples import generate_one

TARGET_RATE = 1500
TARGET_RATIO = 2.0


def documents(count: int) -> list[bytes]:
    """`count` distinct ~40 KB documents: one typical dossier, each copy made unique."""
    base = generate_one(random.Random(7), "typical", "01001")
    return [base + f"<!-- {i} -->".encode() for i in range(count)]


def floor(blobs: list[bytes], directory: Path) -> float:
    """Raw sqlite3 inserts per second: WAL, synchronous=FULL, 50-row transactions."""
    conn = sqlite3.connect(directory / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, content BLOB NOT NULL)")
    started = time.perf_counter()
    for start in range(0, len(blobs), 50):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t (content) VALUES (?)", ((b,) for b in blobs[start:start + 50]))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return len(blobs) / elapsed


async def store_rate(blobs: list[bytes], directory: Path, concurrency: int) -> tuple[float, int]:
    """Acknowledged accepts per second, and the number of group commits they took."""
    settings = OutboxSettings(min_free_bytes=0)
    store = await open_store(f"sqlite:///{directory / 'outbox.db'}", settings=settings)
    submissions = [
        Submission(f"{1001 + i % 50:05d}", DocumentType.ENVELOPE, (f"BENCH{i:08d}",),
                   hashlib.sha256(blob).hexdigest(), blob, "bench")
        for i, blob in enumerate(blobs)
    ]
    queue = iter(submissions)

    async def client() -> None:
        for submission in queue:
            await store.accept(submission)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    commits = store.commits  # type: ignore[attr-defined]
    await store.close()
    return len(blobs) / elapsed, commits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5, help="floor and outbox alternate; medians shown")
    args = parser.parse_args()
    blobs = documents(args.count)
    size = sum(len(b) for b in blobs) / len(blobs) / 1024
    raws: list[float] = []
    rates: list[float] = []
    commits = 0
    for round_number in range(args.rounds + 1):  # round 0 warms the disk and the caches
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            raw = floor(blobs, Path(tmp))
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            accepted, commits = asyncio.run(store_rate(blobs, Path(tmp), args.concurrency))
        if round_number:
            raws.append(raw)
            rates.append(accepted)
    raw, accepted = statistics.median(raws), statistics.median(rates)
    ratio = raw / accepted
    print(f"Machine: {machine()}, SQLite {sqlite3.sqlite_version}\n")
    print(f"| measure ({args.count} documents of {size:.1f} KB, median of {args.rounds} alternating rounds) "
          "| per second | rounds (per second) |")
    print("|---|---:|---|")
    print(f"| floor: raw sqlite3 inserts, WAL, synchronous=FULL, 50-row transactions | {raw:,.0f} | "
          f"{', '.join(f'{r:,.0f}' for r in raws)} |")
    print(f"| outbox `accept`, acknowledged (group commit, {args.concurrency} in flight, "
          f"~{args.count / commits:.0f} per commit) | {accepted:,.0f} | {', '.join(f'{r:,.0f}' for r in rates)} |")
    met = accepted >= TARGET_RATE and ratio <= TARGET_RATIO
    print(f"\nfloor/outbox: {ratio:.2f}x. Target: >= {TARGET_RATE:,}/s and within {TARGET_RATIO:.0f}x of "
          f"the floor: {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
