"""The process the crash test kills: a DeliveryService on a store, sending to a simulator.

    python -m tests.delivery.crash_child DATA_DIR PKI_DIR PORTAL_URL

Prints `READY` once delivering; on SIGTERM stops gracefully (exit 0). The parent mostly kills
it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

from adapters.portal import Credentials, FacilityAccount, PortalDirectory, PortalSettings, Timeouts
from adapters.portal.simulator import DEV_PASSWORD
from gateway.delivery import DeliveryService, DeliverySettings
from gateway.outbox import OutboxSettings, open_store
from gateway.outbox.checkpoint import GatewayCheckpointSigner
from gateway.signing.signer import FileKeySigner

SETTINGS = DeliverySettings(
    concurrency=8, lease_seconds=1.0, poll_seconds=0.02, retry_base_seconds=0.01, retry_cap_seconds=0.2,
    breaker_cooldown_seconds=0.2, stop_timeout_seconds=2.0,
)  # fmt: skip
FACILITIES = ("01001", "79001")


async def main(data: Path, pki: Path, url: str) -> None:
    signer = GatewayCheckpointSigner(FileKeySigner.from_pki(pki))
    store = await open_store(f"sqlite:///{data / 'outbox.db'}", checkpoint_signer=signer,
                             settings=OutboxSettings(min_free_bytes=0))  # fmt: skip
    directory = PortalDirectory.of(*(
        FacilityAccount(code, Credentials.from_password(f"{code}_BV", DEV_PASSWORD), base_url=url)
        for code in FACILITIES
    ))  # fmt: skip
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    async with aiohttp.ClientSession() as session:
        service = DeliveryService.for_portal(
            store, session, directory, settings=SETTINGS,
            portal_settings=PortalSettings(timeouts=Timeouts(connect=1.0, read=2.0, total=3.0)),
            worker_id=f"delivery:crash:{os.getpid()}",
        )  # fmt: skip
        await service.start()
        print("READY", flush=True)
        await stopping.wait()
        await service.stop()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]))
