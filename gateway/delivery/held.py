"""Held facilities: released when a login for their portal account succeeds again.

When the portal refuses a facility's credentials, the worker records HELD and the store holds
the whole facility (its queued documents, and new ones as they arrive). Every
`held_check_minutes` this check asks the store for the held facilities (`held_facilities()`:
with their HELD documents counted, since when, why), logs in afresh for each account
(one login per account, never through the client's token cache), and releases a facility whose
login succeeds: its documents go back to QUEUED in their original order, audited with who
(`actor`) and why. An operator releases at once with `gateway release` (commands.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import aiohttp

from adapters.portal import (
    AuthFailed,
    FacilityAccount,
    PortalDirectory,
    Timeouts,
    Token,
    TokenCache,
    Transient,
)
from gateway.delivery.logs import emit
from gateway.outbox import HeldFacility, OutboxError, OutboxStore

Clock = Callable[[], datetime]
LoginResult = Token | AuthFailed | Transient
LoginProbe = Callable[[FacilityAccount], Awaitable[LoginResult]]
Sleep = Callable[[float], Awaitable[None]]


class PortalLogin:
    """A fresh login at the portal for an account (`POST /api/token/take`): does it work again?"""

    def __init__(
        self, session: aiohttp.ClientSession, *, clock: Clock, timeouts: Timeouts | None = None,
        logger: logging.Logger | None = None,
    ) -> None:  # fmt: skip
        self._session = session
        self._clock = clock
        self._timeouts = timeouts or Timeouts()
        self._log = logger

    async def __call__(self, account: FacilityAccount) -> LoginResult:
        """Token, AuthFailed (still refused) or Transient (the portal could not say)."""
        return await TokenCache(self._session, self._clock, self._timeouts, logger=self._log).get(
            account
        )


class HeldReleaser:
    """Finds held facilities and releases those whose login succeeds again (module docstring)."""

    def __init__(
        self,
        store: OutboxStore,
        directory: PortalDirectory,
        login: LoginProbe,
        *,
        actor: str,
        logger: logging.Logger,
        on_release: Callable[[str], None] = lambda _facility: None,
    ) -> None:
        self._store = store
        self._directory = directory
        self._login = login
        self._actor = actor
        self._log = logger
        self._on_release = on_release
        self._held: set[str] = set()
        self._holds: dict[str, HeldFacility] = {}

    @property
    def facilities(self) -> tuple[str, ...]:
        """The held facilities as last seen (by the check, or by a worker since)."""
        return tuple(sorted(self._held))

    @property
    def holds(self) -> tuple[HeldFacility, ...]:
        """The store's held facilities at the last check, less those released since."""
        return tuple(self._holds[code] for code in sorted(self._holds))

    def note(self, facility: str) -> None:
        """A worker just saw this facility's credentials refused."""
        self._held.add(facility)

    async def scan(self) -> set[str]:
        """Every held facility, and every facility with HELD documents, as the store says."""
        self._holds = {h.facility: h for h in await self._store.held_facilities()}
        return set(self._holds)

    async def check(self) -> dict[str, int]:
        """Scan, try a login for each held facility's account, release those that succeed.

        Returns {facility: documents released}. Raises OutboxError when the store fails.
        """
        self._held = await self.scan()
        released: dict[str, int] = {}
        verdicts: dict[tuple[str, str], LoginResult] = {}  # one login per account per check
        for facility in sorted(self._held):
            account = self._directory.get(facility)
            if account is None:
                emit(self._log, {"event": "delivery.held.no_account", "facility": facility,
                                 "alert": True}, logging.ERROR)  # fmt: skip
                continue
            key = (account.base_url, account.credentials.username)
            if key not in verdicts:
                verdicts[key] = await self._login(account)
            verdict = verdicts[key]
            if isinstance(verdict, Token):
                reason = f"portal login of {account.credentials.username} succeeded again"
                released[facility] = await self._store.release_facility(
                    facility, self._actor, reason
                )
                self._held.discard(facility)
                self._holds.pop(facility, None)
                emit(self._log, {"event": "delivery.held.released", "facility": facility,
                                 "documents": released[facility], "reason": reason})  # fmt: skip
                self._on_release(facility)
            elif isinstance(verdict, AuthFailed):
                emit(self._log, {"event": "delivery.alert.auth_failed", "alert": True, "facility": facility,
                                 "code": verdict.code, "still_held": True}, logging.ERROR)  # fmt: skip
            else:
                emit(self._log, {"event": "delivery.held.login_unavailable", "facility": facility,
                                 "code": verdict.reason}, logging.WARNING)  # fmt: skip
        return released

    async def run(self, interval_seconds: float, sleep: Sleep) -> None:
        """Check now, then every `interval_seconds`, until cancelled; store failures are logged."""
        while True:
            try:
                await self.check()
            except OutboxError as exc:
                emit(
                    self._log,
                    {"event": "delivery.held.check_failed", "code": exc.code},
                    logging.WARNING,
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("the held-facility check failed")
            await sleep(interval_seconds)
