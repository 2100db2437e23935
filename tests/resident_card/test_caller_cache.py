"""What a process keeps of who is calling: a verified token until it expires, a user's standing
(active, roles) for ``caller_cache_ttl_seconds``. Changes made in this process apply at once; a
change made by another process (here: an UPDATE that goes round this process's ORM) applies once
the standing ages out."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.database import Base
from kernel.settings import Settings
from resident_card.accounts.callers import KnownCallers, Standing
from resident_card.accounts.models import Role, User
from resident_card.accounts.runtime import Sessions
from resident_card.accounts.tokens import issue_access_token
from tests.factories import auth_headers, create_user

# Needs the inspector role only: no resident record, no data of its own.
BUNDLE = "/api/v1/parking/offline-bundle"


def elsewhere(session: Session, user: User, **values: object) -> None:
    """Change a user as another process would: straight in the database, no ORM object set."""
    table = Base.metadata.tables[User.__tablename__]
    session.execute(update(table).where(table.c.id == user.id).values(**values))


def test_a_user_an_admin_disables_is_refused_at_once(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    inspector = create_user(session, settings, role=Role.inspector)
    clerk = create_user(session, settings, role=Role.admin)
    headers = auth_headers(app, inspector)
    assert client.get(BUNDLE, headers=headers).status_code == 200

    disabled = client.post(
        f"/api/v1/admin/users/{inspector.id}/disable",
        json={"reason": "left the city's service"},
        headers=auth_headers(app, clerk),
    )

    assert disabled.status_code == 200, disabled.text
    refused = client.get(BUNDLE, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")


def test_a_user_disabled_by_another_process_is_refused_once_the_ttl_has_passed(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    inspector = create_user(session, settings, role=Role.inspector)
    headers = auth_headers(app, inspector)
    assert client.get(BUNDLE, headers=headers).status_code == 200

    elsewhere(session, inspector, is_active=False)

    # The documented trade-off: this process still trusts what it read, for at most the TTL.
    assert client.get(BUNDLE, headers=headers).status_code == 200
    clock.advance(seconds=settings.caller_cache_ttl_seconds)
    refused = client.get(BUNDLE, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")


def test_with_no_ttl_every_request_reads_the_users_standing(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    app.state.runtime.part(Sessions).known_callers = KnownCallers(0)
    inspector = create_user(session, settings, role=Role.inspector)
    headers = auth_headers(app, inspector)
    assert client.get(BUNDLE, headers=headers).status_code == 200

    elsewhere(session, inspector, is_active=False)

    assert client.get(BUNDLE, headers=headers).status_code == 401


def test_a_changed_role_takes_effect_at_once_in_this_process(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, role=Role.resident)
    headers = auth_headers(app, user)
    assert client.get(BUNDLE, headers=headers).status_code == 403

    user.roles = [Role.resident.value, Role.inspector.value]
    session.flush()
    assert client.get(BUNDLE, headers=headers).status_code == 200

    user.roles = [Role.resident.value]
    session.flush()
    assert client.get(BUNDLE, headers=headers).status_code == 403


def test_a_role_changed_by_another_process_takes_effect_once_the_ttl_has_passed(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    user = create_user(session, settings, role=Role.resident)
    headers = auth_headers(app, user)
    assert client.get(BUNDLE, headers=headers).status_code == 403

    elsewhere(session, user, roles=[Role.inspector.value])
    clock.advance(seconds=settings.caller_cache_ttl_seconds)

    assert client.get(BUNDLE, headers=headers).status_code == 200


def test_an_expired_token_is_refused_though_it_was_verified_before(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    inspector = create_user(session, settings, role=Role.inspector)
    # Token expiry is judged by the real time, as every reader of the token judges it.
    issued = datetime.now(UTC) - timedelta(seconds=settings.access_token_ttl_seconds - 2)
    token = issue_access_token(
        app.state.runtime.part(Sessions).access_keys, settings, user_id=inspector.id, now=issued
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(BUNDLE, headers=headers).status_code == 200

    expires = int(issued.timestamp()) + settings.access_token_ttl_seconds
    time.sleep(max(0.0, expires - time.time()) + 0.05)

    refused = client.get(BUNDLE, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")


def test_requests_that_come_while_a_standing_is_read_wait_for_that_one_read() -> None:
    callers = KnownCallers(ttl_seconds=5)
    user_id = uuid.uuid4()
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    reads: list[int] = []

    async def load() -> Standing:
        reads.append(1)
        await asyncio.sleep(0.05)  # the database's turn: every other request comes meanwhile
        return Standing(active=True, roles=frozenset({Role.inspector}))

    async def many() -> list[Standing]:
        return await asyncio.gather(*(callers.read(user_id, now, load) for _ in range(64)))

    standings = asyncio.run(many())

    assert len(reads) == 1
    assert {s.roles for s in standings} == {frozenset({Role.inspector})}
    assert callers.get(user_id, now) == standings[0]


def test_a_read_that_fails_fails_every_request_waiting_for_it_and_the_next_reads_again() -> None:
    callers = KnownCallers(ttl_seconds=5)
    user_id = uuid.uuid4()
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    reads: list[int] = []

    async def broken() -> Standing:
        reads.append(1)
        await asyncio.sleep(0.05)
        raise ConnectionError("the database went away")

    async def many() -> list[Standing | BaseException]:
        return await asyncio.gather(
            *(callers.read(user_id, now, broken) for _ in range(8)), return_exceptions=True
        )

    outcomes = asyncio.run(many())
    assert len(reads) == 1
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert callers.get(user_id, now) is None

    asyncio.run(many())
    assert len(reads) == 2
