"""Reading the audit log: staff see who did what to whom and why; nobody else does."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from tests.factories import auth_headers, create_resident, create_user

AUDIT = "/api/v1/admin/audit"


@pytest.fixture
def admin(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.admin)


def _change(
    client: TestClient, app: FastAPI, admin: User, resident_id: object, status: str, reason: str
) -> None:
    response = client.post(
        f"/api/v1/admin/residents/{resident_id}/status",
        json={"status": status, "reason": reason},
        headers=auth_headers(app, admin),
    )
    assert response.status_code == 200, response.text


def test_staff_read_a_residents_audit_trail_newest_first(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    clock: SetClock,
) -> None:
    resident = create_resident(session, settings, status="pending")
    other = create_resident(session, settings, status="pending")
    _change(client, app, admin, resident.id, "verified", "lease seen")
    clock.advance(minutes=5)
    _change(client, app, admin, resident.id, "suspended", "mail returned")
    _change(client, app, admin, other.id, "rejected", "no lease")
    auditor = create_user(session, settings, role=Role.auditor)

    for reader in (admin, auditor):
        response = client.get(
            AUDIT,
            params={"subject_type": "resident", "subject_id": str(resident.id)},
            headers=auth_headers(app, reader),
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [(e["action"], e["before"], e["after"], e["reason"]) for e in items] == [
            ("resident.status", {"status": "verified"}, {"status": "suspended"}, "mail returned"),
            ("resident.status", {"status": "pending"}, {"status": "verified"}, "lease seen"),
        ]
        assert {e["actor_id"] for e in items} == {str(admin.id)}
        assert {e["subject_type"] for e in items} == {"resident"}


def test_the_audit_log_pages(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    clock: SetClock,
) -> None:
    resident = create_resident(session, settings, status="verified")
    for status in ("suspended", "verified", "suspended"):
        clock.advance(minutes=1)
        _change(client, app, admin, resident.id, status, f"to {status}")
    headers = auth_headers(app, admin)
    params: dict[str, Any] = {"subject_id": str(resident.id), "limit": 2}

    first = client.get(AUDIT, params=params, headers=headers).json()
    rest = client.get(AUDIT, params={**params, "offset": 2}, headers=headers).json()

    assert len(first["items"]) == 2
    assert (first["limit"], first["offset"]) == (2, 0)
    assert len(rest["items"]) == 1
    assert rest["items"][0]["after"] == {"status": "suspended"}
    assert rest["items"][0]["before"] == {"status": "verified"}
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert len(set(ids)) == 3


def test_only_staff_read_the_audit_log(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    assert client.get(AUDIT).status_code == 401
    for role in (Role.resident, Role.inspector, Role.merchant):
        user = create_user(session, settings, role=role)
        response = client.get(AUDIT, headers=auth_headers(app, user))
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"subject_type": "x" * 51}]
)
def test_bad_audit_filters_are_refused(
    client: TestClient, app: FastAPI, admin: User, params: dict[str, Any]
) -> None:
    response = client.get(AUDIT, params=params, headers=auth_headers(app, admin))
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_an_auditor_cannot_change_what_they_read(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    auditor = create_user(session, settings, role=Role.auditor)
    resident = create_resident(session, settings, status="pending")
    headers = auth_headers(app, auditor)
    for method, url, body in (
        (
            "POST",
            f"/api/v1/admin/residents/{resident.id}/status",
            {"status": "verified", "reason": "x"},
        ),
        (
            "PUT",
            f"/api/v1/admin/residents/{resident.id}/disability",
            {"disability": True, "reason": "x"},
        ),
        (
            "POST",
            "/api/v1/admin/residents/lookup",
            {"identifier": {"kind": "passport", "value": "AB12345"}},
        ),
    ):
        response = client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, url
    assert client.get(AUDIT, headers=headers).json()["items"] == []
