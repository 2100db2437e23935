"""Who am I, changing my own profile and password, and the clerks' management of staff accounts."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts.models import RefreshToken, Role, User
from resident_card.audit.models import AuditEntry
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD, auth_headers, create_user

NEW_PASSWORD = "a-brand-new-passphrase"


def sign_in(client: TestClient, username: str, password: str = DEFAULT_PASSWORD) -> httpx.Response:
    response: httpx.Response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    return response


def post_json(client: TestClient, url: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    """Send JSON as a client may, escapes and all (httpx itself refuses lone surrogates)."""
    response: httpx.Response = client.post(
        url, content=json.dumps(body), headers={**headers, "Content-Type": "application/json"}
    )
    return response


def audit_entries(session: Session, subject: User | uuid.UUID) -> list[AuditEntry]:
    subject_id = subject.id if isinstance(subject, User) else subject
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_id == str(subject_id))
            .order_by(AuditEntry.created_at)
        ).all()
    )


@pytest.fixture
def dana(session: Session, settings: Settings) -> User:
    return create_user(session, settings, username="dana.levi")


@pytest.fixture
def clerk(session: Session, settings: Settings) -> User:
    return create_user(session, settings, username="clerk", role=Role.admin)


@pytest.fixture
def auditor(session: Session, settings: Settings) -> User:
    return create_user(session, settings, username="auditor", role=Role.auditor)


# --- who am I ---------------------------------------------------------------------------------


def test_me_says_who_and_which_roles(client: TestClient, app: FastAPI, dana: User) -> None:
    response = client.get("/api/v1/me", headers=auth_headers(app, dana))

    assert response.status_code == 200
    assert response.json() == {
        "id": str(dana.id),
        "username": "dana.levi",
        "roles": ["resident"],
        "display_name": None,
        "preferred_language": "he",
    }


def test_me_without_a_token_asks_to_sign_in(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"error": "not_authenticated", "detail": "Sign-in is required."}


def test_a_user_sets_their_language_and_name(client: TestClient, app: FastAPI, dana: User) -> None:
    headers = auth_headers(app, dana)

    response = client.patch(
        "/api/v1/me",
        json={"preferred_language": "ar", "display_name": "  דנה לוי  "},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["preferred_language"] == "ar"
    assert response.json()["display_name"] == "דנה לוי"
    assert client.get("/api/v1/me", headers=headers).json()["preferred_language"] == "ar"
    # Changing only the language keeps the name; null clears the name.
    client.patch("/api/v1/me", json={"preferred_language": "en"}, headers=headers)
    assert client.get("/api/v1/me", headers=headers).json()["display_name"] == "דנה לוי"
    cleared = client.patch("/api/v1/me", json={"display_name": None}, headers=headers)
    assert cleared.json()["display_name"] is None
    assert cleared.json()["preferred_language"] == "en"


@pytest.mark.parametrize(
    "body",
    [
        {"preferred_language": "fr"},
        {"preferred_language": "HE"},
        {"preferred_language": None},
        {"preferred_language": 1},
        {"display_name": ""},
        {"display_name": "   "},
        {"display_name": "x" * 201},
        {"display_name": "dana\x00"},
        {"display_name": "\ud800"},
        {"roles": ["admin"]},
        {"username": "someone-else"},
    ],
    ids=[
        "unknown language",
        "upper case",
        "null language",
        "number",
        "empty name",
        "blank name",
        "201 characters",
        "NUL",
        "lone surrogate",
        "roles",
        "username",
    ],
)
def test_a_bad_profile_change_is_a_422_and_changes_nothing(
    body: dict[str, Any], client: TestClient, app: FastAPI, dana: User
) -> None:
    headers = auth_headers(app, dana)

    response = client.patch(
        "/api/v1/me",
        content=json.dumps(body),
        headers={**headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"] in {"validation_error", "invalid_text"}
    assert client.get("/api/v1/me", headers=headers).json() == {
        "id": str(dana.id),
        "username": "dana.levi",
        "roles": ["resident"],
        "display_name": None,
        "preferred_language": "he",
    }


# --- changing my password -----------------------------------------------------------------------


def test_changing_the_password_ends_every_refresh_token(
    client: TestClient, app: FastAPI, session: Session, dana: User
) -> None:
    phone = sign_in(client, "dana.levi").json()
    laptop = sign_in(client, "dana.levi").json()

    response = post_json(
        client,
        "/api/v1/me/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        auth_headers(app, dana),
    )

    assert response.status_code == 204, response.text
    for device in (phone, laptop):
        refreshed = client.post(
            "/api/v1/auth/refresh", json={"refresh_token": device["refresh_token"]}
        )
        assert refreshed.status_code == 401
    assert sign_in(client, "dana.levi").status_code == 401
    assert sign_in(client, "dana.levi", NEW_PASSWORD).status_code == 200
    entries = audit_entries(session, dana)
    assert [entry.action for entry in entries] == ["user.password_change"]
    assert entries[0].before is None
    assert entries[0].after is None


def test_a_wrong_current_password_is_a_401_and_counts_towards_the_lockout(
    client: TestClient, app: FastAPI, session: Session, dana: User
) -> None:
    headers = auth_headers(app, dana)
    pair = sign_in(client, "dana.levi").json()
    body = {"current_password": "not-the-password", "new_password": NEW_PASSWORD}

    response = post_json(client, "/api/v1/me/password", body, headers)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"
    assert sign_in(client, "dana.levi").status_code == 200  # nothing changed
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    for _ in range(5):
        assert post_json(client, "/api/v1/me/password", body, headers).status_code == 401
    assert post_json(client, "/api/v1/me/password", body, headers).status_code == 429
    assert sign_in(client, "dana.levi").status_code == 429


@pytest.mark.parametrize(
    ("current", "new", "code"),
    [
        (DEFAULT_PASSWORD, "short", "weak_password"),
        (DEFAULT_PASSWORD, "שששששששש", "weak_password"),  # 16 bytes, but 8 characters
        (DEFAULT_PASSWORD, "a" * 1025, "validation_error"),
        (DEFAULT_PASSWORD, "ש" * 513, "validation_error"),
        (DEFAULT_PASSWORD, "", "validation_error"),
        (DEFAULT_PASSWORD, "long-enough\x00but-NUL", "invalid_text"),
        (DEFAULT_PASSWORD, "\ud800" * 12, "invalid_text"),
        ("", NEW_PASSWORD, "validation_error"),
        ("a" * 1025, NEW_PASSWORD, "validation_error"),
    ],
    ids=[
        "too short",
        "8 Hebrew letters",
        "1025 bytes",
        "1026 bytes of Hebrew",
        "empty new",
        "NUL",
        "lone surrogates",
        "empty current",
        "1025-byte current",
    ],
)
def test_a_password_change_the_rules_refuse_is_a_422(
    current: str, new: str, code: str, client: TestClient, app: FastAPI, dana: User
) -> None:
    body = {"current_password": current, "new_password": new}

    response = post_json(client, "/api/v1/me/password", body, auth_headers(app, dana))

    assert response.status_code == 422, response.text
    assert response.json()["error"] == code
    assert sign_in(client, "dana.levi").status_code == 200


def test_a_new_password_of_ten_hebrew_letters_is_enough(
    client: TestClient, app: FastAPI, dana: User
) -> None:
    body = {"current_password": DEFAULT_PASSWORD, "new_password": "שלום-עולם!"}
    response = post_json(client, "/api/v1/me/password", body, auth_headers(app, dana))
    assert response.status_code == 204, response.text
    assert sign_in(client, "dana.levi", "שלום-עולם!").status_code == 200


# --- staff accounts -------------------------------------------------------------------------------


def new_staff(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "Inspector.Cohen",
        "password": "inspector-passphrase",
        "roles": ["inspector"],
        "display_name": "Yossi Cohen",
    }
    body.update(changes)
    return body


def test_a_clerk_opens_a_staff_account(
    client: TestClient, app: FastAPI, session: Session, clerk: User
) -> None:
    response = client.post(
        "/api/v1/admin/users", json=new_staff(), headers=auth_headers(app, clerk)
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == "inspector.cohen"
    assert body["roles"] == ["inspector"]
    assert body["display_name"] == "Yossi Cohen"
    assert body["is_active"] is True
    assert "password" not in json.dumps(body)
    assert sign_in(client, "inspector.cohen", "inspector-passphrase").status_code == 200
    [entry] = audit_entries(session, uuid.UUID(body["id"]))
    assert entry.action == "user.create"
    assert entry.actor_id == clerk.id
    assert entry.after == {"username": "inspector.cohen", "roles": ["inspector"], "is_active": True}
    assert "passphrase" not in json.dumps([entry.before, entry.after, entry.reason])


def test_staff_may_hold_several_roles(client: TestClient, app: FastAPI, clerk: User) -> None:
    response = client.post(
        "/api/v1/admin/users",
        json=new_staff(username="head.clerk", roles=["auditor", "admin", "admin"]),
        headers=auth_headers(app, clerk),
    )
    assert response.status_code == 201, response.text
    assert response.json()["roles"] == ["admin", "auditor"]


def test_resident_accounts_are_not_opened_by_clerks(
    client: TestClient, app: FastAPI, session: Session, clerk: User
) -> None:
    response = client.post(
        "/api/v1/admin/users",
        json=new_staff(roles=["inspector", "resident"]),
        headers=auth_headers(app, clerk),
    )

    assert response.status_code == 422
    assert response.json()["error"] == "resident_needs_enrolment"
    assert session.scalar(select(User).where(User.username == "inspector.cohen")) is None


def test_a_taken_username_is_a_409(client: TestClient, app: FastAPI, clerk: User) -> None:
    headers = auth_headers(app, clerk)
    assert client.post("/api/v1/admin/users", json=new_staff(), headers=headers).status_code == 201

    again = client.post(
        "/api/v1/admin/users", json=new_staff(username="INSPECTOR.cohen "), headers=headers
    )

    assert again.status_code == 409
    assert again.json() == {"error": "username_taken", "detail": "This username is already taken."}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"password": "short"}, "weak_password"),
        ({"password": "a" * 1025}, "validation_error"),
        ({"password": "ש" * 513}, "validation_error"),
        ({"password": ""}, "validation_error"),
        ({"password": "long-enough\x00NUL"}, "invalid_text"),
        ({"password": "\udfff" * 10}, "invalid_text"),
        ({"username": "ab"}, "validation_error"),
        ({"username": "with space"}, "invalid_username"),
        ({"username": "יוסי.כהן"}, "invalid_username"),
        ({"username": "аdmin"}, "invalid_username"),  # a Cyrillic "а"
        ({"username": "nul\x00name"}, "invalid_text"),
        ({"username": "x" * 151}, "validation_error"),
        ({"roles": []}, "validation_error"),
        ({"roles": ["mayor"]}, "validation_error"),
        ({"display_name": "x" * 201}, "validation_error"),
        ({"display_name": "tab\tinside"}, "validation_error"),
        ({"is_active": False}, "validation_error"),
        ({"password_hash": "x"}, "validation_error"),
    ],
    ids=[
        "short password",
        "1025-byte password",
        "1026 bytes of Hebrew",
        "empty password",
        "NUL password",
        "surrogate password",
        "2-character username",
        "space in username",
        "Hebrew username",
        "look-alike username",
        "NUL username",
        "151-character username",
        "no roles",
        "unknown role",
        "201-character name",
        "control character in name",
        "extra field is_active",
        "extra field password_hash",
    ],
)
def test_a_bad_new_account_is_a_422_and_nothing_is_written(
    changes: dict[str, Any],
    code: str,
    client: TestClient,
    app: FastAPI,
    session: Session,
    clerk: User,
) -> None:
    before = session.scalars(select(User.username)).all()

    response = post_json(
        client, "/api/v1/admin/users", new_staff(**changes), auth_headers(app, clerk)
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"] == code
    assert session.scalars(select(User.username)).all() == before
    assert session.scalars(select(AuditEntry)).all() == []


def test_users_are_listed_a_page_at_a_time_and_by_role(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    clerk: User,
    auditor: User,
) -> None:
    for name in ("insp-a", "insp-b", "insp-c"):
        create_user(session, settings, username=name, role=Role.inspector)
    create_user(session, settings, username="shop", role=Role.merchant)

    for reader in (clerk, auditor):
        headers = auth_headers(app, reader)
        everyone = client.get("/api/v1/admin/users", headers=headers).json()
        assert [user["username"] for user in everyone["items"]] == [
            "auditor",
            "clerk",
            "insp-a",
            "insp-b",
            "insp-c",
            "shop",
        ]
        assert everyone["total"] == 6
        page = client.get(
            "/api/v1/admin/users",
            params={"role": "inspector", "limit": 2, "offset": 1},
            headers=headers,
        ).json()
        assert [user["username"] for user in page["items"]] == ["insp-b", "insp-c"]
        assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
        admins = client.get("/api/v1/admin/users", params={"role": "admin"}, headers=headers)
        assert [user["username"] for user in admins.json()["items"]] == ["clerk"]
        residents = client.get("/api/v1/admin/users", params={"role": "resident"}, headers=headers)
        assert residents.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


@pytest.mark.parametrize(
    "params",
    [{"role": "mayor"}, {"limit": 0}, {"limit": 201}, {"offset": -1}, {"offset": 10**20}],
    ids=["unknown role", "limit 0", "limit 201", "negative offset", "huge offset"],
)
def test_a_bad_listing_query_is_a_422(
    params: dict[str, Any], client: TestClient, app: FastAPI, clerk: User
) -> None:
    response = client.get("/api/v1/admin/users", params=params, headers=auth_headers(app, clerk))
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_one_user_is_read_by_id(
    client: TestClient, app: FastAPI, auditor: User, dana: User
) -> None:
    headers = auth_headers(app, auditor)

    response = client.get(f"/api/v1/admin/users/{dana.id}", headers=headers)

    assert response.status_code == 200
    assert response.json()["username"] == "dana.levi"
    assert set(response.json()) == {
        "id",
        "username",
        "roles",
        "display_name",
        "preferred_language",
        "is_active",
        "created_at",
    }
    missing = client.get(f"/api/v1/admin/users/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {"error": "user_not_found", "detail": "No such user."}
    assert client.get("/api/v1/admin/users/not-a-uuid", headers=headers).status_code == 422


def test_disabling_a_user_ends_their_sessions_at_once(
    client: TestClient, app: FastAPI, session: Session, clerk: User, dana: User
) -> None:
    pair = sign_in(client, "dana.levi").json()
    dana_headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.get("/api/v1/me", headers=dana_headers).status_code == 200

    response = client.post(
        f"/api/v1/admin/users/{dana.id}/disable",
        json={"reason": "  Moved out of the city  "},
        headers=auth_headers(app, clerk),
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=dana_headers).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401
    assert sign_in(client, "dana.levi").json()["error"] == "invalid_credentials"
    assert (
        session.scalars(
            select(RefreshToken).where(
                RefreshToken.user_id == dana.id, RefreshToken.revoked_at.is_(None)
            )
        ).all()
        == []
    )
    [entry] = audit_entries(session, dana)
    assert (entry.action, entry.actor_id, entry.reason) == (
        "user.disable",
        clerk.id,
        "Moved out of the city",
    )
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})


def test_enabling_lets_the_user_back_in(
    client: TestClient, app: FastAPI, session: Session, clerk: User, dana: User
) -> None:
    headers = auth_headers(app, clerk)
    client.post(f"/api/v1/admin/users/{dana.id}/disable", json={"reason": "Check"}, headers=headers)

    response = client.post(
        f"/api/v1/admin/users/{dana.id}/enable", json={"reason": "Checked"}, headers=headers
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert sign_in(client, "dana.levi").status_code == 200
    assert [entry.action for entry in audit_entries(session, dana)] == [
        "user.disable",
        "user.enable",
    ]


def test_disabling_twice_changes_nothing_the_second_time(
    client: TestClient, app: FastAPI, session: Session, clerk: User, dana: User
) -> None:
    headers = auth_headers(app, clerk)
    url = f"/api/v1/admin/users/{dana.id}/disable"
    assert client.post(url, json={"reason": "Once"}, headers=headers).status_code == 200

    again = client.post(url, json={"reason": "Twice"}, headers=headers)

    assert again.status_code == 200
    assert again.json()["is_active"] is False
    assert len(audit_entries(session, dana)) == 1


def test_a_clerk_cannot_disable_themselves(
    client: TestClient, app: FastAPI, session: Session, clerk: User
) -> None:
    headers = auth_headers(app, clerk)

    response = client.post(
        f"/api/v1/admin/users/{clerk.id}/disable", json={"reason": "Oops"}, headers=headers
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": "cannot_disable_self",
        "detail": "You cannot disable your own account.",
    }
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert audit_entries(session, clerk) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * 501},
        {"reason": "a\x00b"},
        {"reason": "ok", "active": True},
    ],
    ids=["missing", "empty", "blank", "501 characters", "NUL", "extra field"],
)
@pytest.mark.parametrize("action", ["disable", "enable"])
def test_a_status_change_needs_a_reason(
    action: str,
    body: dict[str, Any],
    client: TestClient,
    app: FastAPI,
    session: Session,
    clerk: User,
    dana: User,
) -> None:
    response = post_json(
        client, f"/api/v1/admin/users/{dana.id}/{action}", body, auth_headers(app, clerk)
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"] in {"validation_error", "invalid_text"}
    assert audit_entries(session, dana) == []


def test_disabling_nobody_is_a_404(client: TestClient, app: FastAPI, clerk: User) -> None:
    response = client.post(
        f"/api/v1/admin/users/{uuid.uuid4()}/disable",
        json={"reason": "x"},
        headers=auth_headers(app, clerk),
    )
    assert response.status_code == 404
    assert response.json()["error"] == "user_not_found"


CHANGES: list[tuple[str, str, Any]] = [
    ("post", "/api/v1/admin/users", new_staff()),
    ("post", "/api/v1/admin/users/{id}/disable", {"reason": "x"}),
    ("post", "/api/v1/admin/users/{id}/enable", {"reason": "x"}),
]
READS: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/admin/users", None),
    ("get", "/api/v1/admin/users/{id}", None),
]


@pytest.mark.parametrize(("method", "url", "body"), CHANGES)
def test_an_auditor_reads_but_changes_nothing(
    method: str,
    url: str,
    body: Any,
    client: TestClient,
    app: FastAPI,
    session: Session,
    auditor: User,
    dana: User,
) -> None:
    response = client.request(
        method, url.format(id=dana.id), json=body, headers=auth_headers(app, auditor)
    )

    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "detail": "You are not allowed to do this."}
    assert dana.is_active
    assert session.scalars(select(AuditEntry)).all() == []


@pytest.mark.parametrize(("method", "url", "body"), CHANGES + READS)
@pytest.mark.parametrize("role", [Role.resident, Role.inspector, Role.merchant])
def test_only_staff_readers_reach_the_admin_routes(
    method: str,
    url: str,
    body: Any,
    role: Role,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    dana: User,
) -> None:
    caller = create_user(session, settings, role=role)

    response = client.request(
        method, url.format(id=dana.id), json=body, headers=auth_headers(app, caller)
    )

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    unsigned = client.request(method, url.format(id=dana.id), json=body)
    assert unsigned.status_code == 401


def test_two_clerks_opening_the_same_username_at_once_get_one_account(
    live_server: LiveServer,
) -> None:
    with live_server.database.session() as session:
        clerk = create_user(
            session, live_server.database.settings, username="clerk", role=Role.admin
        )
        session.commit()
    headers = auth_headers(live_server.app, clerk)
    racers = 8
    barrier = threading.Barrier(racers)
    statuses: list[int] = []
    lock = threading.Lock()

    def open_account() -> None:
        with httpx.Client(base_url=live_server.base_url, timeout=30, headers=headers) as http:
            http.get("/healthz")
            barrier.wait()
            response = http.post("/api/v1/admin/users", json=new_staff())
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=open_account) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [201] + [409] * (racers - 1), statuses
    with live_server.database.session() as session:
        assert session.scalars(select(User.username)).all().count("inspector.cohen") == 1
        assert len(session.scalars(select(AuditEntry)).all()) == 1
