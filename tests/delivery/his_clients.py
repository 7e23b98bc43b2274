"""Hospitals for the crash test: concurrent HTTP clients of the native API, each submitting its
own facility-signed dossiers (and newer versions of them) and keeping what the gateway answered:
202 (accepted), an error answer (4xx/5xx), or no answer at all (the gateway died mid-request)."""

from __future__ import annotations

import asyncio
import enum
import hashlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import aiohttp

from gateway.signing import FileKeySigner, facility_key_id, sign
from tests.delivery.documents import versions
from tests.delivery.gateway_process import token_of


class Answer(enum.Enum):
    ACCEPTED = "accepted"  # 202
    ERROR = "error"  # any other status
    NONE = "none"  # the connection broke after the request went out


@dataclass(frozen=True)
class Dossier:
    """One version of one facility's dossier for one MA_LK, as the hospital sends it."""

    facility: str
    ma_lk: str
    version: int
    body: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class Submitted:
    dossier: Dossier
    answer: Answer
    status: int | None = None
    message_id: str | None = None


def plans(
    signer: FileKeySigner, facilities: Iterable[str], rng: random.Random, *, clients: int,
    lines: int, most_versions: int, unsigned: int,
) -> list[list[Dossier]]:  # fmt: skip
    """Each client's dossiers in sending order. Every MA_LK belongs to one client, which sends
    its versions in order, interleaved with its other MA_LK; `unsigned` dossiers per facility
    lack the required facility signature (the gateway must refuse them)."""
    chains: list[list[Dossier]] = []
    for facility in facilities:
        for seed in range(lines):
            made = versions(facility, 5000 + seed, rng.randint(1, most_versions))
            chains.append([Dossier(facility, d.ma_lk, d.version, sign(d.content, signer, facility_key_id(facility)))
                           for d in made])  # fmt: skip
        for seed in range(unsigned):
            [d] = versions(facility, 9000 + seed)
            chains.append([Dossier(facility, d.ma_lk, d.version, d.content)])
    rng.shuffle(chains)
    out: list[list[Dossier]] = []
    for number in range(clients):
        mine = [list(chain) for chain in chains[number::clients]]
        order: list[Dossier] = []
        while any(mine):
            chain = rng.choice([c for c in mine if c])
            order.append(chain.pop(0))
        out.append(order)
    return out


async def submit_all(
    session: aiohttp.ClientSession, url: str, plan: list[Dossier], record: Callable[[Submitted], None]
) -> None:
    """Send the plan in order. A refused connection (the gateway is down) sent nothing: the same
    dossier is tried again. Any other failure is "no answer": the next dossier follows."""
    for dossier in plan:
        while True:
            try:
                async with session.post(f"{url}/api/v1/dossiers", data=dossier.body, headers={
                    "Authorization": f"Bearer {token_of(dossier.facility)}", "Content-Type": "application/xml",
                }) as response:  # fmt: skip
                    if response.status == 202:
                        body = await response.json(content_type=None)  # a cut-off body: no answer
                        record(Submitted(dossier, Answer.ACCEPTED, 202, str(body["id"])))
                    else:
                        record(Submitted(dossier, Answer.ERROR, response.status))
                break
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.02)  # down: nothing was sent
            except (aiohttp.ClientError, TimeoutError, ValueError):
                record(Submitted(dossier, Answer.NONE))
                break
