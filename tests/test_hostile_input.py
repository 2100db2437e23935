"""Hostile input never gets a 500: every JSON route, fed NUL bytes, lone surrogates and integers
too large for any column, answers a clear 4xx in the error shape — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts.models import Role
from tests.factories import auth_headers, create_user
from tests.test_roles import _fill

HOSTILE_TEXTS = {
    "nul": "a\u0000b",
    "surrogate": "a\ud800b",
    "control": "a\u001bb\u0007",
    "long": "x" * 100_000,
}
HUGE = 2**70


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _example(schema: dict[str, Any], document: dict[str, Any], text: str, depth: int = 0) -> Any:
    """A body of the schema's shape whose every leaf is hostile where it can be."""
    schema = _resolve(schema, document)
    if depth > 6:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, document).get("type") != "null"]
            return _example(options[0], document, text, depth + 1) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _example(sub, document, text, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [_example(schema.get("items", {}), document, text, depth + 1)]
    if kind == "integer":
        return HUGE
    if kind == "number":
        return 1e308
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") == "date":
            return "2026-01-01"
        if schema.get("format") == "date-time":
            return "2026-01-01T00:00:00Z"
        if schema.get("format") == "uuid":
            return "00000000-0000-4000-8000-000000000000"
        return text
    return text


def _json_routes(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    document = app.openapi()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method.upper(), path, content["application/json"]["schema"]))
    return sorted(found, key=lambda route: (route[1], route[0]))


@pytest.mark.parametrize("text_kind", sorted(HOSTILE_TEXTS))
@pytest.mark.parametrize("role", [Role.admin, Role.resident, None])
def test_hostile_bodies_get_a_clear_4xx(
    text_kind: str,
    role: Role | None,
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
) -> None:
    document = app.openapi()
    headers = {} if role is None else auth_headers(app, create_user(session, settings, role=role))
    headers["Content-Type"] = "application/json"
    failures = []
    for method, path, schema in _json_routes(app):
        body = _example(schema, document, HOSTILE_TEXTS[text_kind])
        # json.dumps escapes lone surrogates as \ud800, exactly as a hostile client would send them.
        response = client.request(method, _fill(path), headers=headers, content=json.dumps(body))
        if response.status_code >= 500:
            failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            continue
        assert response.status_code >= 400, (method, path, response.text[:200])
        assert set(response.json()) == {"error", "detail"}, (method, path, response.text)
        if text_kind != "long" and HOSTILE_TEXTS[text_kind] in json.dumps(body, ensure_ascii=False):
            assert response.json()["error"] == "invalid_text", (method, path, response.text)
    assert not failures, "\n".join(failures)
