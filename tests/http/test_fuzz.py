"""API fuzzing: schemathesis generates requests from schemas/api/openapi.yaml and sends them to
the live application (a real server on loopback, the real store); no answer may be a 5xx, and
every answer must match the document (status, content type, headers, body schema).

Bounded (a few dozen examples per operation, derandomised) so that it runs in CI in seconds.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.http.app import make_app
from gateway.signing.devpki import DevPki

from .openapi_check import SPEC_PATH, spec
from .support import FACILITY_TOKENS, OPERATOR_TOKENS, gateway_settings

EXAMPLES = 25
SCHEMA = schemathesis.openapi.from_path(SPEC_PATH)
OPERATIONS = {f"{op.method.upper()} {op.path}": op
              for op in (r.ok() for r in SCHEMA.get_all_operations())}  # type: ignore[union-attr]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


class LiveServer:
    """The application on a loopback port, served by its own event loop in a thread."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self._app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._runner = runner
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def __enter__(self) -> LiveServer:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, pki: DevPki) -> Iterator[str]:
    base: Path = tmp_path_factory.mktemp("fuzz")
    with LiveServer(make_app(gateway_settings(base, pki))) as server:
        yield f"http://127.0.0.1:{server.port}"


@schemathesis.serializer("application/xml", "text/xml")
def _xml(ctx: Any, value: Any) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")


def _has_inputs(label: str) -> bool:
    method, path = label.split(" ", 1)
    operation = spec()["paths"][path][method.lower()]
    return bool(operation.get("parameters") or operation.get("requestBody") or operation.get("security") != [])


def _token(label: str) -> str:
    if "replay" in label:
        return OPERATOR_TOKENS["alice"]
    if label.startswith("POST /api/v1/dossiers") or "callback" in label:
        return FACILITY_TOKENS["01001"]
    return OPERATOR_TOKENS["victor"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_the_live_api_matches_its_document(live: str, label: str, mode: GenerationMode) -> None:
    operation = OPERATIONS[label]
    if mode is GenerationMode.NEGATIVE and not _has_inputs(label):
        pytest.skip("no parameter, body or credentials to get wrong")
    session = requests.Session()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        response = case.call(base_url=live, session=session,
                             headers={"Authorization": f"Bearer {_token(label)}"})
        case.validate_response(response, checks=CHECKS)

    check()
