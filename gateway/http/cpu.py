"""Where the CPU-bound intake work runs (examiner.py): never on the event loop, and never two
validations at once on one schema set (lxml's compiled schemas keep their error log on the schema
object).

- `process` (the default, `[intake] worker`): one worker process with its own schema set, trust
  store and signer, fed over a socket pair (no executor threads: measured, a ProcessPoolExecutor
  costs twice the CPU per call). The gateway's event loop, store writer and the checks then run
  on different cores without sharing one GIL (bench/intake_http.py measures both), and a
  document that makes the XML stack misbehave takes down the worker, not the gateway: the
  worker is started again and that request gets a 500.

Admission: at most `[intake] max_waiting` documents wait for the checks; one more is refused at
once with 503 `intake.busy` and Retry-After (the HIS retries; the gateway keeps answering and its
latency stays bounded instead of every request timing out behind an unbounded queue). The worker
process holds at most two frames (one being checked, one queued, so it never idles); receipts of
documents already stored go ahead of new checks, so an accepted document is answered promptly
under load; a waiting check whose client has gone is dropped before it costs anything.
- `thread`: one worker thread in the gateway process (a small machine, or tests that patch the
  checks).

The worker is a fresh interpreter (`python -m gateway.http.worker`, never a fork of the threaded
gateway), warmed up (schemas compiled, keys loaded) before the gateway takes requests; a worker
that cannot start (a key that does not load) stops the gateway's startup with that error.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import pickle
import signal
import socket
import struct
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from gateway.config import IntakeConfig, Settings
from gateway.http.errors import INTAKE_BUSY, INTERNAL, ApiError
from gateway.http.examiner import Examined, Examiner
from gateway.signing import (
    FacilityPolicies,
    FileKeySigner,
    PassphraseSource,
    Receipt,
    SignaturePolicy,
    Signer,
    TrustStore,
)
from gateway.signing.trust import RevocationPolicy
from gateway.xml.safe import ParseLimits
from gateway.xml.schemaset import load_schema_set
from gateway.xml.tables import ENVELOPE

_log = logging.getLogger("gateway.http.cpu")


class CpuRunner(Protocol):
    """Runs the examiner's work off the event loop."""

    async def start(self) -> None: ...

    async def examine(self, body: bytes, facility: str | None, at: datetime) -> Examined: ...

    async def sign_receipt(self, receipt: Receipt) -> bytes: ...

    def waiting(self) -> int: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class WorkerConfig:
    """What an examiner is built from (picklable: it travels to the worker process)."""

    trust_dir: Path
    keys_dir: Path
    passphrase_env: str | None
    passphrase_file: Path | None
    revocation: RevocationPolicy
    default_policy: SignaturePolicy
    overrides: tuple[tuple[str, SignaturePolicy], ...]
    limits: ParseLimits
    schema_version: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        policies = settings.policies()
        return cls(settings.trust_dir, settings.keys_dir, settings.signing.passphrase_env,
                   settings.signing.passphrase_file, settings.signing.revocation, policies.default,
                   tuple(sorted(policies.overrides.items())), settings.limits.parse_limits(),
                   settings.schema_version)

    def examiner(self) -> Examiner:
        """Load trust and keys and compile the schemas. Raises SigningFault."""
        trust = TrustStore.load(self.trust_dir, revocation=self.revocation)
        signer = FileKeySigner.from_pki(self.keys_dir, PassphraseSource(self.passphrase_env, self.passphrase_file))
        policies = FacilityPolicies(self.default_policy, MappingProxyType(dict(self.overrides)))
        schemas = load_schema_set(self.schema_version)
        for name in (*schemas.tables, ENVELOPE):
            schemas.xsd(name)
        return Examiner(trust, signer, policies, self.limits, self.schema_version)


DEFAULT_MAX_WAITING = IntakeConfig.max_waiting


def busy() -> ApiError:
    """The refusal of a document that finds `max_waiting` others waiting for the checks."""
    return ApiError(503, INTAKE_BUSY, "the gateway is checking as many documents as it can hold; "
                    "retry after Retry-After seconds", headers={"Retry-After": "1"})


class ThreadRunner:
    """The examiner in this process, on a one-thread executor."""

    def __init__(self, examiner: Examiner, executor: Executor, max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        self._examiner = examiner
        self._executor = executor
        self._max_waiting = max_waiting
        self._examining = 0

    async def start(self) -> None:
        return None

    def waiting(self) -> int:
        """Documents checked or waiting to be (for /metrics)."""
        return self._examining

    async def examine(self, body: bytes, facility: str | None, at: datetime) -> Examined:
        if self._examining >= self._max_waiting:
            raise busy()
        self._examining += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._examiner.examine, body, facility, at)
        finally:
            self._examining -= 1

    async def sign_receipt(self, receipt: Receipt) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._examiner.sign_receipt, receipt)

    async def close(self) -> None:
        return None


# -- the worker process ---------------------------------------------------------------------------
# Frames on a socket pair: a 4-byte big-endian length, then a pickle. Requests `(op, args)`;
# answers `("ok", value)`, `("err", ApiError)` (a coded refusal), `("fault", type name)`. The
# worker answers in order, so the gateway matches answers to requests first in, first out.

_FRAME = struct.Struct(">I")


def _send(handle: io.BufferedIOBase, value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    handle.write(_FRAME.pack(len(data)) + data)
    handle.flush()


def serve(sock: socket.socket) -> None:
    """The worker's main loop (gateway/http/worker.py runs it): read the WorkerConfig, build the
    examiner, then answer requests until the socket closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the gateway decides when its worker stops
    handle = sock.makefile("rwb")
    head = handle.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return
    config: WorkerConfig = pickle.loads(handle.read(_FRAME.unpack(head)[0]))
    try:
        examiner = config.examiner()
    except Exception as exc:
        _send(handle, ("fault", type(exc).__name__))
        return
    _send(handle, ("ready", None))

    def examine(body: bytes, facility: str | None, at: datetime) -> Examined:
        examined = examiner.examine(body, facility, at)
        if examined.outcome.document_bytes is body:  # stored as received: do not ship it back
            return replace(examined, outcome=replace(examined.outcome, document_bytes=b""))
        return examined

    operations: dict[str, Callable[..., object]] = {"examine": examine, "receipt": examiner.sign_receipt}
    while True:
        head = handle.read(_FRAME.size)
        if len(head) < _FRAME.size:
            return
        op, args = pickle.loads(handle.read(_FRAME.unpack(head)[0]))
        try:
            answer: tuple[str, object] = ("ok", operations[op](*args))
        except ApiError as exc:
            answer = ("err", exc)
        except Exception as exc:  # a fault of ours: the gateway answers 500 and logs the type
            answer = ("fault", type(exc).__name__)
        _send(handle, answer)


class _WorkerDied(Exception):
    pass


class ProcessRunner:
    """The examiner in one worker process (module docstring), started again if it dies."""

    WINDOW = 2  # frames the worker holds: one being checked, one queued behind it

    def __init__(self, config: WorkerConfig, max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        self._config = config
        self._max_waiting = max_waiting
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: deque[asyncio.Future[Any]] = deque()  # sent, answers come in this order
        self._checks: deque[tuple[asyncio.Future[Any], bytes]] = deque()  # not yet sent
        self._receipts: deque[tuple[asyncio.Future[Any], bytes]] = deque()  # not yet sent, go first
        self._listener: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._closing = False

    async def start(self) -> None:
        """Start the worker and wait until it is ready; raises what its start-up raised."""
        async with self._starting:
            if self._writer is not None:
                return
            ours, theirs = socket.socketpair()
            # A plain child process running gateway/http/worker.py, not multiprocessing: that
            # would re-import the gateway's __main__ script in the child.
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway.http.worker", str(theirs.fileno()),
                pass_fds=(theirs.fileno(),), env=env, stdin=asyncio.subprocess.DEVNULL)
            theirs.close()
            reader, writer = await asyncio.open_unix_connection(sock=ours, limit=2**26)
            config = pickle.dumps(self._config, protocol=pickle.HIGHEST_PROTOCOL)
            writer.write(_FRAME.pack(len(config)) + config)
            try:
                await writer.drain()
                kind, _ = await _read(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                kind = "fault"
            if kind != "ready":
                writer.close()
                await _stop(process)
                self._config.examiner()  # the same start-up here, to raise its real error
                raise RuntimeError("the intake worker did not start")
            self._process, self._reader, self._writer = process, reader, writer
            self._listener = asyncio.create_task(self._listen(reader), name="intake-worker-answers")

    async def examine(self, body: bytes, facility: str | None, at: datetime) -> Examined:
        examined: Examined = await self._call("examine", body, facility, at)
        if not examined.outcome.document_bytes:
            return replace(examined, outcome=replace(examined.outcome, document_bytes=body))
        return examined

    async def sign_receipt(self, receipt: Receipt) -> bytes:
        signed: bytes = await self._call("receipt", receipt)
        return signed

    def waiting(self) -> int:
        """Checks waiting to be sent to the worker (for /metrics)."""
        return len(self._checks)

    async def _call(self, op: str, *args: Any) -> Any:
        if self._writer is None:
            await self.start()
        queue = self._receipts if op == "receipt" else self._checks
        if queue is self._checks and len(self._checks) >= self._max_waiting:
            raise busy()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        queue.append((future, pickle.dumps((op, args), protocol=pickle.HIGHEST_PROTOCOL)))
        self._pump()
        try:
            return await future
        except (_WorkerDied, ConnectionError):
            raise ApiError(500, INTERNAL, "the intake worker stopped while checking this document") from None

    def _pump(self) -> None:
        """Send frames while the worker holds fewer than WINDOW: receipts first, then checks in
        arrival order; a frame whose caller has gone (cancelled) is dropped unsent."""
        writer = self._writer
        while writer is not None and len(self._pending) < self.WINDOW:
            queue = self._receipts or self._checks
            if not queue:
                return
            future, data = queue.popleft()
            if future.done():
                continue
            self._pending.append(future)
            writer.write(_FRAME.pack(len(data)) + data)  # one write: frames never interleave

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                kind, value = await _read(reader)
                future = self._pending.popleft()
                self._pump()
                if future.done():
                    continue
                if kind == "ok":
                    future.set_result(value)
                elif kind == "err":
                    future.set_exception(value)
                else:
                    _log.error(json.dumps({"event": "intake.worker_fault", "error": value}))
                    future.set_exception(ApiError(500, INTERNAL, "the intake worker failed on this document"))
        except (asyncio.IncompleteReadError, ConnectionError):
            if not self._closing:
                _log.error(json.dumps({"event": "intake.worker_died"}))
        finally:
            self._forget()

    def _forget(self) -> None:
        """The worker is gone: fail what waits for it; the next call starts a new one."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
        waiting = [*self._pending, *(f for f, _ in self._receipts), *(f for f, _ in self._checks)]
        self._pending.clear()
        self._receipts.clear()
        self._checks.clear()
        for future in waiting:
            if not future.done():
                future.set_exception(_WorkerDied())
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    def worker_pids(self) -> tuple[int, ...]:
        """The worker's process id (for CPU accounting in benchmarks and for operators)."""
        process = self._process
        return (process.pid,) if process is not None and process.pid is not None else ()

    async def close(self) -> None:
        self._closing = True
        listener, self._listener = self._listener, None
        process = self._process
        if self._writer is not None:
            self._writer.close()  # the worker reads end-of-file and exits
        if process is not None:
            await _stop(process)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        self._forget()


async def _stop(process: asyncio.subprocess.Process, timeout: float = 10.0) -> None:
    """Wait for the worker to exit (it does at end-of-file), killing it after `timeout`."""
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def _read(reader: asyncio.StreamReader) -> tuple[str, Any]:
    (size,) = _FRAME.unpack(await reader.readexactly(_FRAME.size))
    kind, value = pickle.loads(await reader.readexactly(size))
    return str(kind), value


def make_runner(settings: Settings, trust: TrustStore, signer: Signer, executor: Executor) -> CpuRunner:
    """The runner `[intake] worker` asks for (`thread` reuses this process's trust and keys)."""
    if settings.intake.worker == "thread":
        examiner = Examiner(trust, signer, settings.policies(), settings.limits.parse_limits(), settings.schema_version)
        return ThreadRunner(examiner, executor, settings.intake.max_waiting)
    return ProcessRunner(WorkerConfig.from_settings(settings), settings.intake.max_waiting)
