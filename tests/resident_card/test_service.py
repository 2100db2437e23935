"""The service stands up: health, readiness, the one error shape, OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient


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
