"""Credentials and tokens never appear in a log line, a repr, an outcome or an exception."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import aiohttp
import pytest

from adapters.portal import (
    CardQuery,
    Credentials,
    PortalClient,
    PortalConfigError,
    PortalDirectory,
    Secret,
    Transient,
    load_directory,
    md5_upper,
)
from adapters.portal.simulator import DEV_PASSWORD, PortalSimulator, parse_faults

from .conftest import SETTINGS, Documents, FakeClock, account

PASSWORD = "S3cret-Mật-khẩu"


def _secrets(sim: PortalSimulator, password: str = DEV_PASSWORD) -> list[str]:
    digest = md5_upper(password)
    tokens = [t for access, issued in sim.state.tokens.items() for t in (access, issued.id_token)]
    return [password, digest, digest.lower(), *tokens]


def test_md5_is_upper_case_hex() -> None:
    assert md5_upper("abc") == "900150983CD24FB0D6963F7D28E17F72"


def test_reprs_mask_the_password_digest() -> None:
    creds = Credentials.from_password("01001_BV", PASSWORD)
    digest = md5_upper(PASSWORD)
    acct = account("http://127.0.0.1:1", password=PASSWORD)
    for text in (repr(creds), str(creds), repr(acct), repr(PortalDirectory.of(acct)), repr(creds.password_md5),
                 str(creds.password_md5), f"{creds.password_md5}"):  # fmt: skip
        assert digest not in text and digest.lower() not in text and PASSWORD not in text
    assert creds.password_md5.reveal() == digest


def test_a_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("x"))


async def test_no_secret_in_logs_or_outcomes_through_a_whole_flow(
    caplog: pytest.LogCaptureFixture, client: PortalClient, sim: PortalSimulator, documents: Documents,
    session: aiohttp.ClientSession, clock: FakeClock,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    outcomes: list[object] = [await client.send("01001", "envelope", documents.envelope.content)]
    card = sim.state.cards[0]
    query = CardQuery(card.card, card.name, card.birth_text, "Trần Văn Cán", "001090000001")
    outcomes.append(await client.lookup_card("01001", query))
    secrets = _secrets(sim)  # the tokens issued so far
    sim.state.tokens.clear()  # force a 401 and a re-login
    outcomes.append(await client.send("01001", "XML0", documents.checkin.content))
    sim.set_faults(parse_faults("deny=01001_BV"))
    outcomes.append(await client.lookup_card("01001", query))
    outcomes.append(await client.send("01001", "XML0", documents.checkin.content))
    secrets += _secrets(sim)
    await sim.stop()
    outcomes.append(await client.lookup_card("01001", query))  # connection refused, URL with password
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Delivered", "CardStatus", "Delivered", "AuthFailed", "AuthFailed", "Transient"]
    texts = [caplog.text, *(repr(o) for o in outcomes), *(str(o) for o in outcomes), repr(client)]
    texts += [o.detail for o in outcomes if isinstance(o, Transient)]
    assert "portal.send" in caplog.text and "portal.card_lookup" in caplog.text
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_card_query_and_status_reprs_hide_personal_data() -> None:
    query = CardQuery("GD4010123456789", "Nguyễn Văn An", "05/03/1994", "Trần Văn Cán", "001090000001")
    assert "Nguyễn" not in repr(query) and "0123456789" not in repr(query)


def test_accounts_file_reads_secrets_from_files_and_environment(tmp_path: Path) -> None:
    (tmp_path / "p01001").write_text(PASSWORD + "\n")
    (tmp_path / "portal.toml").write_text(
        '[defaults]\nbase_url = "https://egw.example.vn/"\nversion = "4750"\n'
        '[facilities."01001"]\npassword_file = "p01001"\n'
        '[facilities."79001"]\nusername = "HUB79_BV"\nversion = "130"\nbase_url = "http://hub/egw"\n'
        '[facilities."48001"]\npassword_md5_env = "MD5_48001"\n',
        encoding="utf-8",
    )
    env = {"GATEWAY_PORTAL_PASSWORD_79001": "other", "MD5_48001": md5_upper("x").lower()}
    directory = load_directory(tmp_path / "portal.toml", env)
    a, b, c = directory.get("01001"), directory.get("79001"), directory.get("48001")
    assert a is not None and b is not None and c is not None
    assert (a.base_url, a.version, a.credentials.username) == ("https://egw.example.vn", "4750", "01001_BV")
    assert a.credentials.password_md5.reveal() == md5_upper(PASSWORD)
    assert (b.base_url, b.version, b.credentials.username) == ("http://hub/egw", "130", "HUB79_BV")
    assert b.credentials.password_md5.reveal() == md5_upper("other")
    assert c.credentials.password_md5.reveal() == md5_upper("x")
    assert a.province == "01"


def test_missing_secret_is_a_config_error_naming_the_variable(tmp_path: Path) -> None:
    (tmp_path / "portal.toml").write_text('[facilities."01001"]\n', encoding="utf-8")
    with pytest.raises(PortalConfigError) as caught:
        load_directory(tmp_path / "portal.toml", {})
    assert caught.value.code == "portal.config"
    assert "GATEWAY_PORTAL_PASSWORD_01001" in caught.value.message


def test_malformed_digest_is_refused_without_echoing_it(tmp_path: Path) -> None:
    (tmp_path / "portal.toml").write_text('[facilities."01001"]\npassword_md5_env = "D"\n', encoding="utf-8")
    with pytest.raises(PortalConfigError) as caught:
        load_directory(tmp_path / "portal.toml", {"D": "not-a-digest-but-a-secret"})
    assert "not-a-digest-but-a-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"facility": "1001"}, "5 characters"), ({"version": "9999"}, "unknown version"),
     ({"base_url": "ftp://x"}, "http")],
)  # fmt: skip
def test_account_is_checked_when_built(kwargs: dict[str, str], fragment: str) -> None:
    from adapters.portal import FacilityAccount

    values = {"facility": "01001", "base_url": "http://x", "version": "4750", **kwargs}
    with pytest.raises(PortalConfigError, match=fragment):
        FacilityAccount(values["facility"], Credentials.from_password("u", "p"), values["base_url"], values["version"])


async def test_session_is_the_callers(session: aiohttp.ClientSession, sim: PortalSimulator, clock: FakeClock,
                                      documents: Documents) -> None:  # fmt: skip
    client = PortalClient(session, PortalDirectory.of(account(sim.url)), clock=clock, settings=SETTINGS)
    await client.send("01001", "XML0", documents.checkin.content)
    assert not session.closed  # the client never closes (or opens) a session of its own
