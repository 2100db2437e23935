"""The JSON gate: text a person could have typed passes; control characters, broken encoding and
oversized bodies are refused before any route sees them, and nothing is written."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel import guard
from kernel.errors import InvalidText
from kernel.i18n import Language
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from tests.factories import auth_headers, create_user


def _patch_me(client: TestClient, headers: dict[str, str], raw: str) -> tuple[int, dict[str, str]]:
    response = client.patch(
        "/api/v1/me", headers={**headers, "Content-Type": "application/json"}, content=raw
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "name", ["a\u0000b", "a\ud800b", "bell\u0007", "esc\u001b[31m", "del\u007f"]
)
def test_control_characters_and_lone_surrogates_are_refused(
    name: str, app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, role=Role.admin, display_name="Before")
    status, body = _patch_me(client, auth_headers(app, user), json.dumps({"display_name": name}))
    assert status == 422
    assert body["error"] == "invalid_text"
    session.refresh(user)
    assert user.display_name == "Before"


@pytest.mark.parametrize("name", ["דנה לוי", "دانا ليفي", "Zoë 🚲"])
def test_text_a_person_types_passes(
    name: str, app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, role=Role.admin)
    status, body = _patch_me(
        client, auth_headers(app, user), json.dumps({"display_name": name}, ensure_ascii=False)
    )
    assert status == 200, body
    assert body["display_name"] == name.strip()


def test_an_oversized_body_is_refused_and_nothing_written(
    client: TestClient, session: Session
) -> None:
    users = session.scalar(select(func.count()).select_from(User))
    response = client.post(
        "/api/v1/residents",
        headers={"Content-Type": "application/json"},
        content=json.dumps({"first_name": "x" * 1_100_000}),
    )
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    assert session.scalar(select(func.count()).select_from(User)) == users


def test_deeply_nested_json_is_a_clear_4xx(client: TestClient) -> None:
    raw = "[" * 50_000 + "]" * 50_000
    response = client.post(
        "/api/v1/residents", headers={"Content-Type": "application/json"}, content=raw
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error", "detail"}


@given(
    st.recursive(
        st.text() | st.integers() | st.none(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    ),
    st.booleans(),
)
def test_the_quick_look_at_a_body_agrees_with_looking_at_each_string(
    value: object, ascii_only: bool
) -> None:
    # However the client escapes its JSON, the body is refused exactly when one of its strings
    # (keys too) holds a control character or a lone surrogate.
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", errors="surrogatepass")
    assert guard.body_is_typed(body) == guard._all_text_typed(value)


def test_escapes_that_stand_for_control_characters_are_refused() -> None:
    for body in (b'{"name": "a\\fb"}', b'{"name": "\\b"}', b'["\\u0000"]'):
        assert not guard.body_is_typed(body), body
    for body in (b'{"name": "a\\tb\\nc\\r"}', b'{"quote": "\\"\\\\/"}'):
        assert guard.body_is_typed(body), body


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/city/streets?q=%00",
        "/api/v1/city/streets?q=a%ED%A0%80b",
        "/api/v1/city/streets?q=%FF",
        "/api/v1/city/streets?q=a%1Bb",
        "/api/v1/city/streets?q=a%0Ab",
        "/api/v1/city/streets?q%00=a",
        "/api/v1/parking/zones/%00",
        "/api/v1/parking/zones/a%ED%A0%80",
        "/api/v1/parking/zones/%C2%85",
        "/card/%00",
        "/static/%00.js",
        "/%E2%82",
    ],
)
@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_untyped_text_in_a_path_or_query_is_refused_before_any_route(
    address: str, language: Language, client: TestClient
) -> None:
    response = client.get(address, headers={"Accept-Language": language})
    assert response.status_code == 422, response.text
    assert response.json() == {
        "error": "invalid_text",
        "detail": InvalidText.message[language],
    }


@pytest.mark.parametrize(
    "address",
    ["/api/v1/city/streets?q=%D7%94%D7%A8%D7%A6%D7%9C", "/api/v1/city/streets?q=a+b&limit=5"],
)
def test_text_a_person_types_in_a_query_passes(address: str, client: TestClient) -> None:
    response = client.get(address)
    assert response.status_code == 200, response.text
