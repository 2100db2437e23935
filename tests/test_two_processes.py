"""What one server process keeps in memory is stale in another no longer than its stated bound.

Two real server processes (``uvicorn toshav.main:app``) over one PostgreSQL database. A change is
made through one of them or by the ``toshav`` command, and the other must refuse within the bound:

- a user an admin disables: ``TOSHAV_CALLER_CACHE_TTL_SECONDS`` (docs/decisions/0003);
- a card token signed by a key the operator retired: at once (each verification reads the
  published keys), and neither process signs with that key after ``Keyring``'s 1 second;
- a card its holder revoked: at once (each verification reads the card).

A parking pass revoked or re-issued, and a zone changed, are refused by every online scan within
``TOSHAV_PARKING_FRESHNESS_SECONDS``: ``tests/parking/test_freshness.py`` holds that, under load,
with one process and with two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from benefits.eligibility.service.programme_files import load_programmes
from resident_card.accounts.models import Role
from resident_card.accounts.tokens import issue_access_token, load_access_token_keys
from resident_card.city.service import load_city
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import token_kid
from tests.conftest import ACCESS_KEY, FreshDatabase
from tests.factories import create_resident, create_user
from tests.servers import server_processes
from toshav.cli import main
from toshav.settings import get_settings

TTL = 2  # TOSHAV_CALLER_CACHE_TTL_SECONDS, the bound under test
KEYRING_BOUND = 1.0  # how long a process keeps asking no one which key signs
SLACK = 0.5  # a request's own time on a busy machine


@pytest.fixture
def environment(
    fresh_database: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """What both servers and the ``toshav`` command run with."""
    values = {
        "TOSHAV_DATABASE_URL": fresh_database.url,
        "TOSHAV_VAR_DIR": str(tmp_path),
        "TOSHAV_ACCESS_TOKEN_KEY": ACCESS_KEY,
        "TOSHAV_ID_HASH_KEY": fresh_database.settings.id_hash_key.get_secret_value(),
        "TOSHAV_CALLER_CACHE_TTL_SECONDS": str(TTL),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


@pytest.fixture
def servers(environment: dict[str, str]) -> Iterator[list[str]]:
    with server_processes(environment) as urls:
        yield urls


def _bearer(database: FreshDatabase, user_id: object) -> dict[str, str]:
    settings = database.settings
    keys = load_access_token_keys(settings)
    token = issue_access_token(keys, settings, user_id=user_id, now=datetime.now(UTC))  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def _city(database: FreshDatabase) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Streets, programmes and a signing key; an admin, a business's staff and a resident."""
    settings = database.settings
    now = datetime.now(UTC)
    with database.session() as session:
        load_city(session)
        load_programmes(session, now=now)
        credentials.rotate_key(session, settings, now=now - timedelta(hours=1))
        admin = create_user(session, settings, role=Role.admin)
        verifier = create_user(session, settings, role=Role.inspector)
        user = create_user(session, settings, role=Role.resident)
        create_resident(session, settings, user=user)
        session.commit()
        ids = (admin.id, verifier.id, user.id)
    return tuple(_bearer(database, i) for i in ids)  # type: ignore[return-value]


def _refused_within(ask: Callable[[], int], changed_at: float, bound: float) -> float:
    """Asks again and again from the change on; every answer to a request sent ``bound`` after
    the change is a refusal (401 or 403). Answers how long after the change the first came."""
    first: float | None = None
    while True:
        sent = time.monotonic()
        status = ask()
        if status in (401, 403) and first is None:
            first = time.monotonic() - changed_at
        if sent >= changed_at + bound:
            assert status in (401, 403), f"answered {status} {sent - changed_at:.2f} s after"
            if time.monotonic() > changed_at + bound + 1:
                assert first is not None
                return first
        time.sleep(0.05)


def _verify(server: str, token: str, verifier: dict[str, str]) -> dict[str, Any]:
    answer = httpx.post(
        f"{server}/api/v1/cards/verify", json={"token": token}, headers=verifier, timeout=30
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _card_token(server: str, resident: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server}/api/v1/cards/me/token", headers=resident, timeout=30)


@pytest.mark.postgres_only
def test_a_change_in_one_process_is_refused_by_the_other_within_its_bound(
    fresh_database: FreshDatabase, servers: list[str]
) -> None:
    one, other = servers
    admin, verifier, resident = _city(fresh_database)

    # A key the operator retires (``toshav keys``): tokens it signed are refused by both at once,
    # and after the keyring's bound neither signs with it.
    signed_before = _card_token(one, resident).json()["token"]
    assert _verify(other, signed_before, verifier)["valid"] is True
    retired = token_kid(signed_before)
    assert retired is not None
    rotated = CliRunner().invoke(main, ["keys", "rotate", "--activate-in", "0"])
    assert rotated.exit_code == 0, rotated.output
    gone = CliRunner().invoke(main, ["keys", "retire", retired, "--reissue"])
    assert gone.exit_code == 0, gone.output
    retired_at = time.monotonic()
    for server in servers:
        answer = _verify(server, signed_before, verifier)
        assert answer["valid"] is False
        assert answer["reason"] == "unknown_kid", answer
    time.sleep(max(0.0, retired_at + KEYRING_BOUND - time.monotonic()))
    for server in servers:
        fresh = _card_token(server, resident)
        assert fresh.status_code == 200, fresh.text
        assert token_kid(fresh.json()["token"]) not in (None, retired)

    # A card its holder revokes through one process: the other refuses its tokens at once.
    token = _card_token(other, resident)
    assert token.status_code == 200, token.text
    shown = token.json()["token"]
    assert _verify(other, shown, verifier)["valid"] is True
    revoked = httpx.post(
        f"{one}/api/v1/cards/me/revoke", json={"reason": "lost"}, headers=resident, timeout=30
    )
    assert revoked.status_code == 200, revoked.text
    after = _verify(other, shown, verifier)
    assert (after["valid"], after["reason"]) == (False, "card_revoked")

    # A user an admin disables through one process: the other, which knew them active, refuses
    # them once its cache's TTL has passed, and never later than that.

    def me(server: str) -> int:
        return httpx.get(f"{server}/api/v1/me", headers=resident, timeout=30).status_code

    assert me(other) == 200
    user_id = httpx.get(f"{one}/api/v1/me", headers=resident, timeout=30).json()["id"]
    disabled = httpx.post(
        f"{one}/api/v1/admin/users/{user_id}/disable",
        json={"reason": "left the city"},
        headers=admin,
        timeout=30,
    )
    assert disabled.status_code == 200, disabled.text
    disabled_at = time.monotonic()
    assert me(one) in (401, 403)
    took = _refused_within(lambda: me(other), disabled_at, TTL + SLACK)
    assert took <= TTL + SLACK
    print(f"the other process refused the disabled user {took:.2f} s after")  # noqa: T201
