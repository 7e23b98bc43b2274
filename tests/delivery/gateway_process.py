"""The gateway as the crash test runs it: the real `gateway serve` in its own process group,
configured by a TOML file to deliver to a portal simulator, killed with SIGKILL and restarted
on the same data directory; and read-only peeks at its store between kills."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from adapters.portal.simulator import DEV_PASSWORD
from gateway.http.tokens import hash_token

ROOT = Path(__file__).resolve().parents[2]
PENDING = "state IN ('QUEUED','SENDING','RETRY_WAIT','HELD')"


def free_port() -> int:
    """A loopback port free now (the gateway binds it; after a kill the next start reuses it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def token_of(facility: str) -> str:
    return f"crash-test-{facility}"


@dataclass(frozen=True)
class GatewaySetup:
    """Where one gateway's files live and how it is reached."""

    base: Path
    port: int
    facilities: tuple[str, ...]

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def db(self) -> Path:
        return self.data / "outbox.db"

    @property
    def config(self) -> Path:
        return self.base / "gateway.toml"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write(self, portal_url: str, workers: str) -> None:
        """The gateway's settings file and its portal accounts file (secrets from the
        environment, as in production: GATEWAY_PORTAL_PASSWORD_<facility>)."""
        accounts = self.base / "portal-accounts.toml"
        accounts.write_text(f'[defaults]\nbase_url = "{portal_url}"\nversion = "4750"\n' + "".join(
            f'[facilities."{code}"]\n' for code in self.facilities
        ), encoding="utf-8")  # fmt: skip
        facilities = "".join(
            f'[facilities."{code}"]\nsignature_policy = "required"\ntokens = ["{hash_token(token_of(code))}"]\n'
            for code in self.facilities
        )
        self.config.write_text(
            f'host = "127.0.0.1"\nport = {self.port}\ndata_dir = "{self.data}"\n'
            "[store]\nmin_free_bytes = 0\n[rate_limit]\nrate = 10000.0\nburst = 10000\n"
            f'[delivery]\naccounts_file = "{accounts}"\n{workers}\n{facilities}',
            encoding="utf-8",
        )

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env.update({f"GATEWAY_PORTAL_PASSWORD_{code}": DEV_PASSWORD for code in self.facilities})
        env["PYTHONPATH"] = str(ROOT)
        return env


class GatewayProcess:
    """One run of `gateway serve` (its own process group, so a kill takes its workers too)."""

    def __init__(self, setup: GatewaySetup, log: Path) -> None:
        self.setup = setup
        self._log = log
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, session: aiohttp.ClientSession, seconds: float = 30.0) -> None:
        """Start and wait until /readyz answers 200 (store open, delivery workers running)."""
        with self._log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway", "serve", "--config", str(self.setup.config),
                cwd=ROOT, stdout=log, stderr=log, env=self.setup.environment(), start_new_session=True,
            )  # fmt: skip
        async with asyncio.timeout(seconds):
            while True:
                if self._process.returncode is not None:
                    raise AssertionError(f"the gateway exited: {self._log.read_text()[-3000:]}")
                try:
                    async with session.get(f"{self.setup.url}/readyz") as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown code runs."""
        assert self._process is not None
        os.killpg(self._process.pid, signal.SIGKILL)
        assert await self._process.wait() == -signal.SIGKILL

    async def stop(self) -> int:
        """SIGTERM: a graceful stop (sends finish, the store writes a signed checkpoint)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await self._process.wait()
        return code

    async def ensure_gone(self) -> None:
        """Kill it if it still runs (a failed test must not leave a gateway behind)."""
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            await self._process.wait()


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    """A read-only query on the store (WAL: it never blocks the gateway's writer)."""
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return list(conn.execute(sql))


def pending(db: Path) -> int:
    rows = query(db, f"SELECT count(*) FROM messages WHERE {PENDING}")
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def sends_in_flight(db: Path) -> set[tuple[str, int]]:
    """(message, its send number) of every SENDING row: after a kill, the sends whose outcome
    was lost (a row still SENDING at the next kill is the same send)."""
    return {(str(i), int(n)) for i, n in query(db, "SELECT id, sends FROM messages WHERE state = 'SENDING'")}  # type: ignore[call-overload]
