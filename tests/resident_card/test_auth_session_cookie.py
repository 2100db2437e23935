"""The browser's session: the refresh token in an HttpOnly cookie, refused from another site."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts.models import User
from tests.factories import DEFAULT_PASSWORD, create_user

SESSION = "/api/v1/auth/session"
SAME_SITE = {"X-Toshav-CSRF": "1", "Sec-Fetch-Site": "same-origin"}
CREDENTIALS = {"username": "dana.levi", "password": DEFAULT_PASSWORD}


@pytest.fixture
def dana(session: Session, settings: Settings) -> User:
    return create_user(session, settings, username="dana.levi")


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie header of an answer, parsed, by cookie name."""
    parsed: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            parsed[name] = cookie
    return parsed


def attributes(response: httpx.Response, name: str) -> dict[str, str | bool]:
    morsel = set_cookies(response)[name][name]
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))
    flags = {part.strip().lower() for part in header.split(";")}
    return {
        "value": morsel.value,
        "path": morsel["path"],
        "samesite": morsel["samesite"],
        "max-age": morsel["max-age"],
        "httponly": "httponly" in flags,
        "secure": "secure" in flags,
    }


def test_signing_in_keeps_the_refresh_token_in_an_http_only_cookie(
    client: TestClient, dana: User, settings: Settings
) -> None:
    response = client.post(SESSION, data=CREDENTIALS, headers=SAME_SITE)

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "token_type", "expires_in"}
    assert response.headers["Cache-Control"] == "no-store"
    refresh = attributes(response, "toshav_refresh")
    assert refresh["httponly"] is True
    assert str(refresh["samesite"]).lower() == "strict"
    assert refresh["path"] == "/api/v1/auth/session/"
    assert refresh["max-age"] == str(settings.refresh_token_ttl_seconds)
    assert refresh["secure"] is False  # plain HTTP here
    marker = attributes(response, "toshav_signed_in")
    assert (marker["value"], marker["httponly"], marker["path"]) == ("1", False, "/")


def test_over_https_the_cookies_are_secure(client: TestClient, dana: User) -> None:
    response = client.post(f"https://testserver{SESSION}", data=CREDENTIALS, headers=SAME_SITE)

    assert response.status_code == 200, response.text
    assert attributes(response, "toshav_refresh")["secure"] is True
    assert attributes(response, "toshav_signed_in")["secure"] is True


def test_the_cookie_refreshes_rotates_and_logout_ends_its_family(
    client: TestClient, dana: User
) -> None:
    client.post(SESSION, data=CREDENTIALS, headers=SAME_SITE)
    first = client.cookies.get("toshav_refresh", path="/api/v1/auth/session/")

    refreshed = client.post(f"{SESSION}/refresh", headers={**SAME_SITE, "Idempotency-Key": "k1"})

    assert refreshed.status_code == 200, refreshed.text
    second = attributes(refreshed, "toshav_refresh")["value"]
    assert second != first
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert me.json()["username"] == "dana.levi"
    # The old token, rotated, is refused through the JSON route too (a replay burns the family).
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": first}).status_code == 401

    client.post(SESSION, data=CREDENTIALS, headers=SAME_SITE)
    latest = client.cookies.get("toshav_refresh", path="/api/v1/auth/session/")
    out = client.post(f"{SESSION}/logout", headers=SAME_SITE)

    assert out.status_code == 204
    cleared = attributes(out, "toshav_refresh")
    assert (cleared["value"], cleared["max-age"], cleared["path"]) == (
        "",
        "0",
        "/api/v1/auth/session/",
    )
    assert attributes(out, "toshav_signed_in")["max-age"] == "0"
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": latest})
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_refresh_token"


def test_a_lost_answer_is_retried_with_its_key_through_the_cookie(
    client: TestClient, dana: User
) -> None:
    client.post(SESSION, data=CREDENTIALS, headers=SAME_SITE)
    first = client.cookies.get("toshav_refresh", path="/api/v1/auth/session/")
    headers = {**SAME_SITE, "Idempotency-Key": "lost-once"}
    client.post(f"{SESSION}/refresh", headers=headers)  # its answer "never came":
    client.cookies.set("toshav_refresh", first or "", path="/api/v1/auth/session/")

    again = client.post(f"{SESSION}/refresh", headers=headers)

    assert again.status_code == 200, again.text


def test_without_a_cookie_the_refresh_is_refused_as_signed_out(
    client: TestClient, dana: User
) -> None:
    response = client.post(f"{SESSION}/refresh", headers=SAME_SITE)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_refresh_token"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"X-Toshav-CSRF": "0"}, id="wrong-header"),
        pytest.param({"X-Toshav-CSRF": "1", "Sec-Fetch-Site": "cross-site"}, id="cross-site"),
        pytest.param({"X-Toshav-CSRF": "1", "Sec-Fetch-Site": "same-site"}, id="same-site"),
    ],
)
def test_a_request_from_another_site_is_refused_and_changes_nothing(
    client: TestClient, dana: User, headers: dict[str, str]
) -> None:
    client.post(SESSION, data=CREDENTIALS, headers=SAME_SITE)
    token = client.cookies.get("toshav_refresh", path="/api/v1/auth/session/")

    for path in ("/refresh", "/logout", ""):
        body = CREDENTIALS if not path else None
        response = client.post(f"{SESSION}{path}", data=body, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json() == {
            "error": "cross_site_refused",
            "detail": "The request was refused: it was not sent from the service's own pages.",
        }
        assert "set-cookie" not in response.headers

    still = client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert still.status_code == 200, still.text  # neither rotated nor revoked


def test_the_refusal_is_in_the_callers_language(client: TestClient, dana: User) -> None:
    response = client.post(f"{SESSION}/refresh", headers={"Accept-Language": "he"})

    assert response.status_code == 403
    assert response.json()["detail"] == "הבקשה נדחתה: היא לא נשלחה מדפי השירות עצמם."
