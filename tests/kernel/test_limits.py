"""Limits on volume: past its limit, each limited action answers 429 ``too_many_requests`` with
``Retry-After``, counted by client address and by account, and shared by every process on one
database or one Redis."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.limits.gate import ACTIONS, Action
from kernel.limits.models import RateCounter
from resident_card.accounts.models import Role, User
from tests.conftest import (
    IN_TRANSACTION,
    Backend,
    FreshDatabase,
    _free_port,
    built_app,
    make_settings,
)
from tests.factories import auth_headers, create_user, israeli_id
from tests.resident_card.residents_support import enrolment_body
from toshav.app import create_app
from toshav.settings import ServiceSettings

REDIS_URL = "redis://127.0.0.1:6379/0"
# Day-long windows: a burst of a test never straddles two of them (it would start a new count).
FEW = "3/day"
MANY = "1000/day"
ROLE_OF: dict[Action, Role] = {
    "card_verification": Role.inspector,
    "card_token": Role.resident,
    "plate_inspection": Role.inspector,
    "purchase": Role.merchant,
}


def limited(scope: str, **overrides: object) -> dict[str, object]:
    """Settings with every action limited to ``FEW`` in ``scope`` and ``MANY`` in the other."""
    values: dict[str, object] = {"limits_enabled": True}
    for action in ACTIONS:
        values[f"limit_{action}"] = FEW if scope == "address" else MANY
        values[f"limit_{action}_per_account"] = FEW if scope == "account" else MANY
    values.update(overrides)
    return values


def from_address(app: FastAPI, address: str) -> TestClient:
    """A client from this address, to an app already running (its lifespan entered once)."""
    return TestClient(app, headers={"Accept-Language": "en"}, client=(address, 40000))


@dataclass
class Attempt:
    """One use of a limited action, as ``account`` (the same account every time it is called)."""

    user: User | None
    send: Callable[[TestClient], httpx.Response]


def attempt(action: Action, app: FastAPI, session: Session, settings: ServiceSettings) -> Attempt:
    user = create_user(session, settings, role=ROLE_OF[action]) if action in ROLE_OF else None
    bearer = auth_headers(app, user) if user is not None else {}
    name = f"someone-{uuid.uuid4().hex[:8]}"
    claimed = israeli_id(uuid.uuid4().int % 10**7)
    sends: dict[Action, Callable[[TestClient], httpx.Response]] = {
        "sign_in": lambda c: c.post(
            "/api/v1/auth/token", data={"username": name, "password": "not-the-password"}
        ),
        "enrolment": lambda c: c.post(
            "/api/v1/residents",
            json=enrolment_body(
                street_code="no_such_street",
                identifier={"kind": "israeli_id", "value": claimed},
            ),
        ),
        "password_reset": lambda c: c.post("/api/v1/auth/password-reset", json={"username": name}),
        "card_verification": lambda c: c.post(
            "/api/v1/cards/verify", json={"token": "not-a-token"}, headers=bearer
        ),
        "card_token": lambda c: c.post("/api/v1/cards/me/token", headers=bearer),
        "plate_inspection": lambda c: c.post(
            "/api/v1/parking/inspections",
            json={"plate": "12-345-67", "zone": "no-such-zone"},
            headers=bearer,
        ),
        "purchase": lambda c: c.post(
            "/api/v1/cashback/purchases",
            json={"card_token": "not-a-token", "amount_agorot": 1000, "receipt": "R-1"},
            headers={**bearer, "Idempotency-Key": str(uuid.uuid4())},
        ),
    }
    return Attempt(user, sends[action])


def assert_too_many(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == "too_many_requests"
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 86_400
    assert body["detail"] == f"Too many requests. Try again in {seconds} seconds."
    return seconds


@pytest.fixture
def limited_app(
    request: pytest.FixtureRequest,
    backend: Backend,
    connection: Connection,
    tmp_path: Path,
    clock: SetClock,
) -> Iterator[tuple[FastAPI, ServiceSettings]]:
    scope: str = request.param
    settings = make_settings(backend.url, tmp_path, **IN_TRANSACTION, **limited(scope))
    app = built_app(settings, clock=clock, connection=connection)
    with TestClient(app):
        yield app, settings


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("limited_app", ["address"], indirect=True)
def test_each_action_is_limited_by_address(
    action: Action, limited_app: tuple[FastAPI, ServiceSettings], session: Session
) -> None:
    app, settings = limited_app
    here, elsewhere = from_address(app, "10.0.0.1"), from_address(app, "10.0.0.2")
    # A new account each time: only the address is the same.
    for _ in range(3):
        assert attempt(action, app, session, settings).send(here).status_code != 429

    assert_too_many(attempt(action, app, session, settings).send(here))
    assert attempt(action, app, session, settings).send(elsewhere).status_code != 429


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("limited_app", ["account"], indirect=True)
def test_each_action_is_limited_by_account(
    action: Action, limited_app: tuple[FastAPI, ServiceSettings], session: Session
) -> None:
    app, settings = limited_app
    one = attempt(action, app, session, settings)
    for n in range(3):
        assert one.send(from_address(app, f"10.0.1.{n}")).status_code != 429

    client = from_address(app, "10.0.1.9")
    assert_too_many(one.send(client))
    assert attempt(action, app, session, settings).send(client).status_code != 429


@pytest.mark.parametrize("limited_app", ["address"], indirect=True)
def test_json_and_browser_sign_ins_spend_from_one_count(
    limited_app: tuple[FastAPI, ServiceSettings],
) -> None:
    app, _ = limited_app
    form = {"username": "nobody.here", "password": "not-the-password"}
    client = from_address(app, "10.0.2.1")
    assert client.post("/api/v1/auth/token", data=form).status_code == 401
    browser = {"X-Toshav-CSRF": "1"}
    assert client.post("/api/v1/auth/session", data=form, headers=browser).status_code == 401
    assert client.post("/api/v1/auth/token", data=form).status_code == 401

    assert_too_many(client.post("/api/v1/auth/session", data=form, headers=browser))


@pytest.mark.parametrize("limited_app", ["address"], indirect=True)
def test_a_get_is_never_counted(
    limited_app: tuple[FastAPI, ServiceSettings], session: Session
) -> None:
    app, settings = limited_app
    resident = create_user(session, settings, role=Role.resident)
    client = from_address(app, "10.0.3.1")
    for _ in range(5):
        answer = client.get("/api/v1/cards/me/qr.png", headers=auth_headers(app, resident))
        assert answer.status_code != 429
    assert session.scalar(select(func.count()).select_from(RateCounter)) == 0


@pytest.mark.parametrize("limited_app", ["account"], indirect=True)
def test_a_scanned_pass_is_not_a_typed_plate(
    limited_app: tuple[FastAPI, ServiceSettings], session: Session
) -> None:
    app, settings = limited_app
    inspector = create_user(session, settings, role=Role.inspector)
    client = from_address(app, "10.0.4.1")
    for _ in range(5):
        scanned = client.post(
            "/api/v1/parking/inspections",
            json={"pass": "not-a-pass"},
            headers=auth_headers(app, inspector),
        )
        assert scanned.status_code != 429


def test_the_openapi_document_declares_429_on_every_limited_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/auth/session",
        "/api/v1/auth/password-reset",
        "/api/v1/residents",
        "/api/v1/cards/verify",
        "/api/v1/cards/me/token",
        "/api/v1/cards/{reference}/token",
        "/api/v1/parking/inspections",
        "/api/v1/cashback/purchases",
    ):
        declared = paths[path]["post"]["responses"]
        assert "429" in declared, path
        assert "too_many_requests" in declared["429"]["description"], path


def _shared_by_two_apps(settings: ServiceSettings, session_of: Callable[[], Session]) -> None:
    # Two apps, each with its own runtime and limiter, as two processes have.
    first, second = built_app(settings), create_app(settings)
    with session_of() as session:
        inspector = create_user(session, settings, role=Role.inspector)
        session.commit()

    def verify(client: TestClient, app: FastAPI) -> httpx.Response:
        response: httpx.Response = client.post(
            "/api/v1/cards/verify", json={"token": "x"}, headers=auth_headers(app, inspector)
        )
        return response

    with TestClient(first), TestClient(second):
        one, two = from_address(first, "10.0.5.1"), from_address(second, "10.0.5.2")
        assert verify(one, first).status_code == 200
        assert verify(two, second).status_code == 200
        assert verify(one, first).status_code == 200

        assert_too_many(verify(two, second))
        assert_too_many(verify(one, first))


def test_two_processes_on_one_database_share_the_count(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    settings = make_settings(fresh_database.url, tmp_path, **limited("account"))
    _shared_by_two_apps(settings, fresh_database.session)
    with fresh_database.session() as session:
        keys = session.scalars(select(RateCounter.key)).all()
    assert keys  # counted in the service's own database, under digests only
    assert not any("10.0.5" in key for key in keys)


def test_two_processes_on_one_redis_share_the_count(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    prefix = f"toshav-test-{uuid.uuid4().hex}"
    settings = make_settings(
        fresh_database.url,
        tmp_path,
        **limited("account", redis_url=REDIS_URL, redis_key_prefix=prefix),
    )
    _shared_by_two_apps(settings, fresh_database.session)
    import redis

    server: Any = redis.Redis.from_url(REDIS_URL)
    try:
        assert server.keys(f"{prefix}*")
        with fresh_database.session() as session:
            assert session.scalar(select(func.count()).select_from(RateCounter)) == 0
    finally:
        for key in server.scan_iter(f"{prefix}*"):
            server.delete(key)
        server.close()


@pytest.mark.parametrize("storage", ["database", "redis"])
def test_a_retry_after_the_wait_it_was_told_goes_through(
    storage: str,
    backend: Backend,
    connection: Connection,
    tmp_path: Path,
    clock: SetClock,
    session: Session,
) -> None:
    extra: dict[str, object] = {"limit_card_verification_per_account": "3/2second"}
    if storage == "redis":
        extra |= {"redis_url": REDIS_URL, "redis_key_prefix": f"toshav-test-{uuid.uuid4().hex}"}
    settings = make_settings(backend.url, tmp_path, **IN_TRANSACTION, **limited("account", **extra))
    app = built_app(settings, clock=clock, connection=connection)
    inspector = create_user(session, settings, role=Role.inspector)
    with TestClient(app) as client:

        def verify() -> httpx.Response:
            response: httpx.Response = client.post(
                "/api/v1/cards/verify", json={"token": "x"}, headers=auth_headers(app, inspector)
            )
            return response

        refused = next(r for r in (verify() for _ in range(10)) if r.status_code == 429)
        wait = int(refused.headers["Retry-After"])
        assert wait <= 4  # two windows of 2 seconds at most
        time.sleep(wait)

        assert verify().status_code == 200


@pytest.mark.parametrize(
    ("trusted", "limited_after"),
    [("127.0.0.1", None), ("10.9.9.9", 3)],
    ids=["proxy trusted", "proxy not trusted"],
)
def test_the_client_is_the_address_a_trusted_proxy_forwarded(
    trusted: str, limited_after: int | None, fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    # As `toshav serve --forwarded-allow-ips` runs uvicorn: X-Forwarded-For names the client only
    # when the request came from a trusted proxy.
    settings = make_settings(fresh_database.url, tmp_path, **limited("address"))
    app = create_app(settings)
    port = _free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=trusted,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.02)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            statuses = [
                http.post(
                    "/api/v1/auth/password-reset",
                    json={"username": "nobody-here"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"},
                ).status_code
                for n in range(5)
            ]
    finally:
        server.should_exit = True
        thread.join(timeout=20)

    if limited_after is None:
        assert statuses == [202] * 5  # five clients, one request each
    else:
        assert statuses == [202] * limited_after + [429] * (5 - limited_after)
