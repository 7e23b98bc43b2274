"""schemas/api/openapi.yaml describes exactly the routes the application has."""

from __future__ import annotations

from pathlib import Path

from gateway.http.app import make_app
from gateway.signing.devpki import DevPki

from .openapi_check import METHODS, spec
from .support import gateway_settings


def test_every_route_is_documented_and_every_documented_route_exists(tmp_path: Path, pki: DevPki) -> None:
    app = make_app(gateway_settings(tmp_path, pki))
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "*"
    }
    documented = {(method, path) for path, item in spec()["paths"].items() for method in item if method in METHODS}
    assert routes == documented


def test_every_operation_documents_its_refusals() -> None:
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            codes = set(operation["responses"])
            if operation.get("security", None) != []:
                assert {"401", "429"} <= codes, f"{method} {path}"
            if "requestBody" in operation:
                assert {"413", "415"} <= codes, f"{method} {path}"


def test_the_document_is_openapi_3_1_with_both_authentication_methods() -> None:
    document = spec()
    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer" and schemes["mutualTLS"]["type"] == "mutualTLS"
