"""Operators replay DEAD dossiers, one or in bulk; who and why go to the audit chain."""

from __future__ import annotations

from .helpers_store import finish
from .support import FACILITY_TOKENS, OPERATOR_TOKENS, Documents, Gateway


async def test_an_operator_replays_a_dead_dossier_and_is_audited(gateway: Gateway, documents: Documents) -> None:
    accepted = await gateway.submit(documents.envelope(50))
    await finish(gateway.store, accepted.body["id"], "dead")
    reply = await gateway.call("POST", f"{accepted.body['status_url']}/replay", token=OPERATOR_TOKENS["alice"],
                               json_body={"reason": "portal outage over"})
    assert reply.status == 200 and reply.body["state"] == "QUEUED"
    last = (await gateway.store.history(accepted.body["id"]))[-1]
    assert last.action == "replay" and last.actor == "operator:alice"
    assert last.detail_dict()["reason"] == "portal outage over"


async def test_replay_of_a_dossier_that_is_not_dead_is_a_conflict(gateway: Gateway, documents: Documents) -> None:
    accepted = await gateway.submit(documents.envelope(51))
    reply = await gateway.call("POST", f"{accepted.body['status_url']}/replay", token=OPERATOR_TOKENS["alice"],
                               json_body={"reason": "why not"})
    assert reply.status == 409 and reply.body["code"] == "outbox.invalid_transition"


async def test_replay_needs_a_reason_and_an_existing_dossier(gateway: Gateway, documents: Documents) -> None:
    accepted = await gateway.submit(documents.envelope(52))
    no_reason = await gateway.call("POST", f"{accepted.body['status_url']}/replay", token=OPERATOR_TOKENS["alice"],
                                   json_body={"reason": "  "})
    assert no_reason.status == 400 and no_reason.body["code"] == "replay.reason_required"
    missing = await gateway.call("POST", "/api/v1/dossiers/01ARZ3NDEKTSV4RRFFQ69G5FAV/replay",
                                 token=OPERATOR_TOKENS["alice"], json_body={"reason": "x"})
    assert missing.status == 404
    as_form = await gateway.call("POST", f"{accepted.body['status_url']}/replay", token=OPERATOR_TOKENS["alice"],
                                 data=b"reason=x", content_type="application/x-www-form-urlencoded")
    assert as_form.status == 415


async def test_a_facility_may_not_replay(gateway: Gateway, documents: Documents) -> None:
    accepted = await gateway.submit(documents.envelope(53))
    reply = await gateway.call("POST", f"{accepted.body['status_url']}/replay", token=FACILITY_TOKENS["01001"],
                               json_body={"reason": "please"})
    assert reply.status == 403


async def test_bulk_replay_requeues_every_dead_dossier_of_a_facility(gateway: Gateway, documents: Documents) -> None:
    dead = []
    for seed in (54, 55):
        accepted = await gateway.submit(documents.envelope(seed))
        await finish(gateway.store, accepted.body["id"], "dead")
        dead.append(accepted.body["id"])
    other = await gateway.submit(documents.envelope(56, "79001"), "79001")
    await finish(gateway.store, other.body["id"], "dead")
    reply = await gateway.call("POST", "/api/v1/dossiers/replay?state=DEAD&facility=01001",
                               token=OPERATOR_TOKENS["alice"], json_body={"reason": "bulk after outage"})
    assert reply.status == 200
    assert sorted(item["id"] for item in reply.body["replayed"]) == sorted(dead)
    assert reply.body["refused"] == []
    still_dead = await gateway.store.get(other.body["id"])
    assert still_dead is not None and still_dead.state.value == "DEAD"
    wrong_state = await gateway.call("POST", "/api/v1/dossiers/replay?state=QUEUED", token=OPERATOR_TOKENS["alice"],
                                     json_body={"reason": "x"})
    assert wrong_state.status == 400
