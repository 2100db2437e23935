"""Refresh tokens: stored only as hashes, rotated on use, a reused one burns its family, logout."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import RefreshToken, User
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD, create_user

REFRESH_URL = "/api/v1/auth/refresh"


def sign_in(client: TestClient | httpx.Client, username: str = "dana.levi") -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    pair: dict[str, Any] = response.json()
    return pair


def refresh(
    client: TestClient | httpx.Client, token: str, key: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    response: httpx.Response = client.post(
        REFRESH_URL, json={"refresh_token": token}, headers=headers
    )
    return response


def race(
    live_server: LiveServer, racers: int, token: str, key: str | None = None
) -> list[httpx.Response]:
    """The same refresh sent by ``racers`` clients at once; their answers."""
    barrier = threading.Barrier(racers)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
            http.get("/healthz")  # connect before the start line
            barrier.wait()
            response = refresh(http, token, key=key)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def live_tokens(session: Session, user: User) -> list[RefreshToken]:
    """The user's refresh tokens that still work: neither used nor revoked."""
    return list(
        session.scalars(
            select(RefreshToken).where(
                RefreshToken.user_id == user.id,
                RefreshToken.rotated_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
        )
    )


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {
        "error": "invalid_refresh_token",
        "detail": "The refresh token is not valid. Please sign in again.",
    }


@pytest.fixture
def dana(session: Session, settings: Settings) -> User:
    return create_user(session, settings, username="dana.levi")


def test_refresh_gives_a_new_working_pair(client: TestClient, dana: User) -> None:
    first = sign_in(client)

    response = refresh(client, first["refresh_token"])

    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert second["refresh_token"] != first["refresh_token"]
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.json()["username"] == "dana.levi"
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_refresh_tokens_are_stored_only_as_hashes(
    client: TestClient, session: Session, dana: User
) -> None:
    pair = sign_in(client)
    refresh(client, pair["refresh_token"])

    rows = session.execute(select(RefreshToken.__table__)).all()
    assert len(rows) == 2
    stored_text = " ".join(str(value) for row in rows for value in row)
    assert pair["refresh_token"] not in stored_text
    assert all(len(row.token_hash) == 64 and row.user_id == dana.id for row in rows)


def test_reusing_a_rotated_token_revokes_the_whole_family(
    client: TestClient, session: Session, dana: User
) -> None:
    first = sign_in(client)
    second = refresh(client, first["refresh_token"]).json()
    third = refresh(client, second["refresh_token"]).json()
    elsewhere = sign_in(client)  # another device: another family

    assert_refused(refresh(client, first["refresh_token"]))  # the thief replays an old token

    assert_refused(refresh(client, third["refresh_token"]))  # the newest stops working too
    assert_refused(refresh(client, second["refresh_token"]))
    assert refresh(client, elsewhere["refresh_token"]).status_code == 200
    family = session.scalars(
        select(RefreshToken).where(
            RefreshToken.user_id == dana.id, RefreshToken.revoked_at.is_not(None)
        )
    ).all()
    assert len(family) == 3  # committed although the request answered 401


def test_an_expired_refresh_token_is_refused(
    client: TestClient, settings: Settings, clock: SetClock, dana: User
) -> None:
    pair = sign_in(client)
    clock.advance(seconds=settings.refresh_token_ttl_seconds)

    assert_refused(refresh(client, pair["refresh_token"]))


def test_a_refresh_token_just_before_expiry_still_works(
    client: TestClient, settings: Settings, clock: SetClock, dana: User
) -> None:
    pair = sign_in(client)
    clock.advance(seconds=settings.refresh_token_ttl_seconds - 1)

    assert refresh(client, pair["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["unknown-but-well-formed", "x" * 512],
    ids=["unknown", "512 characters"],
)
def test_an_unknown_refresh_token_is_refused(token: str, client: TestClient) -> None:
    assert_refused(refresh(client, token))


@pytest.mark.parametrize(
    "body",
    [
        {"refresh_token": ""},
        {"refresh_token": "x" * 513},
        {"refresh_token": "a\x00b"},
        {"refresh_token": "\ud800"},
        {"refresh_token": "spaces are not base64url"},
        {},
        {"refresh_token": "abc", "user_id": "someone"},
        {"refresh_token": 42},
    ],
    ids=["empty", "513", "NUL", "lone surrogate", "spaces", "missing", "extra field", "number"],
)
def test_a_malformed_refresh_request_is_a_422(body: dict[str, Any], client: TestClient) -> None:
    for url in (REFRESH_URL, "/api/v1/auth/logout"):
        # json.dumps escapes what httpx would refuse to encode (a lone surrogate), as a client may.
        response = client.post(
            url, content=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"] in {"validation_error", "invalid_text"}


def test_a_disabled_users_refresh_token_is_refused(
    client: TestClient, session: Session, dana: User
) -> None:
    pair = sign_in(client)
    dana.is_active = False
    session.flush()

    assert_refused(refresh(client, pair["refresh_token"]))


def test_logout_revokes_the_token_and_its_family(client: TestClient, dana: User) -> None:
    first = sign_in(client)
    second = refresh(client, first["refresh_token"]).json()
    elsewhere = sign_in(client)

    response = client.post("/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]})

    assert response.status_code == 204
    assert response.content == b""
    assert_refused(refresh(client, second["refresh_token"]))
    assert refresh(client, elsewhere["refresh_token"]).status_code == 200


def test_logout_with_an_unknown_token_still_succeeds(client: TestClient) -> None:
    response = client.post("/api/v1/auth/logout", json={"refresh_token": "never-issued"})
    assert response.status_code == 204


def test_one_refresh_token_used_at_once_succeeds_at_most_once(live_server: LiveServer) -> None:
    with live_server.database.session() as session:
        create_user(session, live_server.database.settings, username="dana.levi")
        session.commit()
    with httpx.Client(base_url=live_server.base_url) as http:
        token = sign_in(http)["refresh_token"]

    racers = 8
    statuses = [answer.status_code for answer in race(live_server, racers, token)]

    assert len(statuses) == racers
    assert statuses.count(200) <= 1, statuses
    assert set(statuses) <= {200, 401}, statuses
    with live_server.database.session() as session:
        rows = session.scalars(select(RefreshToken)).all()
        assert len(rows) == 1 + statuses.count(200)


# --- a refresh whose answer was lost -------------------------------------------------------------


def test_a_refresh_sent_again_with_its_key_after_a_lost_answer_gets_a_new_pair(
    client: TestClient, session: Session, dana: User
) -> None:
    first = sign_in(client)
    lost = refresh(client, first["refresh_token"], key="phone-7f3a")  # the answer never arrives
    assert lost.status_code == 200

    again = refresh(client, first["refresh_token"], key="phone-7f3a")

    assert again.status_code == 200, again.text
    pair = again.json()
    assert pair["refresh_token"] not in (first["refresh_token"], lost.json()["refresh_token"])
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.json()["username"] == "dana.levi"
    # The pair that was lost stops working; the family has one live token, and it goes on.
    assert_refused(refresh(client, lost.json()["refresh_token"]))
    assert refresh(client, pair["refresh_token"]).status_code == 200
    assert len(live_tokens(session, dana)) == 1


@pytest.mark.parametrize("key", [None, "someone-else"], ids=["no key", "another key"])
def test_a_used_token_sent_without_its_refreshs_key_is_still_a_replay(
    key: str | None, client: TestClient, session: Session, dana: User
) -> None:
    first = sign_in(client)
    second = refresh(client, first["refresh_token"], key="phone-7f3a").json()

    assert_refused(refresh(client, first["refresh_token"], key=key))

    assert_refused(refresh(client, second["refresh_token"]))  # the family is burnt
    assert live_tokens(session, dana) == []


def test_once_the_new_pair_has_been_used_the_old_token_is_a_replay_even_with_its_key(
    client: TestClient, session: Session, dana: User
) -> None:
    first = sign_in(client)
    second = refresh(client, first["refresh_token"], key="phone-7f3a").json()
    third = refresh(client, second["refresh_token"], key="phone-91c2").json()  # the answer came

    assert_refused(refresh(client, first["refresh_token"], key="phone-7f3a"))

    assert_refused(refresh(client, third["refresh_token"]))
    assert live_tokens(session, dana) == []


@pytest.mark.parametrize(
    ("after", "status"), [(0, 200), (-1, 200), (1, 401)], ids=["at the limit", "before", "after"]
)
def test_a_lost_answer_can_be_asked_for_again_only_for_a_few_minutes(
    after: int,
    status: int,
    client: TestClient,
    settings: Settings,
    clock: SetClock,
    session: Session,
    dana: User,
) -> None:
    first = sign_in(client)
    refresh(client, first["refresh_token"], key="phone-7f3a")
    clock.advance(seconds=settings.refresh_retry_seconds + after)

    again = refresh(client, first["refresh_token"], key="phone-7f3a")

    assert again.status_code == status, again.text
    assert len(live_tokens(session, dana)) == (1 if status == 200 else 0)


def test_a_lost_answer_asked_for_twice_still_leaves_one_live_token(
    client: TestClient, session: Session, dana: User
) -> None:
    first = sign_in(client)
    answers = [refresh(client, first["refresh_token"], key="phone-7f3a") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    live = live_tokens(session, dana)
    assert len(live) == 1
    for answer in answers[:-1]:
        assert_refused(refresh(client, answer.json()["refresh_token"]))
    assert refresh(client, answers[-1].json()["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    "key", ["", "x" * 201, "with space", "עברית"], ids=["empty", "201", "space", "not ASCII"]
)
def test_a_malformed_refresh_key_is_a_422_and_the_token_still_works(
    key: str, client: TestClient, dana: User
) -> None:
    first = sign_in(client)

    response = client.post(
        REFRESH_URL,
        json={"refresh_token": first["refresh_token"]},
        headers={"Idempotency-Key": key.encode()},
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert refresh(client, first["refresh_token"]).status_code == 200


def test_one_lost_answer_asked_for_again_at_once_leaves_one_live_token(
    live_server: LiveServer,
) -> None:
    with live_server.database.session() as session:
        dana = create_user(session, live_server.database.settings, username="dana.levi")
        session.commit()
    with httpx.Client(base_url=live_server.base_url) as http:
        token = sign_in(http)["refresh_token"]
        assert refresh(http, token, key="phone-7f3a").status_code == 200  # its answer is lost

    racers = 8
    answers = race(live_server, racers, token, key="phone-7f3a")

    assert len(answers) == racers
    assert {answer.status_code for answer in answers} == {200}
    with live_server.database.session() as session:
        live = live_tokens(session, dana)
    assert len(live) == 1
    with httpx.Client(base_url=live_server.base_url) as http:
        working = [
            answer.json()["refresh_token"]
            for answer in answers
            if refresh(http, answer.json()["refresh_token"]).status_code == 200
        ]
    assert len(working) == 1
