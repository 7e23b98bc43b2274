"""The watched folder of legacy HIS (`gateway serve --inbox DIR`).

A HIS that cannot call the API drops documents into DIR. The watcher takes only complete files:
never `*.tmp` or hidden files (write as `x.tmp`, then rename to `x.xml`), and any other file once
its size and modification time have not changed for `stable_seconds` (a file last modified that
long ago is complete at first sight). Each goes through the same intake as the API, then:

- accepted: `DIR/accepted/<name>.receipt.xml` (the gateway's signed receipt) and
  `<name>.accepted.json` (the API's 202 body) are written, then the file moves to
  `DIR/accepted/<name>`;
- refused: `DIR/rejected/<name>.report.json` (the API's error body: code, message, and the full
  validation report, values unmasked: it sits beside the facility's own file), then the file
  moves to `DIR/rejected/<name>`;
- the store is unavailable (503): the file stays for the next scan.

No loss, no double submission, also across a crash: the file leaves DIR only after its outcome
is written (atomically, fsync'd), and it is submitted with the Idempotency-Key
`inbox-<SHA-256 of its bytes>`, so a file found again after a crash gets the original answer
instead of a second message (and, past the 24 h key lifetime, the outbox's duplicate rule
returns the existing message).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gateway.config import InboxConfig
from gateway.http import views
from gateway.http.errors import TOO_LARGE, ApiError
from gateway.http.intake import Intake
from gateway.http.metrics import Metrics

_log = logging.getLogger("gateway.http.inbox")
ACCEPTED, REJECTED = "accepted", "rejected"


@dataclass(frozen=True)
class InboxOutcome:
    """What became of one file."""

    name: str
    outcome: str  # accepted | rejected | deferred
    message_id: str | None = None
    code: str | None = None


@dataclass
class _Seen:
    stamp: tuple[int, int]
    since: float


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new one, never half."""
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class InboxWatcher:
    """Scans the folder every `poll_seconds` (a component: `start`, `stop`, `running`)."""

    name = "inbox"

    def __init__(
        self,
        *,
        directory: Path,
        intake: Intake,
        config: InboxConfig,
        max_bytes: int,
        metrics: Metrics,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self._intake = intake
        self._config = config
        self._max_bytes = max_bytes
        self._metrics = metrics
        self._monotonic = monotonic
        self._wall = wall
        self._seen: dict[str, _Seen] = {}
        self._task: asyncio.Task[None] | None = None
        self.submitter = f"inbox:{config.facility or 'any'}"

    async def start(self) -> None:
        for sub in (self.directory, self.directory / ACCEPTED, self.directory / REJECTED):
            sub.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.create_task(self._loop(), name="inbox-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _loop(self) -> None:
        while True:
            try:
                await self.scan_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.error(json.dumps({"event": "inbox.scan_failed", "error": type(exc).__name__}))
            await asyncio.sleep(self._config.poll_seconds)

    def complete_files(self) -> list[Path]:
        """The files of DIR that are complete now (module docstring), oldest first."""
        now, wall = self._monotonic(), self._wall()
        ready: list[tuple[int, str, Path]] = []
        present: set[str] = set()
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith(".tmp") or not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
                stamp = (info.st_size, info.st_mtime_ns)
                present.add(entry.name)
                seen = self._seen.get(entry.name)
                if seen is None or seen.stamp != stamp:
                    seen = _Seen(stamp, now)
                    self._seen[entry.name] = seen
                stable = self._config.stable_seconds
                if stable <= 0 or now - seen.since >= stable or wall - info.st_mtime_ns / 1e9 >= stable:
                    ready.append((info.st_mtime_ns, entry.name, Path(entry.path)))
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return [path for _, _, path in sorted(ready)]

    async def scan_once(self) -> list[InboxOutcome]:
        """Submit every complete file; stops early while the store is unavailable."""
        outcomes = []
        for path in self.complete_files():
            outcome = await self.process(path)
            outcomes.append(outcome)
            self._metrics.inbox_files.labels(outcome.outcome).inc()
            if outcome.outcome == "deferred":
                break
        return outcomes

    async def process(self, path: Path) -> InboxOutcome:
        """Submit one file and file it under accepted/ or rejected/ (or leave it: deferred)."""
        name = path.name
        try:
            size = path.stat().st_size
            if size > self._max_bytes:
                error = ApiError(413, TOO_LARGE, f"the file is {size} bytes; the limit is {self._max_bytes}")
                await asyncio.to_thread(self._reject, path, error, hashlib.sha256(name.encode()).hexdigest())
                return self._logged(InboxOutcome(name, "rejected", code=error.code))
            body = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return InboxOutcome(name, "deferred", code="inbox.vanished")
        digest = hashlib.sha256(body).hexdigest()
        try:
            result = await self._intake.submit(body, facility=self._config.facility, submitter=self.submitter,
                                               idempotency_key=f"inbox-{digest}")
        except ApiError as exc:
            if exc.transient or exc.status >= 500:
                return self._logged(InboxOutcome(name, "deferred", code=exc.code))
            await asyncio.to_thread(self._reject, path, exc, digest)
            return self._logged(InboxOutcome(name, "rejected", code=exc.code))
        receipt_json = json.dumps(views.accepted(result), ensure_ascii=False, indent=2).encode("utf-8")
        await asyncio.to_thread(self._accept, path, result.message.message_id, result.receipt, receipt_json)
        return self._logged(InboxOutcome(name, "accepted", message_id=result.message.message_id))

    def _accept(self, path: Path, message_id: str, receipt: bytes | None, body: bytes) -> None:
        target = self._target(ACCEPTED, path.name, message_id)
        if receipt is not None:
            write_atomic(target.with_name(target.name + ".receipt.xml"), receipt)
        write_atomic(target.with_name(target.name + ".accepted.json"), body)
        self._move(path, target)

    def _reject(self, path: Path, error: ApiError, digest: str) -> None:
        target = self._target(REJECTED, path.name, digest[:16])
        report = json.dumps({"status": error.status, **error.body()}, ensure_ascii=False, indent=2)
        write_atomic(target.with_name(target.name + ".report.json"), report.encode("utf-8"))
        self._move(path, target)

    def _target(self, folder: str, name: str, tag: str) -> Path:
        """`folder/name`, or `folder/<stem>.<tag><suffix>` when another file took the name (the
        tag is the message id or a digest of the content: the same on a re-run after a crash)."""
        target = self.directory / folder / name
        if target.exists():
            stem, dot, suffix = name.partition(".")
            target = self.directory / folder / f"{stem}.{tag}{dot}{suffix}"
        return target

    def _move(self, path: Path, target: Path) -> None:
        os.replace(path, target)
        _fsync_dir(target.parent)
        _fsync_dir(path.parent)
        self._seen.pop(path.name, None)

    def _logged(self, outcome: InboxOutcome) -> InboxOutcome:
        level = logging.WARNING if outcome.outcome == "deferred" else logging.INFO
        _log.log(level, json.dumps({"event": f"inbox.{outcome.outcome}", "message_id": outcome.message_id,
                                    "code": outcome.code}))
        return outcome
