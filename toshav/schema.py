"""The schema as Alembic builds it: load every table, migrate, and say whether a database is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

import benefits.appeals.models
import benefits.eligibility.models
import benefits.ledger.models
import benefits.uptake.models
import cashback.models
import figures.open_data.models
import figures.rollups.models
import jobs.models
import kernel.changes.models
import kernel.limits.models
import messages.bulletins.models
import messages.models
import parking.models
import resident_card.accounts.models
import resident_card.audit.models
import resident_card.cards.models
import resident_card.city.models
import resident_card.credentials.models
import resident_card.residents.models
import resident_card.rights.models

ROOT = Path(__file__).resolve().parent.parent
# Every module of tables: the metadata knows a table once its module is imported.
MODEL_MODULES = (
    kernel.changes.models,
    kernel.limits.models,
    resident_card.accounts.models,
    resident_card.audit.models,
    resident_card.cards.models,
    resident_card.city.models,
    resident_card.credentials.models,
    resident_card.residents.models,
    resident_card.rights.models,
    benefits.eligibility.models,
    benefits.appeals.models,
    benefits.ledger.models,
    benefits.uptake.models,
    parking.models,
    cashback.models,
    jobs.models,
    messages.models,
    messages.bulletins.models,
    figures.open_data.models,
    figures.rollups.models,
)


def load_all_models() -> None:
    """Every table known to the metadata (the imports above did it; this names the intent)."""
    assert MODEL_MODULES


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


def newest_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def is_current(connection: Connection) -> bool:
    return current_revisions(connection) == newest_revisions()
