"""Helpers of the HTTP tests: settings for a test gateway, a client that checks every answer
against openapi.yaml, documents from the sample generator (with their personal values noted,
for the log test), and the log capture."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.config import (
    CallbackConfig,
    FacilityConfig,
    IntakeConfig,
    OperatorConfig,
    RateLimit,
    Role,
    Settings,
    SigningConfig,
    StoreConfig,
    TokenHash,
)
from gateway.http import keys
from gateway.http.tokens import hash_token
from gateway.outbox.store import OutboxStore
from gateway.samples import generate, generate_one
from gateway.signing import FileKeySigner, facility_key_id, sign
from gateway.signing.devpki import DevPki
from gateway.xml.dossier import parse_document

from .openapi_check import check_response

FACILITY_TOKENS = {code: f"test-token-facility-{code}" for code in ("01001", "79001")}
OPERATOR_TOKENS = {"alice": "test-token-operator-alice", "victor": "test-token-viewer-victor"}
PERSONAL_TAGS = frozenset({"HO_TEN", "HO_TEN_CHA", "HO_TEN_ME", "HO_TEN_NND", "SO_CCCD", "SO_CCCD_NND",
                           "MA_THE_BHYT", "MA_THE_NND", "MA_BHXH"})


def gateway_settings(base: Path, pki: DevPki, **changes: Any) -> Settings:
    """A gateway on `base/data` with the session's PKI, static tokens for facilities 01001 and
    79001 and operators alice (operator) and victor (viewer), a generous rate, quick callbacks,
    and the checks in a worker thread (quick to start; test_worker_process.py runs the default,
    a worker process)."""
    settings = Settings(
        data_dir=base / "data",
        intake=IntakeConfig(worker="thread"),
        store=StoreConfig(min_free_bytes=0, checkpoint_interval_seconds=3600, prune_interval_seconds=3600),
        signing=SigningConfig(trust_dir=pki.trust_dir, keys_dir=pki.base),
        rate_limit=RateLimit(rate=1000.0, burst=1000.0),
        callbacks=CallbackConfig(allow_http=True, allow_private_addresses=True, poll_seconds=0.02,
                                 retry_base_seconds=0.01, retry_max_seconds=0.05, timeout_seconds=5.0),
        facilities={code: FacilityConfig(code, tokens=(TokenHash(hash_token(token)),))
                    for code, token in FACILITY_TOKENS.items()},
        operators={
            "alice": OperatorConfig("alice", Role.OPERATOR, tokens=(TokenHash(hash_token(OPERATOR_TOKENS["alice"])),)),
            "victor": OperatorConfig("victor", Role.VIEWER, tokens=(TokenHash(hash_token(OPERATOR_TOKENS["victor"])),)),
        },
    )
    return replace(settings, **changes)


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON, or text
    raw: bytes

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r:.300})"


@dataclass
class Gateway:
    """A running test gateway: its app, a client on its loopback server, its settings."""

    app: web.Application
    client: TestClient[Any, Any]
    settings: Settings

    @property
    def store(self) -> OutboxStore:
        return self.app[keys.STORE]

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if content_type is not None:
            sent["Content-Type"] = content_type
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        async with self.client.request(method, path, data=data, headers=sent) as response:
            raw = await response.read()
            media = response.headers.get("Content-Type", "")
            body: Any = json.loads(raw) if media.startswith("application/json") else raw.decode("utf-8", "replace")
            reply = Reply(response.status, response.headers.copy(), body, raw)
        if check:
            check_response(method, path.split("?")[0], reply.status, media, reply.headers, body)
        return reply

    async def submit(self, document: bytes, facility: str = "01001", *, key: str | None = None,
                     token: str | None = None) -> Reply:
        headers = {"Idempotency-Key": key} if key is not None else None
        return await self.call("POST", "/api/v1/dossiers", token=token or FACILITY_TOKENS[facility], data=document,
                               content_type="application/xml", headers=headers)


@dataclass
class Documents:
    """Sample documents, made once per session, with every personal value they carry noted."""

    signer: FileKeySigner
    personal: set[str] = field(default_factory=set)
    _cache: dict[tuple[Any, ...], bytes] = field(default_factory=dict)

    def note(self, document: bytes) -> bytes:
        """Remember the names, CCCDs and card codes of a document (envelope, XML0, XML12)."""
        parsed = parse_document(document)
        roots = [f.root for h in parsed.hosos for f in h.files if f.root is not None] or [parsed.root]
        for root in roots:
            for element in root.iter():
                if element.tag in PERSONAL_TAGS and element.text and len(element.text.strip()) >= 6:
                    self.personal.add(element.text.strip())
        return document

    def envelope(self, seed: int, facility: str = "01001", *, signed: bool = True, profile: str = "typical",
                 defect: str | None = None) -> bytes:
        cache_key = ("envelope", seed, facility, signed, profile, defect)
        if cache_key not in self._cache:
            document = generate_one(random.Random(seed), profile, facility, defect)
            self.note(document)
            if defect is not None:  # the defective value itself is personal too
                self._note_defect(document)
            if signed:
                document = sign(document, self.signer, facility_key_id(facility))
            self._cache[cache_key] = document
        return self._cache[cache_key]

    def standalone(self, kind: str, seed: int, facility: str = "01001", *, signed: bool = True) -> bytes:
        """An XML0 or XML12 document of `facility`."""
        cache_key = (kind, seed, facility, signed)
        if cache_key not in self._cache:
            files = generate(None, count=25, seed=seed, invalid_rate=0.0, facility=facility)
            document = next(f.content for f in files if f.kind == kind)
            self.note(document)
            if signed:
                document = sign(document, self.signer, facility_key_id(facility))
            self._cache[cache_key] = document
        return self._cache[cache_key]

    def _note_defect(self, document: bytes) -> None:
        parsed = parse_document(document)
        for hoso in parsed.hosos:
            for item in hoso.files:
                if item.root is not None:
                    for element in item.root.iter():
                        if element.tag in PERSONAL_TAGS and element.text:
                            self.personal.add(element.text.strip())


class LogCapture(logging.Handler):
    """Every log line of the session, formatted as it would be written (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._guard = threading.Lock()
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        with self._guard:
            self.lines.append(line)
