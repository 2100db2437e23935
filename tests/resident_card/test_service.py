"""The service stands up: health, readiness, the one error shape, OpenAPI."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient

from tests.conftest import FreshDatabase, make_settings
from toshav.app import create_app
from toshav.schema import alembic_config, upgrade

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_on_the_migrated_schema(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text


def test_unknown_route_has_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_error_detail_follows_accept_language(client: TestClient) -> None:
    hebrew = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "he-IL,he;q=0.9"})
    arabic = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "ar"})
    assert hebrew.json()["detail"] == "לא נמצא."
    assert arabic.json()["detail"] == "غير موجود."


def test_openapi_lists_the_api(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "/api/v1/auth/token" in document["paths"]


def test_validation_errors_speak_the_callers_language(client: TestClient) -> None:
    body = {"unexpected": 1}
    english = client.post("/api/v1/residents", json=body).json()
    hebrew = client.post("/api/v1/residents", json=body, headers={"Accept-Language": "he"}).json()
    arabic = client.post("/api/v1/residents", json=body, headers={"Accept-Language": "ar"}).json()
    assert english["error"] == hebrew["error"] == arabic["error"] == "validation_error"
    assert "required" in english["detail"]
    assert english["detail"].count("required") >= 3
    assert "שדה חובה" in hebrew["detail"]
    assert "حقل مطلوب" in arabic["detail"]


def test_readyz_is_503_when_the_schema_is_behind(fresh_database: FreshDatabase) -> None:
    command.downgrade(alembic_config(fresh_database.url), "0004")
    with TestClient(create_app(fresh_database.settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"] == "not_ready"
    upgrade(fresh_database.url)
    with TestClient(create_app(fresh_database.settings)) as client:
        assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    settings = make_settings("postgresql://postgres@127.0.0.1:1/nowhere", tmp_path)
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert response.status_code == 503
    assert set(response.json()) == {"error", "detail"}
