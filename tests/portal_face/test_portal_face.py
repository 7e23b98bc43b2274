"""The portal-compatible face, driven by a client written the way HIS vendors write theirs:
form posts, the MD5 hex of the password, the accessToken / tokenId / passwordHash headers."""

from __future__ import annotations

import base64
import logging
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from gateway.http.portal_face.accounts import md5_hex
from tests.http.support import Documents

from .conftest import PASSWORDS, Face
from .his import CHECK_IN, ENVELOPE, FORM, XML12


async def test_a_vendor_his_takes_a_token_in_the_portals_format(face: Face) -> None:
    his = face.his("01001")
    status, body = await his.take_token()
    assert status == 200 and body["maKetQua"] == "200"
    key = body["APIKey"]
    assert set(key) == {"access_token", "id_token", "token_type", "username", "expires_in"}
    assert key["username"] == "01001_BV"
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$", key["expires_in"])


async def test_a_json_token_request_and_a_lower_case_md5_work_too(face: Face) -> None:
    md5 = md5_hex(PASSWORDS["79001"]).lower()
    async with face.client.post("/api/token/take", json={"username": "79001_BV", "password": md5}) as response:
        assert response.status == 200 and (await response.json())["maKetQua"] == "200"


async def test_a_dossier_a_check_in_and_an_xml12_are_received_and_followed_natively(
    face: Face, documents: Documents
) -> None:
    his = face.his("01001")
    await his.take_token()
    sent = [
        (ENVELOPE, documents.envelope(801), "130", "envelope"),
        (CHECK_IN, documents.standalone("XML0", 802), "0", "XML0"),
        (XML12, documents.standalone("XML12", 803), "12", "XML12"),
    ]
    for path, document, loai, kind in sent:
        status, body = await his.send(path, document, loai=loai, raw_plus=kind == "envelope")
        assert status == 200, body
        assert body["maKetQua"] == "200"
        assert re.match(r"^[0-9A-HJKMNP-TV-Z]{26}$", body["maGiaoDich"])
        assert re.match(r"^20\d{12}$", body["thoiGianTiepNhan"])
        status, detail = await his.native_status(body["maGiaoDich"])
        assert status == 200, detail
        assert detail["id"] == body["maGiaoDich"]
        assert detail["facility"] == "01001" and detail["document_type"] == kind


async def test_the_portal_token_sees_only_its_own_facility_on_the_native_api(
    face: Face, documents: Documents
) -> None:
    his, other = face.his("01001"), face.his("79001")
    await his.take_token()
    await other.take_token()
    _, body = await his.send(ENVELOPE, documents.envelope(811))
    status, _ = await other.native_status(body["maGiaoDich"])
    assert status == 404
    async with face.client.get("/api/v1/dossiers",
                               headers={"Authorization": f"Bearer {other.access_token}"}) as response:
        listing = await response.json()
    assert response.status == 200 and all(item["facility"] == "79001" for item in listing["items"])


async def test_an_invalid_dossier_is_refused_with_422_and_the_field_codes_in_vietnamese(
    face: Face, documents: Documents
) -> None:
    his = face.his("01001")
    await his.take_token()
    status, body = await his.send(ENVELOPE, documents.envelope(821, defect="XML1.MA_THE_BHYT.format"))
    assert status == 422 and body["maKetQua"] == "422"
    assert body["maGiaoDich"] == ""
    assert body["thongDiep"].startswith("Hồ sơ không hợp lệ")
    assert "MA_THE_BHYT" in body["thongDiep"] and "document.invalid" in body["thongDiep"]


async def test_wrong_facility_in_the_form_is_refused_with_403(face: Face, documents: Documents) -> None:
    his = face.his("01001")
    await his.take_token()
    status, body = await his.send(ENVELOPE, documents.envelope(831), ma_cskcb="79001")
    assert status == 403 and body["maKetQua"] == "403" and "maCSKCB" in body["thongDiep"]


async def test_a_wrong_province_in_the_form_is_refused_with_403(face: Face, documents: Documents) -> None:
    his = face.his("01001")
    await his.take_token()
    form = "username=01001_BV&loaiHoSo=130&maTinh=79&maCSKCB=01001&fileHSBase64=" + quote(
        base64.b64encode(documents.envelope(833)).decode("ascii"), safe="")
    async with face.client.post(ENVELOPE, data=form, headers={**his.headers(), "Content-Type": FORM}) as response:
        body = await response.json()
    assert response.status == 403 and body["maKetQua"] == "403" and "maTinh" in body["thongDiep"]


async def test_a_document_of_another_facility_is_refused_with_403(face: Face, documents: Documents) -> None:
    his = face.his("01001")
    await his.take_token()
    status, body = await his.send(ENVELOPE, documents.envelope(832, "79001"))
    assert status == 403 and body["maKetQua"] == "403" and "auth.wrong_facility" in body["thongDiep"]


async def test_an_expired_token_is_refused_with_401_here_and_natively(face: Face, documents: Documents) -> None:
    his = face.his("01001")
    await his.take_token()
    face.clocks.offset = timedelta(hours=2)
    status, body = await his.send(ENVELOPE, documents.envelope(841))
    assert status == 401 and body["maKetQua"] == "401" and "hết hạn" in body["thongDiep"]
    async with face.client.get("/api/v1/dossiers",
                               headers={"Authorization": f"Bearer {his.access_token}"}) as response:
        assert response.status == 401 and (await response.json())["code"] == "auth.expired"


async def test_another_facilitys_token_is_refused(face: Face, documents: Documents) -> None:
    his, other = face.his("01001"), face.his("79001")
    await his.take_token()
    await other.take_token()
    # 01001's HIS replays 79001's token (with 79001's headers) for its own dossier
    status, body = await his.send(ENVELOPE, documents.envelope(851), headers={
        "accessToken": other.access_token, "tokenId": other.id_token, "passwordHash": other.md5})
    assert status == 401 and body["maKetQua"] == "401"  # username 01001_BV is not the token's
    # ... or with its own username but 79001's token and id: the token's facility decides
    his.access_token, his.id_token = other.access_token, other.id_token
    status, body = await his.send(ENVELOPE, documents.envelope(851), headers={"passwordHash": other.md5})
    assert status == 401 and body["maKetQua"] == "401"


async def test_a_mismatched_token_id_is_refused(face: Face, documents: Documents) -> None:
    his = face.his("01001")
    await his.take_token()
    status, body = await his.send(ENVELOPE, documents.envelope(855), headers={"tokenId": "nope"})
    assert status == 401 and body["maKetQua"] == "401"


@pytest.mark.parametrize("password_hash", ["0" * 32, "", "not-hex"])
async def test_a_bad_password_hash_header_is_refused(face: Face, documents: Documents, password_hash: str) -> None:
    his = face.his("01001")
    await his.take_token()
    status, body = await his.send(ENVELOPE, documents.envelope(861), headers={"passwordHash": password_hash})
    assert status == 401 and body["maKetQua"] == "401"


async def test_a_bad_password_is_refused_with_401(face: Face) -> None:
    status, body = await face.his("01001", "wrong").take_token()
    assert status == 401 and body["maKetQua"] == "401" and "APIKey" not in body
    status, body = await face.his("99999", "x").take_token()
    assert status == 401 and body["maKetQua"] == "401"


async def test_brute_force_locks_the_username_out(face: Face) -> None:
    for _ in range(5):
        status, body = await face.his("01001", "guess").take_token()
        assert status == 401
    status, body = await face.his("01001").take_token()  # even the right password now
    assert status == 429 and body["maKetQua"] == "429"
    face.clocks.seconds += 901
    status, body = await face.his("01001").take_token()
    assert status == 200 and body["maKetQua"] == "200"


async def test_the_token_endpoint_is_rate_limited_per_address(face: Face) -> None:
    statuses = []
    for index in range(14):
        his = face.his("79001", f"try-{index}")
        his.username = f"user{index}_BV"
        statuses.append((await his.take_token())[0])
    assert statuses[:12] == [401] * 12 and statuses[12:] == [429, 429]


async def test_a_malformed_base64_or_missing_headers_get_the_portals_codes(face: Face) -> None:
    his = face.his("01001")
    await his.take_token()
    form = "username=01001_BV&loaiHoSo=130&maTinh=01&maCSKCB=01001&fileHSBase64=%%%"
    async with face.client.post(ENVELOPE, data=form, headers={
            "accessToken": his.access_token, "tokenId": his.id_token, "passwordHash": his.md5,
            "Content-Type": FORM}) as response:
        assert response.status == 400 and (await response.json())["maKetQua"] == "400"
    async with face.client.post(ENVELOPE, data=form, headers={"Content-Type": FORM}) as response:
        assert response.status == 401 and (await response.json())["maKetQua"] == "401"


async def test_plain_http_is_refused_when_tls_is_required(
    aiohttp_client: Any, tmp_path: Any, pki: Any
) -> None:
    from gateway.http.app import make_app
    from tests.http.support import gateway_settings

    client = await aiohttp_client(make_app(gateway_settings(tmp_path, pki)))
    async with client.post("/api/token/take", data={"username": "01001_BV", "password": "0" * 32}) as response:
        body = await response.json()
    assert response.status == 403 and body["maKetQua"] == "403" and "HTTPS" in body["thongDiep"]


async def test_passwords_never_reach_a_log_line(
    face: Face, documents: Documents, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    his = face.his("01001")
    await his.take_token()
    await his.send(ENVELOPE, documents.envelope(871))
    await face.his("01001", "wrong-password").take_token()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "portal" in text or "http.request" in text
    for secret in (his.md5, his.md5.lower(), md5_hex("wrong-password"), his.access_token, his.id_token):
        assert secret not in text


def test_accounts_are_configured_as_scrypt_hashes_only(tmp_path: Any) -> None:
    from gateway.config import ConfigError, load_settings
    from gateway.http.portal_face.accounts import hash_password, verify_password

    secret = hash_password(md5_hex("demo"))
    path = tmp_path / "gateway.toml"
    path.write_text(f'[portal_face]\ntoken_ttl_seconds = 600\n[portal_face.accounts."01001_BV"]\n'
                    f'secret = "{secret}"\n', encoding="utf-8")
    config = load_settings(path, env={}).portal_face
    account = config.accounts["01001_BV"]
    assert config.enabled and config.require_tls and config.token_ttl_seconds == 600
    assert account.facility == "01001" and verify_password(account.secret, md5_hex("demo").lower())
    assert not verify_password(account.secret, md5_hex("demo2"))
    path.write_text(f'[portal_face.accounts."01001_BV"]\nsecret = "{md5_hex("demo")}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="scrypt"):
        load_settings(path, env={})
