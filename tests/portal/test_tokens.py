"""The token: taken once, renewed before it expires, one login at a time, again on 401."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from adapters.portal import (
    AuthFailed,
    CardQuery,
    Delivered,
    PortalClient,
    PortalDirectory,
    parse_expiry,
)
from adapters.portal.simulator import Faults, PortalSimulator

from .conftest import SETTINGS, Documents, FakeClock, account

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def test_expiry_with_seven_fractional_digits_and_z() -> None:
    assert parse_expiry("2026-03-31T03:05:48.0692552Z", NOW) == datetime(
        2026, 3, 31, 3, 5, 48, 69255, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-31T03:05:48Z", datetime(2026, 3, 31, 3, 5, 48, tzinfo=UTC)),
        ("2026-03-31T03:05:48.5Z", datetime(2026, 3, 31, 3, 5, 48, 500000, tzinfo=UTC)),
        ("2026-03-31T03:05:48.123456789Z", datetime(2026, 3, 31, 3, 5, 48, 123456, tzinfo=UTC)),
        ("2026-03-31T03:05:48.0692552", datetime(2026, 3, 31, 3, 5, 48, 69255, tzinfo=UTC)),
        ("2026-03-31 03:05:48", datetime(2026, 3, 31, 3, 5, 48, tzinfo=UTC)),
        ("2026-03-31T10:05:48+07:00", datetime(2026, 3, 31, 3, 5, 48, tzinfo=UTC)),
        ("2026-03-31T10:05:48.1+0700", datetime(2026, 3, 31, 3, 5, 48, 100000, tzinfo=UTC)),
        ("/Date(1774926348000)/", datetime(2026, 3, 31, 3, 5, 48, tzinfo=UTC)),
        (3600, NOW + timedelta(hours=1)),
        ("1800", NOW + timedelta(minutes=30)),
    ],
)
def test_expiry_formats_are_read_robustly(text: object, expected: datetime) -> None:
    assert parse_expiry(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01T00:00:00Z", None, True, -5, [1]])
def test_unreadable_expiry_is_none(text: object) -> None:
    assert parse_expiry(text, NOW) is None


async def test_first_send_takes_one_token_and_reuses_it(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    for _ in range(3):
        assert isinstance(await client.send("01001", "envelope", documents.envelope.content), Delivered)
    assert sim.state.token_requests == {"01001_BV": 1}


async def test_token_is_renewed_before_it_expires(
    client: PortalClient, sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    # the simulator's tokens last one hour; the client renews 120 s before the end
    await client.send("01001", "XML0", documents.checkin.content)
    clock.advance(minutes=57, seconds=59)
    await client.send("01001", "XML0", documents.checkin.content)
    assert sim.state.token_requests["01001_BV"] == 1
    clock.advance(seconds=2)  # 58:01 — inside the renewal margin, still valid at the portal
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Delivered)
    assert sim.state.token_requests["01001_BV"] == 2


async def test_renewal_margin_is_configurable(
    session: aiohttp.ClientSession, sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    settings = type(SETTINGS)(timeouts=SETTINGS.timeouts, renew_margin=timedelta(minutes=30))
    client = PortalClient(session, PortalDirectory.of(account(sim.url)), clock=clock, settings=settings)
    await client.send("01001", "XML0", documents.checkin.content)
    clock.advance(minutes=31)
    await client.send("01001", "XML0", documents.checkin.content)
    assert sim.state.token_requests["01001_BV"] == 2


async def test_fifty_concurrent_sends_take_one_token(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    outcomes = await asyncio.gather(
        *(client.send("01001", "XML0", documents.checkin.content) for _ in range(50))
    )
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert sim.state.token_requests == {"01001_BV": 1}
    assert len(sim.received) == 50


async def test_accounts_renew_independently(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    await client.send("01001", "XML0", documents.checkin.content)
    await client.lookup_card("79001", _any_query(sim))
    assert sim.state.token_requests == {"01001_BV": 1, "79001_BV": 1}


async def test_refused_token_logs_in_again_and_resends_once(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    await client.send("01001", "XML0", documents.checkin.content)
    sim.state.tokens.clear()  # the portal forgot its sessions (a restart): the next call gets 401
    outcome = await client.send("01001", "XML0", documents.checkin.content)
    assert isinstance(outcome, Delivered)
    assert sim.state.token_requests["01001_BV"] == 2
    assert [r.status for r in sim.received] == [200, 401, 200]


async def test_concurrent_401s_cause_one_new_login(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    await client.send("01001", "XML0", documents.checkin.content)
    sim.state.tokens.clear()
    outcomes = await asyncio.gather(
        *(client.send("01001", "XML0", documents.checkin.content) for _ in range(20))
    )
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert sim.state.token_requests["01001_BV"] == 2


async def test_expired_token_at_the_portal_is_renewed(
    session: aiohttp.ClientSession, sim: PortalSimulator, clock: FakeClock, documents: Documents
) -> None:
    # a client whose clock runs 10 minutes slow still believes its token valid: the portal's
    # 401 makes it log in again
    slow = FakeClock(clock.now)
    client = PortalClient(session, PortalDirectory.of(account(sim.url)), clock=slow, settings=SETTINGS)
    await client.send("01001", "XML0", documents.checkin.content)
    clock.advance(minutes=61)
    slow.advance(minutes=51)
    assert isinstance(await client.send("01001", "XML0", documents.checkin.content), Delivered)
    assert sim.state.token_requests["01001_BV"] == 2


async def test_failed_login_is_shared_by_those_waiting_for_it(
    client: PortalClient, sim: PortalSimulator, documents: Documents
) -> None:
    sim.set_faults(Faults(deny=frozenset({"01001_BV"})))
    outcomes = await asyncio.gather(
        *(client.send("01001", "XML0", documents.checkin.content) for _ in range(10))
    )
    assert all(isinstance(o, AuthFailed) and o.code == "portal.auth.401" for o in outcomes)
    assert sim.state.token_requests["01001_BV"] == 1
    assert sim.received == []  # no document left the gateway


def _any_query(sim: PortalSimulator) -> CardQuery:
    card = sim.state.cards[0]
    return CardQuery(card.card, card.name, card.birth_text, "Nguyễn Văn Cán", "001090000001")
