"""Migration 0019 builds exactly what the claims' model describes, and undoes itself, on both
databases."""

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


def test_the_claims_table_matches_the_model(fresh_database: FreshDatabase) -> None:
    load_all_models()
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [
            d for d in compare_metadata(context, Base.metadata) if "identity_claims" in repr(d)
        ]

    assert diffs == []


def test_0019_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    command.downgrade(config, "0018")
    fresh_database.engine.dispose()
    assert "identity_claims" not in inspect(fresh_database.engine).get_table_names()
    command.upgrade(config, "heads")
    fresh_database.engine.dispose()
    assert "identity_claims" in inspect(fresh_database.engine).get_table_names()
