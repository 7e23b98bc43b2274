"""Copying the SQLite write-ahead log back into the database, off the writer's thread.

SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold, so the writer
(and every acknowledgement waiting on it) would stall while the log is copied and the database
file fsynced. Here the writer's connection has `wal_autocheckpoint=0` and this thread, with its
own connection, runs a PASSIVE checkpoint after commits: the copy overlaps the next group. A
PASSIVE checkpoint never blocks the writer, so under sustained load it may not catch up and the
log grows; past `restart_pages` a RESTART checkpoint waits for the writer once and lets the log
start over. (Unrelated to the audit chain's signed checkpoints, checkpoint.py.)
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

_log = logging.getLogger("gateway.outbox")
DEFAULT_RESTART_PAGES = 16384  # 64 MiB of 4 KiB pages


class WalCheckpointer:
    """A thread that checkpoints the WAL whenever `poke()` says there is something new."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], restart_pages: int = DEFAULT_RESTART_PAGES) -> None:
        self._connect = connect
        self._restart_pages = restart_pages
        self._wanted = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        conn = self._connect()
        self._thread = threading.Thread(target=self._loop, args=(conn,), name="outbox-wal", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """New frames were committed."""
        self._wanted.set()

    def close(self) -> None:
        """Stop after a last full checkpoint (the log is truncated)."""
        self._stopping = True
        self._wanted.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self, conn: sqlite3.Connection) -> None:
        try:
            while not self._stopping:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    break
                self._checkpoint(conn, "PASSIVE")
            self._checkpoint(conn, "TRUNCATE")
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection, mode: str) -> None:
        try:
            row = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
            if mode == "PASSIVE" and row is not None and row[1] > self._restart_pages:
                conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        except sqlite3.Error as exc:  # a checkpoint failing loses nothing: the log still has it all
            _log.warning('{"event": "outbox.wal_checkpoint_failed", "error": "%s"}', type(exc).__name__)
