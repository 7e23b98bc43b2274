"""The process the crash test kills: accepts documents and delivers them, as fast as it can.

    python -m tests.outbox.crash_child DATA_DIR PKI_DIR FIRST_NUMBER

Prints `ACK <message id> <sha256 of the body>` after each `accept` returns (that is, after the
commit that made it durable) and never stops by itself: the parent kills it with SIGKILL.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import sys
from pathlib import Path

from gateway.outbox import DocumentType, OutboxSettings, Outcome, Submission, open_store
from gateway.outbox.checkpoint import GatewayCheckpointSigner
from gateway.outbox.timeutil import utc_now
from gateway.signing.signer import FileKeySigner


async def main(data: Path, pki: Path, first: int) -> None:
    signer = GatewayCheckpointSigner(FileKeySigner.from_pki(pki))
    store = await open_store(f"sqlite:///{data / 'outbox.db'}", checkpoint_signer=signer,
                             settings=OutboxSettings(min_free_bytes=0))
    numbers = itertools.count(first)
    acks = itertools.count(1)
    print("READY", flush=True)

    async def client() -> None:
        for number in numbers:
            body = (f"<GIAMDINHHS><N>{number}</N>" + "x" * 4000 + "<CHUKYDONVI/></GIAMDINHHS>").encode()
            keys = (f"LK{number % 97}", f"LK{number}")
            sub = Submission("01001", DocumentType.ENVELOPE, keys, hashlib.sha256(body).hexdigest(), body,
                             "facility:01001")
            accepted = await store.accept(sub)
            print(f"ACK {accepted.message_id} {sub.body_sha256}", flush=True)
            if next(acks) % 100 == 0:
                await store.checkpoint()

    async def courier() -> None:
        while True:
            leases = await store.lease("courier", utc_now(), 8, 1.0)
            for lease in leases:
                if await store.mark_sending(lease):
                    await store.record_outcome(lease, Outcome.delivered(f"GD{lease.message_id}", None))
            await asyncio.sleep(0)  # let the clients in (this is the child, not a test)

    await asyncio.gather(*(client() for _ in range(16)), courier())


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])))
