"""Migration 0010 (what a refresh token was rotated into, and with which key) matches the models
and undoes itself, on both databases; so does the whole migrated schema."""

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


def test_the_whole_migrated_schema_is_what_the_models_describe(
    fresh_database: FreshDatabase,
) -> None:
    load_all_models()
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)

    assert diffs == []


def test_0010_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    def columns() -> set[str]:
        fresh_database.engine.dispose()
        return {
            column["name"]
            for column in inspect(fresh_database.engine).get_columns("refresh_tokens")
        }

    command.downgrade(config, "0009")
    without = columns()
    command.upgrade(config, "heads")
    again = columns()

    assert {"successor_id", "retry_key_hash"}.isdisjoint(without)
    assert {"token_hash", "rotated_at", "revoked_at"} <= without
    assert again == without | {"successor_id", "retry_key_hash"}
