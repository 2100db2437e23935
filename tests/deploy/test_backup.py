"""Backup and restore as docs/deploy.md tells an operator to do them: ``pg_dump`` (custom format) of
a database with demo activity, ``pg_restore`` into a new, empty database, and there the ledger checks
clean, every account holds what it held, and the schema is at the newest migration."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from kernel.database import make_engine
from resident_card.accounts.repository import UserRepository
from resident_card.city.service import street_by_code
from resident_card.credentials.service import Keyring
from resident_card.residents.identifiers import IdentifierKind, protect
from resident_card.residents.models import ResidencyStatus
from resident_card.residents.service import records as residents
from tests.cashback.conftest import card_token
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, FreshDatabase
from tests.factories import auth_headers, israeli_id
from toshav.app import create_app
from toshav.cli import main
from toshav.schema import is_current
from toshav.settings import get_settings

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.beside_others,
]  # beside: nothing raced or timed

LEDGER = (
    "SELECT a.id, a.unit, a.balance, a.held_out, a.held_in,"
    " (SELECT count(*) FROM ledger_postings p WHERE p.account_id = a.id)"
    " FROM ledger_accounts a ORDER BY a.id"
)


def _program(name: str) -> str:
    """PostgreSQL's client program ``name``: required where PostgreSQL is (CI), else skipped."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} (PostgreSQL's client programs) is not installed"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (TOSHAV_REQUIRE_POSTGRES=1 makes this a failure)")
        pytest.skip(message)
    return found


def _libpq(url: str) -> str:
    """The URL as PostgreSQL's own programs take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def toshav(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    """The ``toshav`` command, as an operator runs it, against the database each call names."""
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _run(toshav: CliRunner, monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> str:
    monkeypatch.setenv("TOSHAV_DATABASE_URL", url)
    get_settings.cache_clear()
    result = toshav.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new database with nothing in it, as ``createdb`` makes one."""
    admin: Engine = create_engine(
        make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    name = f"toshav_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _activity(fresh_database: FreshDatabase, toshav: CliRunner, mp: pytest.MonkeyPatch) -> None:
    """The demo city, a month's grant to a resident the registry just added, and purchases at the
    demo café with one refunded in part: balances, postings and held cashback to carry over."""
    url, settings = fresh_database.url, fresh_database.settings
    _run(toshav, mp, url, "demo", "load")
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        street = street_by_code(session, "herzl")
        assert street is not None
        number = israeli_id(4_242)
        residents.add_resident(
            session,
            person=residents.Person(
                "Rami", "Haddad", date(1979, 3, 2), IdentifierKind.israeli_id, number
            ),
            protected=protect(
                settings.id_hash_key.get_secret_value(), IdentifierKind.israeli_id, number
            ),
            street=street,
            address=residents.Address("herzl", 31),
            status=ResidencyStatus.verified,
            reason="registry",
            actor_id=None,
            now=now,
            settings=settings,
        )
        session.commit()
    period = now.astimezone(ZoneInfo(settings.city_time_zone)).strftime("%Y-%m")
    granted = _run(
        toshav,
        mp,
        url,
        *("benefits", "grant", "--programme", "parking_free_minutes", "--period", period),
        *("--lang", "en"),
    )
    assert "1 residents granted 120 PARKING_MIN" in granted

    app = create_app(settings)
    with fresh_database.session() as session:
        users = UserRepository(session)
        merchant, dana_user = users.by_username("merchant"), users.by_username("resident")
        assert merchant is not None
        assert dana_user is not None
        dana = residents.resident_for_user(session, dana_user.id)
        assert dana is not None
        keyring = Keyring(settings)
        tokens = [card_token(session, settings, keyring, dana, now) for _ in range(3)]
        session.commit()
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        till = auth_headers(app, merchant)
        bought = []
        for turn, (token, amount) in enumerate(zip(tokens, (8_000, 12_345, 4_500), strict=True)):
            answer = client.post(
                "/api/v1/cashback/purchases",
                json={"card_token": token, "amount_agorot": amount, "receipt": f"R-{turn}"},
                headers={**till, "Idempotency-Key": f"backup-{turn}"},
            )
            assert answer.status_code == 201, answer.text
            bought.append(answer.json()["purchase_id"])
        refund = client.post(
            f"/api/v1/cashback/purchases/{bought[1]}/refunds",
            json={"amount_agorot": 2_345},
            headers={**till, "Idempotency-Key": "backup-refund"},
        )
        assert refund.status_code == 201, refund.text


def test_a_dump_restored_into_a_new_database_holds_the_same_ledger(
    fresh_database: FreshDatabase,
    empty_database: str,
    toshav: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _activity(fresh_database, toshav, monkeypatch)
    with fresh_database.engine.connect() as connection:
        before = connection.execute(text(LEDGER)).all()
    assert any(row.held_out for row in before)  # held cashback, in its return window
    assert sum(1 for row in before if row.balance) >= 4
    checked = _run(toshav, monkeypatch, fresh_database.url, "ledger", "check", "--lang", "en")

    dump = tmp_path / "toshav.dump"
    pg_dump, pg_restore = _program("pg_dump"), _program("pg_restore")
    subprocess.run(  # noqa: S603 - PostgreSQL's own program, our own arguments
        [pg_dump, "--format=custom", "--file", str(dump), "--dbname", _libpq(fresh_database.url)],
        check=True,
        timeout=60,
    )
    subprocess.run(  # noqa: S603 - PostgreSQL's own program, our own arguments
        [
            pg_restore,
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            _libpq(empty_database),
            str(dump),
        ],
        check=True,
        timeout=60,
    )

    # The restore is what was dumped: the ledger checks clean, with the same counts, and every
    # account has the same balance, holds and postings.
    assert _run(toshav, monkeypatch, empty_database, "ledger", "check", "--lang", "en") == checked
    assert checked.startswith("The ledger is sound")
    restored = make_engine(empty_database)
    try:
        with restored.connect() as connection:
            assert connection.execute(text(LEDGER)).all() == before
            assert is_current(
                connection
            )  # /readyz answers ready; `toshav db upgrade` has nothing to do
        # The append-only rules came back with the tables.
        with restored.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text("UPDATE ledger_postings SET amount = amount"))
    finally:
        restored.dispose()
