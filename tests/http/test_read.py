"""GET /api/v1/dossiers/{id} and the listing: a facility sees its own, operators see all."""

from __future__ import annotations

from .helpers_store import finish
from .support import FACILITY_TOKENS, OPERATOR_TOKENS, Documents, Gateway


async def test_a_dossier_shows_state_attempts_and_both_receipts(gateway: Gateway, documents: Documents) -> None:
    accepted = await gateway.submit(documents.envelope(40))
    await finish(gateway.store, accepted.body["id"], "delivered")
    reply = await gateway.call("GET", accepted.body["status_url"], token=FACILITY_TOKENS["01001"])
    assert reply.status == 200
    body = reply.body
    assert body["state"] == "DELIVERED" and body["attempts"] == 1
    assert body["portal_receipt"] == {"maGiaoDich": "GD-0001", "thoiGianTiepNhan": "20260304090000"}
    assert body["receipt"] == accepted.body["receipt"]  # the same signed receipt as the 202
    assert [v["id"] for v in body["versions"]] == [accepted.body["id"]]
    assert [h["to_state"] for h in body["history"]] == ["QUEUED", "SENDING", "DELIVERED"]


async def test_a_refused_dossier_shows_its_last_error(gateway: Gateway, documents: Documents) -> None:
    accepted = await gateway.submit(documents.envelope(41))
    await finish(gateway.store, accepted.body["id"], "refused")
    body = (await gateway.call("GET", accepted.body["status_url"], token=FACILITY_TOKENS["01001"])).body
    assert body["state"] == "REFUSED" and body["last_error"]["code"] == "400"


async def test_another_facilitys_dossier_is_not_found(gateway: Gateway, documents: Documents) -> None:
    accepted = await gateway.submit(documents.envelope(42))
    reply = await gateway.call("GET", accepted.body["status_url"], token=FACILITY_TOKENS["79001"])
    assert reply.status == 404 and reply.body["code"] == "dossier.not_found"
    unknown = await gateway.call("GET", "/api/v1/dossiers/01ARZ3NDEKTSV4RRFFQ69G5FAV", token=FACILITY_TOKENS["01001"])
    assert unknown.status == 404


async def test_a_facility_lists_only_its_own(gateway: Gateway, documents: Documents) -> None:
    mine = await gateway.submit(documents.envelope(43))
    theirs = await gateway.submit(documents.envelope(43, "79001"), "79001")
    listing = await gateway.call("GET", "/api/v1/dossiers", token=FACILITY_TOKENS["01001"])
    assert [item["id"] for item in listing.body["items"]] == [mine.body["id"]]
    forbidden = await gateway.call("GET", "/api/v1/dossiers?facility=79001", token=FACILITY_TOKENS["01001"])
    assert forbidden.status == 403
    everything = await gateway.call("GET", "/api/v1/dossiers", token=OPERATOR_TOKENS["victor"])
    assert {item["id"] for item in everything.body["items"]} == {mine.body["id"], theirs.body["id"]}


async def test_the_listing_filters_and_pages(gateway: Gateway, documents: Documents) -> None:
    ids = [(await gateway.submit(documents.envelope(seed))).body["id"] for seed in (44, 45, 46)]
    await finish(gateway.store, ids[0], "delivered")
    token = OPERATOR_TOKENS["victor"]
    delivered = await gateway.call("GET", "/api/v1/dossiers?state=DELIVERED", token=token)
    assert [i["id"] for i in delivered.body["items"]] == [ids[0]]
    queued = await gateway.call("GET", "/api/v1/dossiers?state=QUEUED,HELD&facility=01001", token=token)
    assert {i["id"] for i in queued.body["items"]} == set(ids[1:])
    first = await gateway.call("GET", "/api/v1/dossiers?limit=2", token=token)
    assert len(first.body["items"]) == 2 and first.body["next_cursor"]
    second = await gateway.call("GET", f"/api/v1/dossiers?limit=2&cursor={first.body['next_cursor']}", token=token)
    assert [i["id"] for i in first.body["items"] + second.body["items"]] == ids[::-1]
    assert second.body["next_cursor"] is None
    ma_lk = (await gateway.store.get(ids[1])).keys[0]  # type: ignore[union-attr]
    by_key = await gateway.call("GET", f"/api/v1/dossiers?ma_lk={ma_lk}", token=token)
    assert [i["id"] for i in by_key.body["items"]] == [ids[1]]


async def test_bad_query_parameters_are_400(gateway: Gateway) -> None:
    token = OPERATOR_TOKENS["victor"]
    for query in ("state=LOST", "limit=0", "since=yesterday", "cursor=zz", "facility=1", "document_type=XML9"):
        reply = await gateway.call("GET", f"/api/v1/dossiers?{query}", token=token)
        assert reply.status == 400 and reply.body["code"] == "http.bad_request", query
