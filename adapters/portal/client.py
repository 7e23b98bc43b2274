"""The assessment portal's client: submit a QĐ 130 document, look up a card.

    async with aiohttp.ClientSession() as session:
        client = PortalClient(session, load_directory(Path("portal.toml")), clock=utc_now)
        outcome = await client.send("01001", "envelope", envelope_bytes)
        match outcome:
            case Delivered(ma_giao_dich=receipt): ...   # received (not assessed)
            case Refused(code, message): ...            # final
            case AuthFailed(): ...                      # hold the facility, alert
            case Transient(retry_after=wait, sent=sent): ...   # retry; audit if sent

The session and the clock come from the caller (zeep-style): the client opens no connection
pool of its own and reads no global time, so tests drive it over loopback with a fake clock.
The client sends each document once per call (plus once more after a refused token); retry
policy is the caller's (gateway/delivery), which reads `Transient.retry_after` and `.sent`.
"""

from __future__ import annotations

import base64
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp

from adapters.portal.answers import auth_failure, interpret_submission
from adapters.portal.auth import Token, TokenCache, TokenPolicy
from adapters.portal.cards import CardQuery, CardStatus, parse_card_answer
from adapters.portal.credentials import FacilityAccount, PortalDirectory
from adapters.portal.errors import BAD_ANSWER, NO_ACCOUNT
from adapters.portal.logs import emit
from adapters.portal.outcomes import (
    AuthFailed,
    Delivered,
    Refused,
    SendOutcome,
    Transient,
    parse_retry_after,
)
from adapters.portal.paths import CARD_LOOKUP_PATH, LOAI_HO_SO, document_type_name, submit_path
from adapters.portal.transport import HttpAnswer, Timeouts, post
from gateway.identity.mask import mask_id

Clock = Callable[[], datetime]
CardLookupResult = CardStatus | AuthFailed | Transient


def utc_now() -> datetime:
    """The real clock (the default)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class PortalSettings:
    """How the client talks to the portal: timeouts and token renewal."""

    timeouts: Timeouts = field(default_factory=Timeouts)
    renew_margin: timedelta = timedelta(seconds=120)  # renew a token this long before it ends
    fallback_token_lifetime: timedelta = timedelta(minutes=10)  # when expires_in is unreadable


class PortalClient:
    """Speaks the portal's API for every facility of a `PortalDirectory`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        directory: PortalDirectory,
        *,
        clock: Clock = utc_now,
        settings: PortalSettings = PortalSettings(),
        logger: logging.Logger | None = None,
    ) -> None:
        self._session = session
        self._directory = directory
        self._clock = clock
        self._settings = settings
        self._log = logger or logging.getLogger("adapters.portal")
        self._tokens = TokenCache(
            session,
            clock,
            settings.timeouts,
            TokenPolicy(settings.renew_margin, settings.fallback_token_lifetime),
            self._log,
        )

    def __repr__(self) -> str:
        return f"PortalClient(facilities={sorted(a.facility for a in self._directory)})"

    async def send(
        self,
        facility: str,
        document_type: str | enum.Enum,
        document: bytes,
        *,
        version: str | None = None,
    ) -> SendOutcome:
        """Submit one document (the exact bytes, signed) for `facility`, once.

        `document_type` is "envelope", "XML0" or "XML12" (or an enum with that value, like the
        outbox's DocumentType); `version` overrides the facility's configured schema version.
        A refused token (401/403) is renewed and the document sent once more; a second refusal
        is AuthFailed. A facility without an account is AuthFailed `portal.auth.no_account`.
        Raises PortalConfigError `portal.document_type` for an unknown type or version.
        """
        kind = document_type_name(document_type)
        account = self._directory.get(facility)
        if account is None:
            return AuthFailed(NO_ACCOUNT, f"no portal account is configured for facility {facility}")
        path = submit_path(kind, version or account.version)
        form = {
            "username": account.credentials.username,
            "loaiHoSo": LOAI_HO_SO[kind],
            "maTinh": account.province,
            "maCSKCB": account.facility,
            "fileHSBase64": base64.b64encode(document).decode("ascii"),
        }
        started = time.monotonic()
        outcome: SendOutcome = Transient(BAD_ANSWER, None, sent=False)
        for attempt in (1, 2):
            token = await self._tokens.get(account)
            if not isinstance(token, Token):
                outcome = token
                break
            headers = {
                "accessToken": token.access_token.reveal(),
                "tokenId": token.id_token.reveal(),
                "passwordHash": account.credentials.password_md5.reveal(),
            }
            answer = await post(self._session, account.base_url + path, self._settings.timeouts,
                                data=form, headers=headers)  # fmt: skip
            if isinstance(answer, HttpAnswer) and auth_failure(answer) is not None and attempt == 1:
                self._tokens.invalidate(account, token)
                continue  # the portal did not take the document: logging in again is safe
            outcome = answer if isinstance(answer, Transient) else interpret_submission(answer, self._clock())
            break
        emit(self._log, _send_event(account, kind, path, len(document), outcome, started))
        return outcome

    async def lookup_card(self, facility: str, query: CardQuery) -> CardLookupResult:
        """Look up a card and its treatment history (`KQNhanLichSuKCB2024`) as `facility`.

        The portal's answer, whatever its result code, is a CardStatus (`.usable` for 000–004);
        a refused token is renewed once, then AuthFailed; the network's trouble is Transient.
        The password digest travels in the query string, as the portal wants it, and appears in
        no log line, outcome or exception. Raises nothing for I/O.
        """
        account = self._directory.get(facility)
        if account is None:
            return AuthFailed(NO_ACCOUNT, f"no portal account is configured for facility {facility}")
        started = time.monotonic()
        result: CardLookupResult = Transient(BAD_ANSWER, None, sent=False)
        for attempt in (1, 2):
            token = await self._tokens.get(account)
            if not isinstance(token, Token):
                result = token
                break
            params = {
                "token": token.access_token.reveal(),
                "id_token": token.id_token.reveal(),
                "username": account.credentials.username,
                "password": account.credentials.password_md5.reveal(),
            }
            answer = await post(self._session, account.base_url + CARD_LOOKUP_PATH,
                                self._settings.timeouts, json_body=query.body(), params=params)  # fmt: skip
            if isinstance(answer, HttpAnswer) and auth_failure(answer) is not None and attempt == 1:
                self._tokens.invalidate(account, token)
                continue
            result = answer if isinstance(answer, Transient) else self._card_result(answer)
            break
        emit(self._log, {
            "event": "portal.card_lookup",
            "facility": account.facility,
            "card": mask_id(query.card),
            "result": type(result).__name__,
            "code": result.code if isinstance(result, CardStatus | AuthFailed) else result.reason,
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        })  # fmt: skip
        return result

    def _card_result(self, answer: HttpAnswer) -> CardLookupResult:
        auth = auth_failure(answer)
        if auth is not None:
            return auth
        data = answer.json_object()
        if answer.status == 200 and data is not None and data.get("maKetQua") is not None:
            return parse_card_answer(data)
        retry_after = parse_retry_after(answer.retry_after, self._clock())
        reason = BAD_ANSWER if answer.status == 200 else f"portal.http.{answer.status}"
        # A lookup changes nothing at the portal: whether it arrived does not matter.
        return Transient(reason, retry_after, sent=False, detail=f"HTTP {answer.status}", answer=answer.body)


def _send_event(
    account: FacilityAccount, kind: str, path: str, size: int, outcome: SendOutcome, started: float
) -> dict[str, object]:
    event: dict[str, object] = {
        "event": "portal.send",
        "facility": account.facility,
        "document_type": kind,
        "path": path,
        "bytes": size,
        "outcome": type(outcome).__name__,
        "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
    }
    if isinstance(outcome, Delivered):
        event["ma_giao_dich"] = outcome.ma_giao_dich
    elif isinstance(outcome, Refused | AuthFailed):
        event["code"] = outcome.code
    else:
        event.update(code=outcome.reason, sent=outcome.sent, retry_after=outcome.retry_after)
    return event
