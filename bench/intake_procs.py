"""The processes of bench/intake.py besides the load generator, and their CPU accounting.

    python bench/intake_procs.py sim --port 0 [--faults SPEC] [--trust DIR]
    python bench/intake_procs.py gateway --data DIR --pki DIR --portal-url URL [--workers 16]

`sim`: the portal simulator (adapters/portal/simulator) in its own process, keeping digests
only (`keep_documents=False`: a 10-minute run sends ~3 GB); it prints `READY <url>`, and when
stopped (SIGTERM) one JSON line of what it received.

`gateway`: the gateway as `gateway serve` builds it (`make_app` with the store, the intake and
its worker process, logging JSON lines to a file as in production) plus the delivery workers
(gateway.delivery, the real portal client) sending to `--portal-url`, as `gateway demo` wires
them; `gateway serve` has no option for that yet. It prints `READY <url>` once it takes
requests and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FACILITY = "01001"
TOKEN = "bench-token-facility-01001"
PORTAL_PASSWORD = "bench-portal"


# -- CPU accounting (Linux /proc) ----------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one live process (not its children); 0 once it is gone."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and its live descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                parents[int(entry)] = int(fields[1])
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(child for child, parent in parents.items() if parent == current)
    return found


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and all its live descendants, plus the children it
    has already reaped (cutime + cstime)."""
    total = 0
    for current in tree(pid):
        fields = _stat(current)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
            if current == pid:
                total += int(fields[13]) + int(fields[14])
    return total / os.sysconf("SC_CLK_TCK")


def tree_peak_rss(pid: int) -> float:
    """Sum of the peak resident sizes (VmHWM) of a process and its live descendants, MiB."""
    total = 0
    for current in tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


# -- the children --------------------------------------------------------------------------------


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def run_sim(args: argparse.Namespace) -> None:
    from adapters.portal.simulator import PortalSimulator, SimConfig, dev_accounts, parse_faults
    from gateway.signing import TrustStore

    trust = TrustStore.load(args.trust) if args.trust else None
    sim = PortalSimulator(SimConfig(
        accounts=dev_accounts((FACILITY,), PORTAL_PASSWORD), faults=parse_faults(args.faults),
        trust=trust, keep_documents=False,
    ), shutdown_timeout=1.0)  # fmt: skip
    url = await sim.start("127.0.0.1", args.port)
    print(f"READY {url}", flush=True)
    await _until_terminated()
    received = sim.received
    outcomes: dict[str, int] = {}
    for receipt in received:
        result = receipt.ma_ket_qua or f"HTTP {receipt.status}"
        outcomes[result] = outcomes.get(result, 0) + 1
    await sim.stop()
    print(json.dumps({"received": len(received), "by_result": outcomes,
                      "current": len(sim.state.current)}), flush=True)


class Delivery:
    """The delivery workers as an app component (as gateway demo has them), one facility."""

    name = "delivery"

    def __init__(self, store: Any, portal_url: str, settings: Any) -> None:
        from adapters.portal import Credentials, FacilityAccount, PortalDirectory

        self._store = store
        self._settings = settings
        self._directory = PortalDirectory.of(FacilityAccount(
            FACILITY, Credentials.from_password(f"{FACILITY}_BV", PORTAL_PASSWORD), base_url=portal_url))
        self._session: Any = None
        self.service: Any = None

    @property
    def running(self) -> bool:
        return bool(self.service is not None and self.service.running)

    async def start(self) -> None:
        import aiohttp

        from gateway.delivery import DeliveryService

        self._session = aiohttp.ClientSession()
        self.service = DeliveryService.for_portal(self._store, self._session, self._directory,
                                                  settings=self._settings)
        await self.service.start()

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
        if self._session is not None:
            await self._session.close()


def gateway_settings(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from gateway.config import (
        CallbackConfig,
        FacilityConfig,
        IntakeConfig,
        RateLimit,
        Settings,
        SigningConfig,
        StoreConfig,
        TokenHash,
    )
    from gateway.http.tokens import hash_token
    from gateway.signing import SignaturePolicy

    settings = Settings(
        data_dir=args.data,
        store=StoreConfig(min_free_bytes=0),
        signing=SigningConfig(trust_dir=args.pki / "trust", keys_dir=args.pki),
        callbacks=CallbackConfig(enabled=False),
        facilities={FACILITY: FacilityConfig(FACILITY, tokens=(TokenHash(hash_token(TOKEN)),),
                                             signature_policy=SignaturePolicy.REQUIRED)},
    )
    return replace(settings, rate_limit=RateLimit(rate=1e6, burst=1e6), intake=IntakeConfig(worker=args.worker))


async def run_gateway(args: argparse.Namespace) -> None:
    from aiohttp import web

    from gateway.delivery import DeliverySettings
    from gateway.http import keys
    from gateway.http.app import make_app
    from gateway.http.logs import configure_logging

    configure_logging()
    logging.getLogger().handlers[:] = [logging.FileHandler(args.log)]
    delivery = DeliverySettings(concurrency=args.workers, poll_seconds=args.poll_seconds)
    app = make_app(gateway_settings(args),
                   components=[lambda app: Delivery(app[keys.STORE], args.portal_url, delivery)])
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"READY http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    try:
        await _until_terminated()
    finally:
        await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    roles = parser.add_subparsers(dest="role", required=True)
    sim = roles.add_parser("sim")
    sim.add_argument("--port", type=int, default=0)
    sim.add_argument("--faults", default="none")
    sim.add_argument("--trust", type=Path, help="check facility signatures against this trust directory")
    gateway = roles.add_parser("gateway")
    gateway.add_argument("--data", type=Path, required=True)
    gateway.add_argument("--pki", type=Path, required=True)
    gateway.add_argument("--portal-url", required=True)
    gateway.add_argument("--log", type=Path, required=True)
    gateway.add_argument("--worker", choices=("process", "thread"), default="process")
    gateway.add_argument("--workers", type=int, default=16, help="delivery sends in flight")
    gateway.add_argument("--poll-seconds", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(run_sim(args) if args.role == "sim" else run_gateway(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
