"""Migration 0015 builds exactly what the models describe, and undoes itself, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision, Programme
from benefits.eligibility.service.programme_files import load_programmes
from kernel.database import Base
from tests.benefits.test_eligibility_migration import _table_of
from tests.conftest import FreshDatabase
from toshav.schema import alembic_config, load_all_models

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)


def test_the_appeals_tables_match_the_models(fresh_database: FreshDatabase) -> None:
    load_all_models()
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [
            d
            for d in compare_metadata(context, Base.metadata)
            if _table_of(d) in {"appeals", "eligibility_decisions"} or "appeal" in repr(d)
        ]

    assert diffs == []


def test_0015_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    command.downgrade(config, "0014")
    fresh_database.engine.dispose()
    inspector = inspect(fresh_database.engine)
    assert "appeals" not in inspector.get_table_names()
    assert "appeal_id" not in {c["name"] for c in inspector.get_columns("eligibility_decisions")}
    command.upgrade(config, "heads")
    fresh_database.engine.dispose()
    inspector = inspect(fresh_database.engine)
    assert "appeals" in inspector.get_table_names()
    assert "appeal_id" in {c["name"] for c in inspector.get_columns("eligibility_decisions")}


def test_decisions_stay_append_only_after_0015(session: Session) -> None:
    """The column added by 0015 keeps the table's triggers (SQLite copies it anew to add one)."""
    load_programmes(session, now=NOW)
    decision = Decision(
        id=uuid.uuid4(),
        programme_id=session.scalars(select(Programme.id)).first(),
        resident_id=uuid.uuid4(),
        facts={},
        outcome="not_eligible",
        reasons=[],
        decided_at=NOW,
    )
    session.add(decision)
    session.flush()
    for statement in (
        update(Decision).where(Decision.id == decision.id).values(outcome="eligible"),
        delete(Decision).where(Decision.id == decision.id),
    ):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(statement.execution_options(synchronize_session=False))
        savepoint.rollback()
