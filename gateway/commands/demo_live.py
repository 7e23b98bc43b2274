"""The live demo: the gateway's main job in one process, with nothing to configure.

SQLite store in `--data DIR`, the development PKI in `DIR/pki`, the portal simulator on its own
ephemeral loopback port with mild transient faults, the HTTP intake, the delivery workers, and
a sample HIS posting generated dossiers (01001 signs them with its key; 79001 leaves signing to
the gateway). Every credential here is a demo-only value printed at start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import aiohttp
from aiohttp import web

from adapters.portal import Credentials, FacilityAccount, PortalDirectory
from adapters.portal.simulator import PortalSimulator, SimConfig, dev_accounts, parse_faults
from gateway.config import FacilityConfig, OperatorConfig, Role, Settings, TokenHash, load_settings
from gateway.delivery import DeliverySettings
from gateway.http import keys
from gateway.http.tokens import hash_token
from gateway.outbox import OutboxStore
from gateway.signing import SignaturePolicy

FACILITIES = {"01001": SignaturePolicy.REQUIRED, "79001": SignaturePolicy.DELEGATED}
FACILITY_TOKENS = {code: f"demo-{code}" for code in FACILITIES}
OPERATOR = "demo"
OPERATOR_TOKEN = "demo-operator"
PORTAL_PASSWORD = "sim-demo"
FACE_PASSWORD = "demo"  # the hospitals' accounts 01001_BV / 79001_BV on the portal-compatible face
FAULTS = "error_rate=0.05,latency_ms=5..30"
FEED_INTERVAL = 0.5
STATUS_INTERVAL = 3.0


def demo_settings(args: argparse.Namespace) -> Settings:
    """Settings from `--config` (and the environment), then the demo's facilities, tokens and
    policies, then the command line. Raises ConfigError."""
    settings = load_settings(args.config)
    facilities = dict(settings.facilities)
    for code, policy in FACILITIES.items():
        current = facilities.get(code, FacilityConfig(code))
        facilities[code] = replace(current, signature_policy=policy,
                                   tokens=(*current.tokens, TokenHash(hash_token(FACILITY_TOKENS[code]))))
    operators = dict(settings.operators)
    operators[OPERATOR] = OperatorConfig(OPERATOR, Role.OPERATOR, (TokenHash(hash_token(OPERATOR_TOKEN)),))
    # The hospitals' accounts on the portal-compatible face (issue 8): demo-only password "demo".
    from gateway.config import PortalAccount
    from gateway.http.portal_face.accounts import hash_password, md5_hex

    accounts = dict(settings.portal_face.accounts)
    for code in FACILITIES:
        accounts[f"{code}_BV"] = PortalAccount(f"{code}_BV", code, hash_password(md5_hex(FACE_PASSWORD)))
    face = replace(settings.portal_face, require_tls=False, accounts=MappingProxyType(accounts))
    return replace(
        settings, data_dir=args.data, host=args.host, port=args.port,
        facilities=MappingProxyType(facilities), operators=MappingProxyType(operators),
        portal_face=face,
    )  # fmt: skip


def ensure_pki(settings: Settings) -> bool:
    """The development PKI in `<data>/pki` when missing; True when made now."""
    if settings.trust_dir.exists():
        return False
    from gateway.signing.devpki import init_dev_pki

    init_dev_pki(settings.keys_dir, tuple(FACILITIES))
    return True


def demo_delivery() -> DeliverySettings:
    """Quick retries and a short cool-down, so that the mild faults the demo injects are seen
    recovering within a minute."""
    return DeliverySettings(poll_seconds=0.2, retry_base_seconds=0.5, retry_cap_seconds=10.0,
                            breaker_cooldown_seconds=5.0, stop_timeout_seconds=3.0)


def demo_directory(portal_url: str) -> PortalDirectory:
    """The gateway's own accounts at the simulator, one per demo facility."""
    return PortalDirectory.of(*(
        FacilityAccount(code, Credentials.from_password(f"{code}_BV", PORTAL_PASSWORD), base_url=portal_url)
        for code in FACILITIES
    ))  # fmt: skip


class Feeder:
    """The sample HIS: a generated dossier every FEED_INTERVAL seconds, alternating facilities."""

    def __init__(self, api_url: str, keys_dir: Path) -> None:
        from gateway.signing import FileKeySigner

        self._url = f"{api_url}/api/v1/dossiers"
        self._signer = FileKeySigner.from_pki(keys_dir)
        self._rng = random.Random(2026)
        self.posted = self.accepted = self.rejected = self.failed = 0

    def _dossier(self, code: str) -> bytes:
        from gateway.samples import generate_one
        from gateway.signing import facility_key_id, sign

        body = generate_one(self._rng, facility=code)
        if FACILITIES[code] is SignaturePolicy.REQUIRED:
            body = sign(body, self._signer, facility_key_id(code))
        return body

    async def run(self) -> None:
        codes = list(FACILITIES)
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as session:
            number = 0
            while True:
                code = codes[number % len(codes)]
                number += 1
                try:
                    body = await loop.run_in_executor(None, self._dossier, code)
                    self.posted += 1
                    async with session.post(self._url, data=body, headers={
                        "Authorization": f"Bearer {FACILITY_TOKENS[code]}", "Content-Type": "application/xml",
                    }) as response:  # fmt: skip
                        text = await response.text()
                        if response.status == 202:
                            self.accepted += 1
                        else:
                            self.rejected += 1
                            print(f"  sample HIS: {code} got {response.status}: {text[:200]}", file=sys.stderr)
                except (aiohttp.ClientError, OSError) as exc:
                    self.failed += 1
                    print(f"  sample HIS: {code}: {type(exc).__name__}: {exc}", file=sys.stderr)
                await asyncio.sleep(FEED_INTERVAL)


async def counts(store: OutboxStore) -> dict[str, int]:
    """Totals over the last few days: received, delivered, refused, dead, backlog."""
    today = datetime.now(UTC).date()
    rows = await store.daily_counts(today - timedelta(days=2), today + timedelta(days=1))
    total = {"received": 0, "delivered": 0, "refused": 0, "dead": 0}
    for row in rows:
        for name in total:
            total[name] += getattr(row, name)
    total["backlog"] = max(0, total["received"] - total["delivered"] - total["refused"] - total["dead"])
    return total


def status_line(started: float, total: dict[str, int]) -> str:
    return (f"[{time.monotonic() - started:6.1f}s] accepted {total['received']}, delivered {total['delivered']}, "
            f"refused {total['refused']}, dead {total['dead']}, backlog {total['backlog']}")


async def run_live(args: argparse.Namespace, settings: Settings) -> int:
    """Run until Ctrl-C / SIGTERM or `--duration`; 0 on a clean stop."""
    from gateway.http.app import make_app
    from gateway.signing import TrustStore

    made = ensure_pki(settings)
    sim = PortalSimulator(SimConfig(
        accounts=dev_accounts(FACILITIES, PORTAL_PASSWORD), faults=parse_faults(FAULTS),
        trust=TrustStore.load(settings.trust_dir), keep_documents=False,
    ), shutdown_timeout=1.0)  # fmt: skip
    portal_url = await sim.start("127.0.0.1", 0)
    from gateway.delivery.component import DeliveryComponent
    from gateway.http.portal_face import portal_cards

    # the same components as `gateway serve` with a portal accounts file: delivery workers and
    # the face's card lookups, both with the gateway's own accounts at the simulator
    directory = demo_directory(portal_url)
    delivery = demo_delivery()
    app = make_app(settings, components=[
        lambda app: DeliveryComponent(app[keys.STORE], directory, delivery), portal_cards(directory)])
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    feeder_task: asyncio.Task[None] | None = None
    try:
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        api_url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        store = app[keys.STORE]
        _banner(args, settings, api_url, portal_url, made)
        if not args.no_feed:
            feeder = Feeder(api_url, settings.keys_dir)
            feeder_task = asyncio.create_task(feeder.run(), name="sample-his")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        started = time.monotonic()
        deadline = None if args.duration is None else started + args.duration
        while not stop.is_set():
            timeout = STATUS_INTERVAL if deadline is None else min(STATUS_INTERVAL, deadline - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(timeout, 0.0))
            print(status_line(started, await counts(store)), flush=True)
            if deadline is not None and time.monotonic() >= deadline:
                break
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if feeder_task is not None:
            feeder_task.cancel()
            await asyncio.gather(feeder_task, return_exceptions=True)
            feeder_task = None
        final = await counts(store)
    finally:
        if feeder_task is not None:
            feeder_task.cancel()
            await asyncio.gather(feeder_task, return_exceptions=True)
        await runner.cleanup()
        await sim.stop()
    print(f"gateway demo: stopped. {status_line(started, final).split('] ', 1)[1]} "
          f"(data kept in {settings.data_dir})", flush=True)
    return 0


def _banner(args: argparse.Namespace, settings: Settings, api_url: str, portal_url: str, made: bool) -> None:
    pki = f"{settings.keys_dir} ({'created now' if made else 'existing'})"
    lines = [
        "gateway demo: the gateway's main job, everything in this process (DEMO-ONLY credentials below)",
        f"  API:               {api_url}",
        f"  data (SQLite):     {settings.store_dsn}",
        f"  development PKI:   {pki}",
        f"  portal simulator:  {portal_url}  (faults: {FAULTS})",
        "  facility tokens:   01001 -> Bearer demo-01001 (signature policy: required; the sample HIS signs)",
        "                     79001 -> Bearer demo-79001 (signature policy: delegated; the gateway signs)",
        f"  operator token:    Bearer {OPERATOR_TOKEN}",
        f"  portal accounts:   01001_BV / {PORTAL_PASSWORD}, 79001_BV / {PORTAL_PASSWORD} (at the simulator)",
        f"  HIS accounts:      01001_BV / {FACE_PASSWORD}, 79001_BV / {FACE_PASSWORD} (portal-compatible face: POST /api/token/take, /api/qd130/...)",
        f"  sample HIS:        {'off (--no-feed)' if args.no_feed else f'a dossier every {FEED_INTERVAL}s'}",
        "Watch:",
        f"  curl -H 'Authorization: Bearer {OPERATOR_TOKEN}' {api_url}/api/v1/dossiers",
        f"  curl {api_url}/readyz ; curl {api_url}/metrics",
        f"Submit one: curl -H 'Authorization: Bearer demo-79001' -H 'Content-Type: application/xml' "
        f"--data-binary @FILE.xml {api_url}/api/v1/dossiers",
        "Stop with Ctrl-C." if args.duration is None else f"Running for {args.duration:g}s.",
    ]
    print("\n".join(lines), flush=True)


def run(args: argparse.Namespace) -> int:
    """The `gateway demo` handler for the live job."""
    from gateway.config import ConfigError
    from gateway.http.logs import configure_logging
    from gateway.signing import SigningError

    configure_logging(logging.WARNING)
    try:
        settings = demo_settings(args)
        return asyncio.run(run_live(args, settings))
    except ConfigError as exc:
        print(f"gateway demo: {exc}", file=sys.stderr)
        return 2
    except (SigningError, OSError) as exc:
        print(f"gateway demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
