"""Migration 0004 builds exactly what the models describe, and undoes itself, on both databases."""

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

TABLES = {"programmes", "programme_rule_versions", "eligibility_decisions", "allowance_grants"}


def _table_of(diff: Any) -> str | None:
    """The table a difference reported by Alembic is about."""
    if isinstance(diff, list):  # column changes come as a list of tuples
        return _table_of(diff[0])
    for item in diff[1:]:
        name = getattr(item, "name", None)
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(item, str) and item in TABLES:
            return item
        if name in TABLES:
            return str(name)
    return None


def test_the_eligibility_tables_match_the_models(fresh_database: FreshDatabase) -> None:
    load_all_models()
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in TABLES]

    assert diffs == []


def test_0004_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    command.downgrade(config, "0003")
    fresh_database.engine.dispose()
    without = set(inspect(fresh_database.engine).get_table_names())
    command.upgrade(config, "heads")
    fresh_database.engine.dispose()
    again = set(inspect(fresh_database.engine).get_table_names())

    assert not TABLES & without
    assert "ledger_transactions" in without
    assert again >= TABLES
