"""A forgotten password: 202 whatever is asked, one emailed link that works once for 30 minutes,
and a new password that signs every device out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from alembic import command
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.notices import Category, Notice
from kernel.settings import Settings
from messages import tasks
from resident_card.accounts.models import PasswordReset, Role, User
from resident_card.accounts.recovery import RESETS_PER_WINDOW
from resident_card.audit.models import AuditEntry
from tests.conftest import FreshDatabase, LiveServer
from tests.factories import DEFAULT_PASSWORD, create_resident, create_user
from tests.messages.support import context
from tests.smtp import SmtpServer, smtp_server
from toshav.schema import alembic_config

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "a-brand-new-passphrase"
__all__ = ["smtp_server"]  # the fixture, for the test that reads a real email
LINK = re.compile(r"^/reset-password#token=([A-Za-z0-9_-]{43})$")


def sign_in(client: TestClient, username: str, password: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    return response


def token_of(notice: Notice) -> str:
    assert notice.link is not None
    found = LINK.match(notice.link)
    assert found is not None, notice.link
    return found.group(1)


def resident_user(session: Session, settings: Settings, email: str = "dana@example.org") -> User:
    user = create_user(session, settings, role=Role.resident)
    create_resident(session, settings, user=user, email=email)
    return user


def resets(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PasswordReset)) or 0)


@pytest.mark.parametrize(
    "body",
    [{"username": "nobody-here"}, {"email": "nobody@example.org"}],
    ids=["unknown username", "unknown email"],
)
def test_an_unknown_account_is_answered_202_and_nothing_is_sent(
    client: TestClient, session: Session, notices_posted: list[Notice], body: dict[str, str]
) -> None:
    response = client.post(RESET, json=body)

    assert response.status_code == 202, response.text
    assert response.content == b""
    assert notices_posted == []
    assert resets(session) == 0


def test_an_account_without_an_email_is_answered_the_same(
    client: TestClient, session: Session, settings: Settings, notices_posted: list[Notice]
) -> None:
    staff = create_user(session, settings, role=Role.inspector)

    response = client.post(RESET, json={"username": staff.username})

    assert response.status_code == 202
    assert notices_posted == []


@pytest.mark.parametrize(
    "body", [{}, {"username": "dana", "email": "dana@example.org"}, {"username": "  "}]
)
def test_exactly_one_of_username_or_email(client: TestClient, body: dict[str, str]) -> None:
    response = client.post(RESET, json=body)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_a_known_account_gets_one_link_that_resets_the_password_once(
    client: TestClient, session: Session, settings: Settings, notices_posted: list[Notice]
) -> None:
    user = resident_user(session, settings)

    assert client.post(RESET, json={"username": user.username.upper()}).status_code == 202

    assert len(notices_posted) == 1
    notice = notices_posted[0]
    assert notice.account_id == user.id
    assert notice.category is Category.security
    assert notice.email_only is True
    assert notice.email == "dana@example.org"
    assert user.username in notice.body["en"]
    token = token_of(notice)
    # Only the hash is kept.
    stored = session.scalars(select(PasswordReset)).one()
    assert stored.token_hash != token
    assert token not in stored.token_hash

    response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 204, response.text
    assert sign_in(client, user.username, NEW_PASSWORD).status_code == 200
    assert sign_in(client, user.username, DEFAULT_PASSWORD).status_code == 401
    again = client.post(CONFIRM, json={"token": token, "new_password": "yet-another-passphrase"})
    assert again.status_code == 400
    assert again.json()["error"] == "reset_token_invalid"
    assert sign_in(client, user.username, NEW_PASSWORD).status_code == 200
    # The account is told, in its inbox and by email, that its password changed.
    changed = notices_posted[-1]
    assert changed.category is Category.security
    assert changed.email_only is False
    assert changed.account_id == user.id
    assert changed.link is not None
    assert "changed" in changed.title["en"]
    assert session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "user.password_reset")
    )


def test_an_email_finds_the_account_in_any_case(
    client: TestClient, session: Session, settings: Settings, notices_posted: list[Notice]
) -> None:
    user = resident_user(session, settings, email="Dana.Levi@Example.org")

    assert client.post(RESET, json={"email": "dana.levi@example.ORG"}).status_code == 202

    assert [notice.account_id for notice in notices_posted] == [user.id]
    assert notices_posted[0].email == "Dana.Levi@Example.org"


def test_the_new_password_signs_every_device_out(
    client: TestClient, session: Session, settings: Settings, notices_posted: list[Notice]
) -> None:
    user = resident_user(session, settings)
    first = sign_in(client, user.username, DEFAULT_PASSWORD).json()["refresh_token"]
    second = sign_in(client, user.username, DEFAULT_PASSWORD).json()["refresh_token"]
    client.post(RESET, json={"username": user.username})

    response = client.post(
        CONFIRM, json={"token": token_of(notices_posted[0]), "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204
    for old in (first, second):
        refused = client.post("/api/v1/auth/refresh", json={"refresh_token": old})
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_refresh_token"


def test_a_link_expires_after_30_minutes(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    user = resident_user(session, settings)
    client.post(RESET, json={"username": user.username})
    token = token_of(notices_posted[0])

    clock.advance(minutes=30)
    response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["error"] == "reset_token_invalid"
    assert sign_in(client, user.username, DEFAULT_PASSWORD).status_code == 200


def test_a_link_works_until_its_30_minutes_are_up(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    user = resident_user(session, settings)
    client.post(RESET, json={"username": user.username})

    clock.advance(minutes=29, seconds=59)
    response = client.post(
        CONFIRM, json={"token": token_of(notices_posted[0]), "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204


def test_a_new_link_supersedes_the_older_one(
    client: TestClient, session: Session, settings: Settings, notices_posted: list[Notice]
) -> None:
    user = resident_user(session, settings)
    client.post(RESET, json={"username": user.username})
    client.post(RESET, json={"email": "dana@example.org"})
    older, newer = (token_of(notice) for notice in notices_posted)

    refused = client.post(CONFIRM, json={"token": older, "new_password": NEW_PASSWORD})
    accepted = client.post(CONFIRM, json={"token": newer, "new_password": NEW_PASSWORD})

    assert refused.status_code == 400
    assert refused.json()["error"] == "reset_token_invalid"
    assert accepted.status_code == 204


def test_a_weak_password_is_refused_and_the_link_still_works(
    client: TestClient, session: Session, settings: Settings, notices_posted: list[Notice]
) -> None:
    user = resident_user(session, settings)
    first = sign_in(client, user.username, DEFAULT_PASSWORD).json()["refresh_token"]
    client.post(RESET, json={"username": user.username})
    token = token_of(notices_posted[0])

    response = client.post(CONFIRM, json={"token": token, "new_password": "short"})

    assert response.status_code == 422
    assert response.json()["error"] == "weak_password"
    assert len(notices_posted) == 1
    assert sign_in(client, user.username, DEFAULT_PASSWORD).status_code == 200
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": first}).status_code == 200
    retry = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert retry.status_code == 204


@pytest.mark.parametrize("token", ["A" * 43, "not a token!", ""])
def test_a_wrong_token_changes_nothing(
    client: TestClient, session: Session, settings: Settings, token: str
) -> None:
    user = resident_user(session, settings)

    response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code in (400, 422)
    if response.status_code == 400:
        assert response.json()["error"] == "reset_token_invalid"
    assert sign_in(client, user.username, DEFAULT_PASSWORD).status_code == 200


def test_a_disabled_account_gets_no_link_and_cannot_use_one(
    client: TestClient, session: Session, settings: Settings, notices_posted: list[Notice]
) -> None:
    user = resident_user(session, settings)
    client.post(RESET, json={"username": user.username})
    token = token_of(notices_posted[0])
    user.is_active = False
    session.flush()

    assert client.post(RESET, json={"username": user.username}).status_code == 202
    response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert len(notices_posted) == 1
    assert response.status_code == 400


def test_an_account_gets_a_few_links_an_hour_however_often_it_is_asked(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    user = resident_user(session, settings)
    for _ in range(RESETS_PER_WINDOW + 3):
        assert client.post(RESET, json={"username": user.username}).status_code == 202

    assert len(notices_posted) == RESETS_PER_WINDOW
    # An hour later a new link can be asked for, and it replaces the last.
    last = token_of(notices_posted[-1])
    clock.advance(minutes=61)
    assert client.post(RESET, json={"email": "dana@example.org"}).status_code == 202
    assert len(notices_posted) == RESETS_PER_WINDOW + 1
    assert (
        client.post(CONFIRM, json={"token": last, "new_password": NEW_PASSWORD}).status_code == 400
    )


def test_0014_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    def tables() -> set[str]:
        fresh_database.engine.dispose()
        return set(inspect(fresh_database.engine).get_table_names())

    command.downgrade(config, "0013")
    without = tables()
    command.upgrade(config, "heads")

    ours = {"password_resets", "email_changes"}
    assert ours.isdisjoint(without)
    assert {"users", "residents"} <= without
    assert tables() >= without | ours


def test_the_reset_email_is_delivered_by_smtp_and_its_link_works(
    live_server: LiveServer, smtp_server: SmtpServer
) -> None:
    database = live_server.database
    settings = database.settings.model_copy(update={"smtp_url": SecretStr(smtp_server.url)})
    with database.session() as session:
        user = resident_user(session, database.settings, email="noa@example.org")
        username = user.username
        session.commit()
    api = f"{live_server.base_url}/api/v1"
    assert httpx.post(f"{api}/auth/password-reset", json={"email": "noa@example.org"}).is_success

    tasks.DELIVER.run(context(settings, database.engine, datetime.now(UTC) + timedelta(seconds=1)))

    [email] = smtp_server.wait_for(1)
    assert email.recipients == ["noa@example.org"]
    found = re.search(r"(\S+)/reset-password#token=([A-Za-z0-9_-]{43})", email.text())
    assert found is not None
    assert found.group(1) == settings.public_url
    confirm = {"token": found.group(2), "new_password": NEW_PASSWORD}
    assert httpx.post(f"{api}/auth/password-reset/confirm", json=confirm).status_code == 204
    assert httpx.post(f"{api}/auth/password-reset/confirm", json=confirm).status_code == 400
    signed_in = httpx.post(
        f"{api}/auth/token", data={"username": username, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200


def test_a_new_password_ends_the_slowdown_of_failed_sign_ins(
    client: TestClient, session: Session, settings: Settings, notices_posted: list[Notice]
) -> None:
    user = resident_user(session, settings)
    for _ in range(settings.login_max_failures):
        assert sign_in(client, user.username, "not-the-password").status_code == 401
    assert sign_in(client, user.username, DEFAULT_PASSWORD).status_code == 429

    assert client.post(RESET, json={"username": user.username}).status_code == 202
    confirmed = client.post(
        CONFIRM, json={"token": token_of(notices_posted[-1]), "new_password": NEW_PASSWORD}
    )
    assert confirmed.status_code == 204

    assert sign_in(client, user.username, NEW_PASSWORD).status_code == 200
