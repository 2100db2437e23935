"""Signing in: the token pair, one answer for every bad credential, the lockout, and odd input."""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from passlib.context import CryptContext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import LoginFailure, Role
from resident_card.accounts.runtime import Sessions
from resident_card.accounts.tokens import decode_access_token
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD, create_user

TOKEN_URL = "/api/v1/auth/token"


def sign_in(client: TestClient, username: str, password: str = DEFAULT_PASSWORD) -> httpx.Response:
    response: httpx.Response = client.post(
        TOKEN_URL, data={"username": username, "password": password}
    )
    return response


def failures_of(session: Session, username: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username)
        )
        or 0
    )


def test_sign_in_gives_a_bearer_pair(
    client: TestClient, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, username="dana.levi")

    response = sign_in(client, "dana.levi")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "known_device",
    }
    assert "dana" not in body["known_device"]  # a proof to send back, holding no name
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert response.headers["Cache-Control"] == "no-store"
    keys = client.app.state.runtime.part(Sessions).access_keys  # type: ignore[attr-defined]
    claims = decode_access_token(body["access_token"], keys, settings)
    assert claims["sub"] == str(user.id)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "dana.levi"


def test_username_is_matched_without_case_or_surrounding_spaces(
    client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="dana.levi")
    assert sign_in(client, "  Dana.Levi ").status_code == 200


def test_the_docs_authorize_form_fields_are_accepted(
    client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="clerk", role=Role.admin)
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "password",
            "username": "clerk",
            "password": DEFAULT_PASSWORD,
            "scope": "",
            "client_id": "",
            "client_secret": "",
        },
    )
    assert response.status_code == 200, response.text


def test_another_grant_type_is_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="clerk")
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "username": "clerk", "password": "x"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_json_instead_of_the_form_is_a_422(client: TestClient) -> None:
    response = client.post(TOKEN_URL, json={"username": "clerk", "password": "x"})
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


@pytest.mark.parametrize("who", ["unknown user", "wrong password", "disabled user"])
def test_every_bad_credential_gets_the_same_answer(
    who: str, client: TestClient, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, username="dana.levi")
    username, password = "dana.levi", DEFAULT_PASSWORD
    if who == "unknown user":
        username = "nobody.here"
    elif who == "wrong password":
        password = "not-the-password"
    else:
        user.is_active = False
        session.flush()

    response = sign_in(client, username, password)

    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_credentials",
        "detail": "The username or password is wrong.",
    }
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_user_and_wrong_password_take_about_the_same_time(
    client: TestClient, session: Session, settings: Settings
) -> None:
    tries = 7
    # One account per try, so the lockout never cuts the measurement short.
    users = [create_user(session, settings, username=f"timed-{n}") for n in range(tries)]
    sign_in(client, "warm-up", "warm-up-password")

    def median_seconds(usernames: list[str]) -> float:
        times = []
        for username in usernames:
            started = time.perf_counter()
            response = sign_in(client, username, "not-the-password")
            times.append(time.perf_counter() - started)
            assert response.status_code == 401
        return statistics.median(times)

    wrong_password = median_seconds([user.username for user in users])
    unknown_user = median_seconds([f"ghost-{n}" for n in range(tries)])

    assert 0.5 <= unknown_user / wrong_password <= 2.0, (unknown_user, wrong_password)


def from_address(client: TestClient, address: str) -> TestClient:
    """Another client of the same running app, from another address."""
    return TestClient(client.app, headers={"Accept-Language": "en"}, client=(address, 40000))


def test_five_failures_slow_that_client_down_longer_after_each_more(
    client: TestClient, session: Session, settings: Settings, clock: SetClock
) -> None:
    create_user(session, settings, username="dana.levi")
    for _ in range(5):
        assert sign_in(client, "dana.levi", "not-the-password").status_code == 401
    # Each failure was committed by the endpoint even though its request failed.
    assert failures_of(session, "dana.levi") == 5

    slowed = sign_in(client, "dana.levi")  # the right password, all the same

    assert slowed.status_code == 429
    assert slowed.json() == {
        "error": "too_many_attempts",
        "detail": "Too many failed sign-ins from here. Try again in 30 seconds.",
    }
    assert slowed.headers["Retry-After"] == "30"
    assert failures_of(session, "dana.levi") == 5  # refusals while slowed are not failures

    clock.advance(seconds=29)
    assert sign_in(client, "dana.levi").headers["Retry-After"] == "1"
    for wait in (30, 60, 120, 240, 480, 900, 900):
        clock.advance(seconds=wait)
        assert sign_in(client, "dana.levi", "not-the-password").status_code == 401
        refused = sign_in(client, "dana.levi")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(min(2 * wait, 900))

    clock.advance(seconds=900)
    assert sign_in(client, "dana.levi").status_code == 200
    assert failures_of(session, "dana.levi") == 0  # a success from here forgets them


def test_the_owner_signs_in_from_elsewhere_while_the_guesser_is_slowed(
    client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="dana.levi")
    guesser, owner = from_address(client, "203.0.113.9"), from_address(client, "198.51.100.7")
    for _ in range(5):
        assert sign_in(guesser, "dana.levi", "not-the-password").status_code == 401
    assert sign_in(guesser, "dana.levi").status_code == 429

    assert sign_in(owner, "dana.levi").status_code == 200

    # The owner's success forgets only the owner's failures: the guesser is still slowed.
    still = sign_in(guesser, "dana.levi")
    assert still.status_code == 429
    assert still.json()["error"] == "too_many_attempts"
    assert failures_of(session, "dana.levi") == 5


def test_a_failure_counts_for_the_window_only(
    client: TestClient, session: Session, settings: Settings, clock: SetClock
) -> None:
    create_user(session, settings, username="dana.levi")
    for _ in range(4):
        assert sign_in(client, "dana.levi", "not-the-password").status_code == 401
    clock.advance(seconds=settings.login_failure_window_seconds)
    assert sign_in(client, "dana.levi", "not-the-password").status_code == 401

    assert sign_in(client, "dana.levi").status_code == 200  # one failure counts, not five


def test_the_lockout_is_per_account_and_covers_unknown_names(
    client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="dana.levi")
    for _ in range(5):
        assert sign_in(client, "Nobody.Here", "not-the-password").status_code == 401

    assert sign_in(client, "nobody.here", "whatever-it-is").status_code == 429
    assert sign_in(client, "dana.levi").status_code == 200


def test_the_lockout_holds_on_a_real_server(live_server: LiveServer) -> None:
    with live_server.database.session() as session:
        create_user(session, live_server.database.settings, username="dana.levi")
        session.commit()

    with httpx.Client(base_url=live_server.base_url) as http:
        for _ in range(5):
            response = http.post(
                TOKEN_URL, data={"username": "dana.levi", "password": "not-the-password"}
            )
            assert response.status_code == 401
        locked = http.post(TOKEN_URL, data={"username": "dana.levi", "password": DEFAULT_PASSWORD})

    assert locked.status_code == 429
    assert 25 <= int(locked.headers["Retry-After"]) <= 30
    with live_server.database.session() as session:
        assert failures_of(session, "dana.levi") == 5


PASSWORDS_REFUSED = {
    "empty": "",
    "1025 bytes": "a" * 1025,
    "1025 bytes of Hebrew and one letter": "ש" * 512 + "a",
    "NUL inside": "correct\x00horse-battery",
}


@pytest.mark.parametrize("password", list(PASSWORDS_REFUSED.values()), ids=list(PASSWORDS_REFUSED))
def test_sign_in_refuses_passwords_it_never_takes_with_a_422(
    password: str, client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="dana.levi")

    response = sign_in(client, "dana.levi", password)

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert "password" in response.json()["detail"]
    assert failures_of(session, "dana.levi") == 0


PASSWORDS_TAKEN = {
    "1024 bytes": "a" * 1024,
    "Hebrew": "סיסמה-ארוכה-וטובה",
    "Arabic": "كلمة-مرور-طويلة",
    "emoji and combining marks": "🔑🏙️ e\u0301 correct horse",
    "1024 bytes of Hebrew": "ש" * 512,
    "spaces at both ends": "  padded password  ",
}


@pytest.mark.parametrize("password", list(PASSWORDS_TAKEN.values()), ids=list(PASSWORDS_TAKEN))
def test_any_text_password_up_to_1024_bytes_signs_in(
    password: str, client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="dana.levi", password=password)

    assert sign_in(client, "dana.levi", password).status_code == 200
    assert sign_in(client, "dana.levi", password[:-1] + "#").status_code == 401


def test_passwords_are_taken_as_typed_never_trimmed(
    client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="dana.levi", password="  padded password  ")
    assert sign_in(client, "dana.levi", "padded password").status_code == 401
    assert sign_in(client, "dana.levi", "  padded password  ").status_code == 200


def test_invalid_utf8_in_the_form_is_just_a_wrong_password(
    client: TestClient, session: Session, settings: Settings
) -> None:
    create_user(session, settings, username="dana.levi")
    response = client.post(
        TOKEN_URL,
        content=b"username=dana.levi&password=%ED%A0%80%FF",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "username",
    ["", "   ", "dana\x00levi", "dana\nlevi", "a" * 151],
    ids=["empty", "blank", "NUL", "newline", "151 characters"],
)
def test_sign_in_refuses_usernames_no_account_can_have_with_a_422(
    username: str, client: TestClient
) -> None:
    response = sign_in(client, username)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"


def test_a_long_unicode_username_is_a_plain_401(client: TestClient) -> None:
    # Lower-casing "İ" makes two characters: 150 of them are longer than the column once lowered.
    assert sign_in(client, "İ" * 150).status_code == 401
    assert sign_in(client, "İ" * 150).status_code == 401


def test_the_docs_authorize_button_points_at_the_token_endpoint(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    schemes = document["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == TOKEN_URL
    token = document["paths"][TOKEN_URL]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert {"401", "422", "429"} <= set(token["responses"])
    assert "security" in document["paths"]["/api/v1/me"]["get"]


def test_the_docs_page_serves(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


def test_parallel_guesses_get_no_more_than_the_allowed_failures(live_server: LiveServer) -> None:
    with live_server.database.session() as session:
        create_user(session, live_server.database.settings, username="dana.levi")
        session.commit()
    guessers = 16
    barrier = threading.Barrier(guessers)
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
            http.get("/healthz")  # connect before the start line
            barrier.wait()
            response = http.post(
                TOKEN_URL, data={"username": "dana.levi", "password": f"guess-number-{n}"}
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guessers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(statuses) == guessers
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == guessers - 5, statuses
    with live_server.database.session() as session:
        assert failures_of(session, "dana.levi") == 5


def test_passwords_are_stored_as_argon2id_at_owasp_strength(
    session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, username="dana.levi")

    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert DEFAULT_PASSWORD not in user.password_hash


def test_a_weaker_old_hash_is_upgraded_at_sign_in(
    client: TestClient, session: Session, settings: Settings
) -> None:
    weak = CryptContext(schemes=["argon2"], argon2__type="ID", argon2__memory_cost=8192)
    user = create_user(session, settings, username="dana.levi")
    user.password_hash = weak.hash(DEFAULT_PASSWORD)
    session.flush()

    assert sign_in(client, "dana.levi").status_code == 200

    session.refresh(user)
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert sign_in(client, "dana.levi").status_code == 200
