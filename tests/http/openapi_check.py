"""Checks answers against schemas/api/openapi.yaml: the status is documented for the operation,
the content type is the documented one, and a JSON body matches the documented schema."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

SPEC_PATH = Path(__file__).resolve().parents[2] / "schemas" / "api" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """(template, operation) for a concrete path; literal templates win over parameterised ones."""
    candidates = []
    for template, item in spec()["paths"].items():
        if method.lower() in item and _template_regex(template).match(path):
            candidates.append((template.count("{"), template, item[method.lower()]))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1], candidates[0][2]


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


@lru_cache(maxsize=256)
def _validator(template: str, method: str, status: str, media: str) -> Any:
    operation = spec()["paths"][template][method]
    response = _resolve(operation["responses"][status])
    schema = dict(response["content"][media]["schema"])
    schema["components"] = spec()["components"]
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def check_response(method: str, path: str, status: int, content_type: str,
                   headers: Mapping[str, str], body: Any) -> None:
    """Raise AssertionError when the answer does not match the document."""
    found = find_operation(method, path)
    assert found is not None, f"{method} {path} is not in openapi.yaml"
    template, operation = found
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {template} answered {status}, not documented"
    response = _resolve(responses[str(status)])
    for name in response.get("headers", {}):
        if name in ("Retry-After", "Location", "WWW-Authenticate"):
            assert name in headers, f"{method} {template} {status} lacks the {name} header"
    content = response.get("content")
    if not content:
        return
    media = content_type.split(";")[0].strip()
    assert media in content, f"{method} {template} {status}: content type {media} not documented"
    if media == "application/json":
        errors = [str(e) for e in _validator(template, method.lower(), str(status), media).iter_errors(body)]
        assert not errors, f"{method} {template} {status}: body does not match the schema: {errors[:5]}"
