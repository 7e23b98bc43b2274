"""The face's tokens survive a restart and are shared by every gateway process on the data
directory: stored hashed (SHA-256 of the token and id token, an HMAC of the password's MD5
keyed with the token), bound to their facility, expiring."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from gateway.http.portal_face.token_store import FILE_NAME
from tests.http.support import Documents

from .conftest import Clocks, MakeFace
from .his import ENVELOPE


async def test_a_token_stays_valid_across_a_restart_until_it_expires(
    make_face: MakeFace, documents: Documents, tmp_path: Path
) -> None:
    first = await make_face(base=tmp_path)
    his = first.his("01001")
    await his.take_token()
    await first.client.close()  # the gateway stops (its app shuts down)

    clocks = Clocks(offset=timedelta(minutes=50))
    second = await make_face(base=tmp_path, clocks=clocks)
    his.client = second.client
    status, body = await his.send(ENVELOPE, documents.envelope(921))
    assert status == 200 and body["maKetQua"] == "200", body
    status, detail = await his.native_status(body["maGiaoDich"])
    assert status == 200 and detail["facility"] == "01001"

    clocks.offset = timedelta(minutes=61)  # past the hour the token was issued for
    status, body = await his.send(ENVELOPE, documents.envelope(922))
    assert status == 401 and "hết hạn" in body["thongDiep"]


async def test_two_gateway_processes_on_one_data_directory_see_the_same_tokens(
    make_face: MakeFace, documents: Documents, tmp_path: Path
) -> None:
    one, two = await make_face(base=tmp_path), await make_face(base=tmp_path)
    his = one.his("79001")
    await his.take_token()
    his.client = two.client  # the load balancer sends the next request to the other worker
    status, body = await his.send(ENVELOPE, documents.envelope(923, "79001"))
    assert status == 200 and body["maKetQua"] == "200", body
    status, _ = await his.native_status(body["maGiaoDich"])
    assert status == 200


async def test_a_restored_token_is_still_bound_to_its_facility(
    make_face: MakeFace, documents: Documents, tmp_path: Path
) -> None:
    first = await make_face(base=tmp_path)
    his = first.his("79001")
    await his.take_token()
    second = await make_face(base=tmp_path)
    his.client = second.client
    status, body = await his.send(ENVELOPE, documents.envelope(924, "01001"), ma_cskcb="79001")
    assert status == 403 and "auth.wrong_facility" in body["thongDiep"]
    status, body = await his.send(ENVELOPE, documents.envelope(924, "01001"), ma_cskcb="01001")
    assert status == 403 and "maCSKCB" in body["thongDiep"]


async def test_a_token_of_an_account_no_longer_configured_is_refused(
    make_face: MakeFace, documents: Documents, tmp_path: Path
) -> None:
    first = await make_face(base=tmp_path)
    his = first.his("79001")
    await his.take_token()
    second = await make_face(base=tmp_path, accounts=("01001",))  # 79001_BV removed from the configuration
    his.client = second.client
    status, body = await his.send(ENVELOPE, documents.envelope(925, "79001"))
    assert status == 401 and body["maKetQua"] == "401"
    status, _ = await his.native("GET", "/api/v1/dossiers")
    assert status == 401


async def test_the_tokens_file_holds_no_token_id_token_or_password(make_face: MakeFace, tmp_path: Path) -> None:
    face = await make_face(base=tmp_path)
    his = face.his("01001")
    await his.take_token()
    path = face.settings.data_dir / FILE_NAME
    assert path.stat().st_mode & 0o077 == 0
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT * FROM face_tokens").fetchall()
    assert len(rows) == 1 and rows[0][2:4] == ("01001_BV", "01001")
    raw = b"".join(p.read_bytes() for p in path.parent.glob(FILE_NAME + "*"))
    for secret in (his.access_token, his.id_token, his.md5, his.md5.lower()):
        assert secret.encode() not in raw
