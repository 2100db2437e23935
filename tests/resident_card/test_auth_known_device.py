"""The owner is not locked out by the username's sign-in limit: a device that signed in as the
username before proves it (a cookie in the browser, ``known_device`` in the JSON form) and is not
held by a count that attackers from many addresses filled; a password reset or change empties
that count. On the service's database and on Redis, with real commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kernel.notices import Notice
from resident_card.accounts import known_device
from resident_card.accounts.models import Role
from tests.conftest import FreshDatabase, make_settings
from tests.factories import DEFAULT_PASSWORD, create_resident, create_user
from tests.kernel.test_limits import REDIS_URL, assert_too_many, from_address
from toshav.app import create_app
from toshav.settings import ServiceSettings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

TOKEN = "/api/v1/auth/token"
SESSION = "/api/v1/auth/session"
BROWSER = {"X-Toshav-CSRF": "1"}
NEW_PASSWORD = "a-brand-new-passphrase"
# Many sign-ins by one address, few by one username: only the username's count fills.
LIMITS = {
    "limits_enabled": True,
    "limit_sign_in": "1000/day",
    "limit_sign_in_per_account": "3/day",
    "limit_password_reset": "1000/day",
    "limit_password_reset_per_account": "1000/day",
}


@dataclass
class Service:
    app: FastAPI
    settings: ServiceSettings
    owner: str

    def sign_in(
        self, address: str, password: str = DEFAULT_PASSWORD, **form: str
    ) -> httpx.Response:
        data = {"username": self.owner, "password": password, **form}
        response: httpx.Response = from_address(self.app, address).post(TOKEN, data=data)
        return response

    def attack(self) -> None:
        """Wrong passwords for the owner's username, each from an address of its own, until the
        username's count is full."""
        for n in range(10):
            if self.sign_in(f"203.0.113.{n}", password="a-wrong-guess").status_code == 429:
                return
        raise AssertionError("the username's sign-in count never filled")


@pytest.fixture(params=["database", "redis"])
def service(
    request: pytest.FixtureRequest, fresh_database: FreshDatabase, tmp_path: Path
) -> Iterator[Service]:
    extra: dict[str, object] = {}
    prefix = f"toshav-test-{uuid.uuid4().hex}"
    if request.param == "redis":
        extra = {"redis_url": REDIS_URL, "redis_key_prefix": prefix}
    settings = make_settings(fresh_database.url, tmp_path, **LIMITS, **extra)
    with fresh_database.session() as session:
        owner = create_user(session, settings, role=Role.resident)
        create_resident(session, settings, user=owner, email="owner@example.org")
        username = owner.username
        session.commit()
    app = create_app(settings)
    try:
        with TestClient(app):
            yield Service(app, settings, username)
    finally:
        if request.param == "redis":
            import redis

            server: Any = redis.Redis.from_url(REDIS_URL)
            for key in server.scan_iter(f"{prefix}*"):
                server.delete(key)
            server.close()


def test_the_owner_with_the_proof_of_an_earlier_sign_in_gets_in_from_a_new_address(
    service: Service,
) -> None:
    earlier = service.sign_in("198.51.100.1")
    assert earlier.status_code == 200, earlier.text
    proof = earlier.json()["known_device"]
    assert service.owner not in proof

    service.attack()

    assert_too_many(service.sign_in("198.51.100.2"))
    again = service.sign_in("198.51.100.3", known_device=proof)
    assert again.status_code == 200, again.text
    assert known_device.proves(
        service.settings, again.json()["known_device"], service.owner, datetime.now(UTC)
    )
    # Not counted against the username either: it can sign in so again and again.
    for n in range(4):
        assert service.sign_in(f"198.51.100.{10 + n}", known_device=proof).status_code == 200


def test_the_browser_keeps_the_proof_in_a_cookie_only_the_sign_in_routes_see(
    service: Service,
) -> None:
    browser = from_address(service.app, "198.51.100.1")
    form = {"username": service.owner, "password": DEFAULT_PASSWORD}
    earlier = browser.post(SESSION, data=form, headers=BROWSER)
    assert earlier.status_code == 200, earlier.text
    cookie = next(
        header
        for header in earlier.headers.get_list("set-cookie")
        if header.startswith("toshav_known_device=")
    )
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip().lower() == "samesite=strict"
    assert attributes["path"].strip() == "Path=/api/v1/auth/session"
    assert "known_device" not in earlier.json()

    service.attack()

    elsewhere = from_address(service.app, "198.51.100.2")
    assert_too_many(elsewhere.post(SESSION, data=form, headers=BROWSER))
    elsewhere.cookies.set(
        "toshav_known_device", browser.cookies["toshav_known_device"], path="/api/v1/auth/session"
    )
    assert elsewhere.post(SESSION, data=form, headers=BROWSER).status_code == 200


def test_a_proof_that_is_not_live_or_not_this_usernames_counts_as_none(
    service: Service,
) -> None:
    settings, owner, now = service.settings, service.owner, datetime.now(UTC)
    another_key = settings.model_copy(update={"id_hash_key": SecretStr("z" * 40)})
    genuine = known_device.proof_for(settings, owner, now)
    proofs = {
        "expired": known_device.proof_for(settings, owner, now - timedelta(days=181)),
        "another username": known_device.proof_for(settings, "someone.else", now),
        "another key": known_device.proof_for(another_key, owner, now),
        "altered": genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        "made up": "d1.99999999999.not-a-mac",
        "garbage": "anything at all",
    }
    service.attack()

    for n, (kind, proof) in enumerate(proofs.items()):
        refused = service.sign_in(f"198.51.100.{n}", known_device=proof)
        assert refused.status_code == 429, kind
        assert_too_many(refused)
    assert service.sign_in("198.51.100.99", known_device=genuine).status_code == 200


def test_a_proof_still_obeys_the_address_limit_and_the_clients_slowdown(
    service: Service,
) -> None:
    proof = service.sign_in("198.51.100.1").json()["known_device"]
    # Five wrong passwords from one client slow that client down, proof or no proof.
    for _ in range(5):
        wrong = service.sign_in("198.51.100.1", password="a-wrong-guess", known_device=proof)
        assert wrong.status_code == 401
    slowed = service.sign_in("198.51.100.1", known_device=proof)
    assert slowed.status_code == 429
    assert slowed.json()["error"] == "too_many_attempts"


def test_after_a_password_reset_the_owner_gets_in_without_the_proof(
    service: Service, notices_posted: list[Notice]
) -> None:
    service.attack()
    assert_too_many(service.sign_in("198.51.100.2"))

    owner = from_address(service.app, "198.51.100.2")
    assert (
        owner.post("/api/v1/auth/password-reset", json={"username": service.owner}).status_code
        == 202
    )
    link = notices_posted[-1].link
    assert link is not None
    token = link.split("#token=")[1]
    confirmed = owner.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert confirmed.status_code == 204, confirmed.text

    assert service.sign_in("198.51.100.3", password=NEW_PASSWORD).status_code == 200


def test_after_a_password_change_the_owner_gets_in_without_the_proof(service: Service) -> None:
    access = service.sign_in("198.51.100.1").json()["access_token"]
    service.attack()
    assert_too_many(service.sign_in("198.51.100.2"))

    changed = from_address(service.app, "198.51.100.1").post(
        "/api/v1/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert changed.status_code == 204, changed.text

    assert service.sign_in("198.51.100.3", password=NEW_PASSWORD).status_code == 200
