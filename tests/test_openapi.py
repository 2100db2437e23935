"""The OpenAPI document tells the truth: what a route answers is what it declares."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.test_roles import BROWSER_SESSION, POLICY, PUBLIC, SIGNED_IN

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    document = app.openapi()
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def _codes(operation: dict[str, Any], status: str) -> list[str]:
    return [code.strip("`") for code in operation["responses"][status]["description"].split(", ")]


def test_every_error_is_declared_in_the_one_error_shape(app: FastAPI) -> None:
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(app):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == ERROR_BODY, (method, path, status)
        # Any path or query may hold text no person typed (``invalid_text``).
        assert {"validation_error", "invalid_text"} <= set(_codes(operation, "422")), (method, path)


def test_who_may_call_a_route_is_declared_with_its_refusals(app: FastAPI) -> None:
    for method, path, operation in _operations(app):
        allowed = POLICY[(method, path)]
        statuses = set(operation["responses"])
        if allowed == PUBLIC:
            assert "401" not in statuses or "security" not in operation, (method, path)
        elif allowed == BROWSER_SESSION:
            assert "cross_site_refused" in _codes(operation, "403"), (method, path)
        else:
            assert {"not_authenticated", "invalid_token"} <= set(_codes(operation, "401"))
            if allowed != SIGNED_IN:
                assert "forbidden" in _codes(operation, "403"), (method, path)


def test_a_body_that_is_not_text_is_a_declared_400(client: TestClient, app: FastAPI) -> None:
    response = client.post(
        "/api/v1/auth/password-reset",
        content=b"\xff\xfe{",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    operation = app.openapi()["paths"]["/api/v1/auth/password-reset"]["post"]
    assert "bad_request" in _codes(operation, "400")
