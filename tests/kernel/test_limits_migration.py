"""Migration 0018 (the rate counters, and failed sign-ins counted per client) builds what the
models describe and undoes itself, on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from kernel.database import Base
from tests.conftest import FreshDatabase
from toshav.schema import alembic_config, load_all_models

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others


def test_the_tables_match_the_models(fresh_database: FreshDatabase) -> None:
    load_all_models()
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [
            d
            for d in compare_metadata(context, Base.metadata)
            if "rate_counters" in repr(d) or "login_failures" in repr(d)
        ]

    assert diffs == []


def test_0018_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    def seen() -> tuple[set[str], set[str]]:
        fresh_database.engine.dispose()
        found = inspect(fresh_database.engine)
        columns = {column["name"] for column in found.get_columns("login_failures")}
        return set(found.get_table_names()), columns

    command.downgrade(config, "0017")
    tables, columns = seen()
    assert "rate_counters" not in tables
    assert "client" not in columns
    command.upgrade(config, "heads")
    tables, columns = seen()
    assert "rate_counters" in tables
    assert "client" in columns
