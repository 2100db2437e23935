"""Hostile input never gets a 500: every JSON route, fed NUL bytes, lone surrogates and integers
too large for any column, and every path and query parameter of every route and page, fed the same
through its address, answers a clear 4xx in the error shape and changes nothing — on SQLite and
PostgreSQL."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, table
from sqlalchemy.orm import Session

from kernel.errors import InvalidText
from kernel.i18n import Language
from kernel.kit.integers import BIGINT_MAX, BIGINT_MIN
from kernel.settings import Settings
from resident_card.accounts.models import Role
from tests.factories import auth_headers, create_user
from tests.test_roles import POLICY, _fill
from toshav.domains import EVERY

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


# Percent-encoded as a client would put them in an address: each must be refused as it stands.
HOSTILE_ADDRESS_TEXTS = {
    "nul": "a%00b",
    "surrogate": "a%ED%A0%80b",
    "broken_utf8": "a%FFb",
    "escape": "a%1B%5B31m",
    "line_break": "a%0Ab",
    "c1_control": "a%C2%85b",
}
# Typed text the route itself must answer: too long, or too large for any column.
ROUTE_ANSWERS = {"long": "x" * 5_000, "huge": str(2**70)}


def _parameters(app: FastAPI) -> list[tuple[str, str, str, str]]:
    """(method, path, where, name) of every path and query parameter of every API route."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("path", "query"):
                    found.append((method.upper(), path, parameter["in"], parameter["name"]))
    return sorted(found)


def _address(path: str, where: str, name: str, value: str) -> str:
    if where == "path":
        return _fill(path.replace("{" + name + "}", value))
    return f"{_fill(path)}?{name}={value}"


def _row_counts(session: Session) -> dict[str, int]:
    names = inspect(session.connection()).get_table_names()
    return {
        name: session.scalar(select(func.count()).select_from(table(name))) or 0 for name in names
    }


def _page_paths(app: FastAPI) -> list[str]:
    """Every page's path, every static folder, and the API reference's."""
    paths = {"/docs", "/redoc", "/docs/files/x.js", "/static/x.js"}
    for manifest in EVERY:
        for router in manifest.pages:
            paths.update(re.sub(r"\{\w+\}", "x", route.path) for route in router.routes)  # type: ignore[attr-defined]
    return sorted(paths)


def test_every_parameter_refuses_untyped_text_and_changes_nothing(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    users = {role: auth_headers(app, create_user(session, settings, role=role)) for role in Role}
    before = _row_counts(session)
    parameters = _parameters(app)
    assert len(parameters) > 100, "the walk found the routes' parameters"
    other_kinds = itertools.cycle(sorted(set(HOSTILE_ADDRESS_TEXTS) - {"nul"}))
    languages: Iterator[Language] = itertools.cycle(("he", "ar", "en"))
    wrong = []
    for method, path, where, name in parameters:
        allowed = POLICY[(method, path)]
        # Signed in as a role the route lets in, so the refusal is not merely an authorisation's.
        headers = users[sorted(allowed)[0]] if isinstance(allowed, frozenset) else {}
        # A NUL everywhere (PostgreSQL's 500 once); the other kinds and the languages in turn.
        for kind in ("nul", next(other_kinds)):
            language = next(languages)
            response = client.request(
                method,
                _address(path, where, name, HOSTILE_ADDRESS_TEXTS[kind]),
                headers={**headers, "Accept-Language": language},
            )
            expected = {"error": "invalid_text", "detail": InvalidText.message[language]}
            if response.status_code != 422 or response.json() != expected:
                wrong.append(
                    f"{method} {path} {where} {name} {kind} {language}: "
                    f"{response.status_code} {response.text[:200]}"
                )
        for kind, value in ROUTE_ANSWERS.items():
            response = client.request(
                method, _address(path, where, name, quote(value)), headers=headers
            )
            if response.status_code >= 500 or (
                response.status_code >= 400 and set(response.json()) != {"error", "detail"}
            ):
                wrong.append(
                    f"{method} {path} {where} {name} {kind}: "
                    f"{response.status_code} {response.text[:200]}"
                )
    assert not wrong, "\n".join(wrong)
    assert _row_counts(session) == before


def test_every_page_refuses_untyped_text_in_its_address(app: FastAPI, client: TestClient) -> None:
    wrong = []
    for path in _page_paths(app):
        for value in HOSTILE_ADDRESS_TEXTS.values():
            for address in (f"{path}?next={value}", f"{path.rstrip('/')}/{value}"):
                response = client.get(address)
                if response.status_code != 422 or response.json()["error"] != "invalid_text":
                    wrong.append(f"{address}: {response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)


# A JSON integer is the only whole number: no boolean, float or numeric string is coerced.
NOT_INTEGERS: dict[str, Any] = {"true": True, "float": 1.0, "exponent": 1e3, "string": "1"}
Location = tuple[str | int, ...]


def _integers(
    schema: dict[str, Any], document: dict[str, Any], location: Location = ()
) -> Iterator[tuple[Location, dict[str, Any]]]:
    """Where a body of this schema holds an integer, and that integer's schema."""
    schema = _resolve(schema, document)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _integers(option, document, location)
    if schema.get("type") == "integer":
        yield location, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _integers(sub, document, (*location, name))
    if isinstance(schema.get("items"), dict):
        yield from _integers(schema["items"], document, (*location, 0))
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _integers(schema["additionalProperties"], document, (*location, "key"))


def _plain(schema: dict[str, Any], document: dict[str, Any], depth: int = 0) -> Any:
    """A body of the schema's shape that its types and bounds accept."""
    schema = _resolve(schema, document)
    if depth > 6:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, document).get("type") != "null"]
            return _plain(options[0], document, depth + 1) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _plain(sub, document, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [_plain(schema.get("items", {}), document, depth + 1)]
    if kind in ("integer", "number"):
        return schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return False
    formats = {
        "date": "2026-01-01",
        "date-time": "2026-01-01T00:00:00Z",
        "uuid": "00000000-0000-4000-8000-000000000000",
        "email": "someone@example.org",
    }
    if schema.get("format") in formats:
        return formats[schema["format"]]
    return "abcdefgh"[: schema.get("maxLength", 8)].ljust(schema.get("minLength", 0), "a")


def _placed(body: Any, location: Location, value: Any) -> Any:
    if not location:
        return value
    head, *rest = location
    if isinstance(body, list):
        return [_placed(body[0] if body else None, tuple(rest), value)]
    body = dict(body) if isinstance(body, dict) else {}
    body[head] = _placed(body.get(head), tuple(rest), value)
    return body


def test_every_integer_of_every_body_refuses_what_is_not_an_integer(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    document = app.openapi()
    users = {role: auth_headers(app, create_user(session, settings, role=role)) for role in Role}
    before = _row_counts(session)
    checked, wrong = 0, []
    for method, path, schema in _json_routes(app):
        allowed = POLICY[(method, path)]
        headers = users[sorted(allowed)[0]] if isinstance(allowed, frozenset) else {}
        plain = _plain(schema, document)
        for location, _ in _integers(schema, document):
            checked += 1
            where = ".".join(str(part) for part in location)
            for kind, value in NOT_INTEGERS.items():
                body = _placed(plain, location, value)
                response = client.request(method, _fill(path), headers=headers, json=body)
                answer = response.json()
                if (
                    response.status_code != 422
                    or answer.get("error") != "validation_error"
                    or f"{where}: must be a whole number" not in answer.get("detail", "")
                ):
                    wrong.append(f"{method} {path} {where}={kind}: {response.text[:200]}")
    assert checked >= 20, "the walk found the bodies' integers"
    assert not wrong, "\n".join(wrong)
    assert _row_counts(session) == before


def test_every_integer_parameter_and_body_field_is_bounded(app: FastAPI) -> None:
    """A number the database cannot hold is refused as input, never met by a column."""
    document = app.openapi()
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            places = [
                (f"{parameter['in']} {parameter['name']}", parameter["schema"])
                for parameter in operation.get("parameters", [])
            ]
            content = operation.get("requestBody", {}).get("content", {})
            for body in content.values():
                places += [
                    (".".join(map(str, location)), integer)
                    for location, integer in _integers(body["schema"], document)
                ]
            for place, schema in places:
                for _, integer in _integers(schema, document):
                    low = integer.get("minimum", integer.get("exclusiveMinimum"))
                    high = integer.get("maximum", integer.get("exclusiveMaximum"))
                    if low is None or high is None or low < BIGINT_MIN or high > BIGINT_MAX:
                        unbounded.append(f"{method.upper()} {path} {place}: {integer}")
    assert not unbounded, "\n".join(unbounded)
