"""Migration 0013 builds exactly what the messages models describe, and undoes itself."""

from __future__ import annotations

from typing import Any

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

TABLES = {
    "messages",
    "message_deliveries",
    "message_preferences",
    "bulletins",
    "bulletin_neighbourhoods",
    "bulletin_reads",
}


def _tables(diff: Any) -> set[str]:
    """Every table name a difference mentions."""
    if isinstance(diff, list):
        return set().union(*(_tables(item) for item in diff))
    found: set[str] = set()
    for item in diff[1:] if isinstance(diff, tuple) else ():
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            found.add(str(table.name))
        if isinstance(item, str):
            found.add(item)
        name = getattr(item, "name", None)
        if isinstance(name, str):
            found.add(name)
    return found


def test_the_messages_tables_match_the_models(fresh_database: FreshDatabase) -> None:
    load_all_models()
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _tables(d) & TABLES]

    assert diffs == []


def test_0013_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    command.downgrade(config, "0012")
    fresh_database.engine.dispose()
    without = set(inspect(fresh_database.engine).get_table_names())
    command.upgrade(config, "heads")
    fresh_database.engine.dispose()
    again = set(inspect(fresh_database.engine).get_table_names())

    assert not TABLES & without
    assert again >= TABLES
