"""Migration 0017: on PostgreSQL no append-only table (nor the ledger's holds) can be emptied by
TRUNCATE, which skips row triggers; a ledger hold is never deleted, on either database (it is
released or expires); and the migration undoes itself."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Connection, delete, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from benefits.ledger.models import Hold, HoldStatus
from benefits.ledger.service.holds import create_hold, release_hold
from benefits.ledger.service.posting import PostingInput
from kernel.clock import SetClock
from tests.benefits.conftest import fund, new_key, resident_account
from tests.conftest import FreshDatabase
from toshav.schema import alembic_config

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

APPEND_ONLY = (
    "audit_log",
    "resident_status_changes",
    "ledger_transactions",
    "ledger_postings",
    "ledger_hold_postings",
    "eligibility_decisions",
    "cashback_card_token_uses",
    "cashback_refunds",
    "cashback_redemptions",
    "cashback_settlements",
)


def _hold(session: Session, now: datetime) -> Hold:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    return create_hold(
        session,
        idempotency_key=new_key("hold"),
        kind="parking",
        postings=[PostingInput(payer.id, -10), PostingInput(payee.id, 10)],
        expires_at=now + timedelta(minutes=30),
        now=now,
    )


def _triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return set(connection.scalars(text(query)))


@pytest.mark.postgres_only
@pytest.mark.parametrize("table", [*APPEND_ONLY, "ledger_holds"])
def test_truncate_is_refused(session: Session, clock: SetClock, table: str) -> None:
    _hold(session, clock.now())  # rows in the ledger's tables, so an emptied one would show

    refused = f"{table} keeps every row: TRUNCATE is not allowed"
    with pytest.raises(DBAPIError, match=refused), session.begin_nested():
        session.execute(text(f"TRUNCATE {table} CASCADE"))

    assert session.scalar(select(Hold.id)) is not None


@pytest.mark.postgres_only
def test_every_append_only_table_refuses_truncate(session: Session) -> None:
    """A table made append-only later is listed too, or this fails."""
    names = _triggers(session.connection())
    append_only = {
        name.removesuffix("_no_update_delete")
        for name in names
        if name.endswith("_no_update_delete")
    }

    assert append_only == set(APPEND_ONLY)
    assert {f"{table}_no_truncate" for table in (*APPEND_ONLY, "ledger_holds")} <= names


@pytest.mark.parametrize("everything", [True, False])
def test_a_hold_is_never_deleted(session: Session, clock: SetClock, everything: bool) -> None:
    hold = _hold(session, clock.now())
    statement = delete(Hold) if everything else delete(Hold).where(Hold.id == hold.id)

    refused = "ledger_holds keeps every row: DELETE is not allowed"
    with pytest.raises(DBAPIError, match=refused), session.begin_nested():
        session.execute(statement)

    # Ending a hold is a change of its state, which stays allowed.
    released = release_hold(session, hold.id, now=clock.now())
    assert released.status == HoldStatus.released
    assert session.scalar(select(Hold.status).where(Hold.id == hold.id)) == "released"


def test_0017_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)
    kept = {"ledger_holds_no_delete"}
    if fresh_database.url.startswith("postgresql"):
        kept |= {f"{table}_no_truncate" for table in (*APPEND_ONLY, "ledger_holds")}
    with fresh_database.engine.connect() as connection:
        assert kept <= _triggers(connection)

    command.downgrade(config, "0016")
    fresh_database.engine.dispose()
    with fresh_database.engine.connect() as connection:
        left = _triggers(connection)
        assert not kept & left
        # The append-only tables' own triggers are not 0017's to remove.
        assert {"audit_log_no_update_delete", "audit_log_no_update"} & left

    command.upgrade(config, "heads")
    fresh_database.engine.dispose()
    with fresh_database.engine.connect() as connection:
        assert kept <= _triggers(connection)
