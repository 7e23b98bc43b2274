"""The card lookup (`KQNhanLichSuKCB2024`): the client against the simulator's seeded dataset."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from adapters.portal import CARD_RESULTS, AuthFailed, CardQuery, CardStatus, PortalClient, Transient
from adapters.portal.cards import parse_card_answer
from adapters.portal.simulator import PortalSimulator, SimCard, parse_faults

EXAMPLE = Path(__file__).parent / "data" / "KQNhanLichSuKCB2024_response_example.json"
STAFF = ("Trần Văn Cán", "001090000001")


def _query(person: SimCard, **changes: str) -> CardQuery:
    values = {"card": person.card, "name": person.name, "birth": person.birth_text, **changes}
    return CardQuery(values["card"], values["name"], values["birth"], *STAFF)


def _with_status(sim: PortalSimulator, status: str) -> SimCard:
    return next(c for c in sim.state.cards if c.status == status and not c.year_only)


def test_only_000_to_004_are_usable() -> None:
    assert sorted(code for code, row in CARD_RESULTS.items() if row.usable) == ["000", "001", "002", "003", "004"]
    assert CARD_RESULTS["101"].retryable and not CARD_RESULTS["070"].retryable


def test_the_published_example_parses() -> None:
    status = parse_card_answer(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert (status.code, status.usable) == ("000", True)
    assert (status.valid_from, status.valid_to) == (date(2024, 1, 1), date(2024, 12, 31))
    assert status.five_years_from == date(2025, 6, 1)
    assert status.registered_facility == "01832"
    assert status.visits[0].facility == "01094" and status.visits[0].admitted == "202404020822"
    assert status.checks[0].code == "000"


async def test_a_valid_card_is_usable(client: PortalClient, sim: PortalSimulator) -> None:
    card = _with_status(sim, "000")
    status = await client.lookup_card("01001", _query(card))
    assert isinstance(status, CardStatus)
    assert (status.code, status.usable, status.card, status.name) == ("000", True, card.card, card.name)
    assert status.valid_to == card.valid_to
    assert status.checks and status.checks[0].user == "01001_BV"


async def test_lookup_by_social_insurance_number(client: PortalClient, sim: PortalSimulator) -> None:
    card = _with_status(sim, "000")
    status = await client.lookup_card("01001", _query(card, card=card.social_insurance_number))
    assert isinstance(status, CardStatus) and status.code == "000"


@pytest.mark.parametrize(("state", "code", "usable"), [("010", "010", False), ("003", "003", True), ("110", "110", False)])
async def test_card_states_come_back_as_codes(
    client: PortalClient, sim: PortalSimulator, state: str, code: str, usable: bool
) -> None:
    status = await client.lookup_card("01001", _query(_with_status(sim, state)))
    assert isinstance(status, CardStatus) and (status.code, status.usable) == (code, usable)


async def test_identity_mismatches(client: PortalClient, sim: PortalSimulator) -> None:
    card = _with_status(sim, "000")
    other_initial = "Z" + card.name[1:]
    cases = {
        "060": _query(card, name=other_initial),
        "061": _query(card, name=card.name + " Thị"),
        "070": _query(card, birth="01/01/1900"),
        "050": _query(card, card="9999999999"),
        "051": _query(card, card="12345"),
        "052": _query(card, card=card.card[:3] + ("00" if card.card[3:5] != "00" else "11") + card.card[5:]),
    }
    for expected, query in cases.items():
        status = await client.lookup_card("01001", query)
        assert isinstance(status, CardStatus) and status.code == expected, expected
        assert not status.usable


async def test_name_compare_ignores_case_and_spacing(client: PortalClient, sim: PortalSimulator) -> None:
    card = _with_status(sim, "000")
    status = await client.lookup_card("01001", _query(card, name="  " + card.name.upper().replace(" ", "  ")))
    assert isinstance(status, CardStatus) and status.code == "000"


async def test_unregistered_staff_cccd_is_054(client: PortalClient, sim: PortalSimulator) -> None:
    card = _with_status(sim, "000")
    status = await client.lookup_card("01001", CardQuery(card.card, card.name, card.birth_text, "X", "123"))
    assert isinstance(status, CardStatus) and status.code == "054"


async def test_denied_account_is_auth_failed(client: PortalClient, sim: PortalSimulator) -> None:
    sim.set_faults(parse_faults("deny=01001_BV"))
    assert isinstance(await client.lookup_card("01001", _query(sim.state.cards[0])), AuthFailed)


async def test_refused_token_logs_in_again(client: PortalClient, sim: PortalSimulator) -> None:
    card = _with_status(sim, "000")
    await client.lookup_card("01001", _query(card))
    sim.state.tokens.clear()
    status = await client.lookup_card("01001", _query(card))
    assert isinstance(status, CardStatus) and status.code == "000"
    assert sim.state.token_requests["01001_BV"] == 2


async def test_server_error_is_transient(client: PortalClient, sim: PortalSimulator) -> None:
    sim.set_faults(parse_faults("error_rate=1"))
    outcome = await client.lookup_card("01001", _query(sim.state.cards[0]))
    assert isinstance(outcome, Transient) and outcome.reason == "portal.http.500"


def test_dataset_is_seeded() -> None:
    from adapters.portal.simulator.cards import make_cards

    assert make_cards(3, 10) == make_cards(3, 10)
    assert make_cards(3, 10) != make_cards(4, 10)
    statuses = {c.status for c in make_cards(0, 40)}
    assert statuses == {"000", "010", "003", "110"}


def test_birth_text_forms() -> None:
    assert CardQuery.birth_text(date(1994, 3, 5)) == "05/03/1994"
    assert CardQuery.birth_text(year=1950) == "1950"
