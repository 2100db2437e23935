"""The schema as Alembic builds it: load every table, migrate, and say whether a database is current."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

DOMAIN_PACKAGES = ("resident_card", "benefits", "parking", "cashback")
ROOT = Path(__file__).resolve().parent.parent


def load_all_models() -> None:
    """Import every ``models`` module so the metadata knows every table."""
    for package_name in DOMAIN_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if info.name.rsplit(".", 1)[-1] == "models":
                importlib.import_module(info.name)


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
