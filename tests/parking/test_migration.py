"""Migration 0006 builds exactly what the parking models describe, and undoes itself, on both
databases."""

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
    "parking_zones",
    "parking_zone_ranges",
    "parking_vehicles",
    "parking_permits",
    "parking_passes",
    "parking_sessions",
    "parking_inspections",
}


def _table_of(diff: Any) -> str | None:
    if isinstance(diff, list):
        return _table_of(diff[0])
    for item in diff[1:]:
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        name = getattr(item, "name", None)
        if isinstance(item, str) and item in TABLES:
            return item
        if name in TABLES:
            return str(name)
    return None


def test_the_parking_tables_match_the_models(fresh_database: FreshDatabase) -> None:
    load_all_models()
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in TABLES]

    assert diffs == []


def test_0006_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    command.downgrade(config, "0005")
    fresh_database.engine.dispose()
    without = set(inspect(fresh_database.engine).get_table_names())
    command.upgrade(config, "heads")
    fresh_database.engine.dispose()
    again = set(inspect(fresh_database.engine).get_table_names())

    assert not TABLES & without
    assert "cards" in without
    assert again >= TABLES
