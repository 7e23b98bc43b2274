"""`DeliveryService`: the delivery workers of one gateway process, started and stopped as one.

    service = DeliveryService.for_portal(store, session, directory, settings=DeliverySettings())
    await service.start()      # the dispatcher and the held-facility check run as tasks
    service.running; service.status().to_json()
    await service.stop()       # sends in flight finish, or are abandoned after the timeout

The dispatcher leases as many due messages as there are free send slots (`concurrency`) and
gives each to a Courier task (worker.py); it looks again when a slot frees, when woken
(`wake()`, e.g. after an accept) or every `poll_seconds`. It does not lease the documents of
facilities whose destination's circuit is open (the store filters them out), and when every
destination's circuit is open it does not lease at all. Several processes may run against one store: leases keep them
apart, and a crashed process's leases expire so that another picks its documents up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp

from adapters.portal import PortalClient, PortalDirectory, PortalSettings
from gateway.delivery.breaker import BreakerPolicy, Breakers
from gateway.delivery.held import HeldReleaser, LoginProbe, PortalLogin
from gateway.delivery.logs import LOGGER_NAME, emit
from gateway.delivery.policy import RetryPolicy
from gateway.delivery.settings import DeliverySettings
from gateway.delivery.status import Counters, DeliveryStatus
from gateway.delivery.worker import Courier, PortalSender, Sleep
from gateway.outbox import Lease, OutboxError, OutboxStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_worker_id() -> str:
    """`delivery:<host>:<pid>:<random>`: unique per process, readable in the audit."""
    return f"delivery:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class DeliveryService:
    """The delivery workers of one process (module docstring)."""

    def __init__(
        self,
        store: OutboxStore,
        sender: PortalSender,
        directory: PortalDirectory,
        *,
        settings: DeliverySettings | None = None,
        clock: Clock = utc_now,
        login: LoginProbe | None = None,
        policy: RetryPolicy | None = None,
        breaker_policy: BreakerPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        logger: logging.Logger | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.worker_id = worker_id or default_worker_id()
        self.settings = settings = settings or DeliverySettings()
        self._store = store
        self._directory = directory
        self._clock = clock
        self._sleep = sleep
        self._log = logger or logging.getLogger(LOGGER_NAME)
        self._counters = Counters()
        self._breakers = Breakers(
            breaker_policy or BreakerPolicy.from_settings(settings), clock, self._log
        )
        self._held = (
            None if login is None
            else HeldReleaser(store, directory, login, actor=self.worker_id, logger=self._log,
                              on_release=self._released)
        )  # fmt: skip
        self._courier = Courier(
            store, sender, directory, self._breakers, policy or RetryPolicy.from_settings(settings),
            clock=clock, sleep=sleep, rng=rng or random.Random(), counters=self._counters, logger=self._log,
            defer_spread_seconds=settings.breaker_cooldown_seconds,
            on_held=self._held.note if self._held is not None else lambda _f: None,
        )  # fmt: skip
        self._destinations = frozenset(account.base_url for account in directory)
        self._facilities_of: dict[str, set[str]] = {}
        for account in directory:
            self._facilities_of.setdefault(account.base_url, set()).add(account.facility)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._wakeup: asyncio.Event | None = None
        self._stopping = False
        self._started_at: datetime | None = None
        self._last_error: str | None = None

    def __repr__(self) -> str:
        return f"DeliveryService({self.worker_id!r}, running={self.running})"

    @classmethod
    def for_portal(
        cls,
        store: OutboxStore,
        session: aiohttp.ClientSession,
        directory: PortalDirectory,
        *,
        settings: DeliverySettings | None = None,
        portal_settings: PortalSettings | None = None,
        clock: Clock = utc_now,
        logger: logging.Logger | None = None,
        worker_id: str | None = None,
    ) -> DeliveryService:
        """The service wired to the real portal client over `session` (the caller's)."""
        portal_settings = portal_settings or PortalSettings()
        client = PortalClient(session, directory, clock=clock, settings=portal_settings)
        login = PortalLogin(session, clock=clock, timeouts=portal_settings.timeouts)
        return cls(store, client, directory, settings=settings, clock=clock, login=login, logger=logger,
                   worker_id=worker_id)  # fmt: skip

    # -- life cycle -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Started, not stopping, and the dispatcher alive (what /readyz asks)."""
        return bool(self._tasks) and not self._stopping and not self._tasks[0].done()

    async def start(self) -> None:
        """Start the dispatcher and the held-facility check (idempotent)."""
        if self._tasks:
            return
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._started_at = self._clock()
        self._tasks = [asyncio.create_task(self._dispatch(), name=f"{self.worker_id}:dispatch")]
        if self._held is not None:
            interval = self.settings.held_check_minutes * 60
            self._tasks.append(
                asyncio.create_task(
                    self._held.run(interval, self._sleep), name=f"{self.worker_id}:held"
                )
            )
        emit(self._log, {"event": "delivery.started", "worker_id": self.worker_id,
                         "concurrency": self.settings.concurrency})  # fmt: skip

    async def stop(self) -> None:
        """Stop leasing; let sends in flight finish for `stop_timeout_seconds`, then abandon
        them (their leases expire; the next send is a re-send, audited). Idempotent."""
        if not self._tasks:
            return
        self._stopping = True
        self.wake()
        for task in self._tasks[1:]:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        abandoned = 0
        if self._in_flight:
            _done, pending = await asyncio.wait(
                set(self._in_flight), timeout=self.settings.stop_timeout_seconds
            )
            abandoned = len(pending)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._tasks = []
        emit(
            self._log,
            {"event": "delivery.stopped", "worker_id": self.worker_id, "abandoned": abandoned},
        )

    def wake(self) -> None:
        """Look for due messages now (after an accept, a release ...)."""
        if self._wakeup is not None:
            self._wakeup.set()

    def _released(self, facility: str) -> None:
        self._courier.released(facility)
        self.wake()

    def status(self) -> DeliveryStatus:
        """A snapshot for the status API and metrics."""
        return DeliveryStatus(
            running=self.running, worker_id=self.worker_id, concurrency=self.settings.concurrency,
            in_flight=len(self._in_flight), counters=self._counters.to_json(),
            circuits=tuple(self._breakers.snapshot()),
            held_facilities=self._held.facilities if self._held is not None else (),
            holds=self._held.holds if self._held is not None else (),
            started_at=self._started_at, last_error=self._last_error,
        )  # fmt: skip

    # -- one round, for tests and tools ---------------------------------------------------------

    async def deliver_due(self) -> int:
        """Lease what is due now (up to `concurrency`), deliver it, wait for the outcomes.
        Returns how many messages were leased. Raises OutboxError when the store fails."""
        leases = await self._lease(self.settings.concurrency)
        await asyncio.gather(*(self._deliver(lease) for lease in leases))
        return len(leases)

    async def _lease(self, limit: int) -> list[Lease]:
        """Lease up to `limit` due messages, none of a facility whose destination's circuit is
        open (they would only be put off again). Raises OutboxError."""
        waiting = self._breakers.waiting_among(self._destinations)
        if waiting and waiting == self._destinations:
            return []
        excluded = frozenset(f for d in waiting for f in self._facilities_of[d])
        return await self._store.lease(self.worker_id, self._clock(), limit, self.settings.lease_seconds,
                                       exclude_facilities=excluded)  # fmt: skip

    async def check_held(self) -> dict[str, int]:
        """Run the held-facility check now; {facility: documents released}."""
        return {} if self._held is None else await self._held.check()

    # -- the dispatcher ---------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        while not self._stopping:
            free = self.settings.concurrency - len(self._in_flight)
            if free > 0 and not self._breakers.all_waiting(self._destinations):
                try:
                    leases = await self._lease(free)
                except OutboxError as exc:
                    self._failed(f"{exc.code}: lease failed")
                    leases = []
                except Exception as exc:
                    self._log.exception("leasing failed")
                    self._failed(f"lease failed: {type(exc).__name__}")
                    leases = []
                for lease in leases:
                    self._spawn(lease)
                if leases and len(leases) == free:
                    continue  # more may be due: lease again as soon as a slot is free
            await self._idle(self.settings.poll_seconds)

    def _spawn(self, lease: Lease) -> None:
        task = asyncio.create_task(self._deliver(lease), name=f"deliver:{lease.message_id}")
        self._in_flight.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._in_flight.discard(finished)
            self.wake()

        task.add_done_callback(done)

    async def _deliver(self, lease: Lease) -> None:
        try:
            await self._courier.deliver(lease)
        except OutboxError as exc:
            self._failed(f"{exc.code}: {exc.message}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._log.exception("a delivery attempt failed")
            self._failed(f"delivery failed: {type(exc).__name__}")

    def _failed(self, text: str) -> None:
        self._counters.errors += 1
        self._last_error = text
        emit(
            self._log,
            {"event": "delivery.error", "worker_id": self.worker_id, "error": text},
            logging.WARNING,
        )

    async def _idle(self, timeout: float) -> None:
        wakeup = self._wakeup
        assert wakeup is not None
        if not wakeup.is_set():
            sleeper = asyncio.ensure_future(self._sleep(timeout))
            waiter = asyncio.ensure_future(wakeup.wait())
            try:
                await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waiter.cancel()
        wakeup.clear()
