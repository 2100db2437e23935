"""The ``toshav`` command: serve, migrate, load demo data, manage users, import residents."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session

from resident_card.database import make_engine, make_sessionmaker
from resident_card.settings import InsecureSettingsError, Settings, check_settings, get_settings


def _settings() -> Settings:
    settings = get_settings()
    try:
        check_settings(settings)
    except InsecureSettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if settings.is_sqlite:
        Path(settings.var_dir).mkdir(parents=True, exist_ok=True)
    return settings


@contextmanager
def unit_of_work(settings: Settings) -> Iterator[Session]:
    """One session for a command: committed when it succeeds, rolled back when it fails."""
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """Toshav: the city's digital resident card and its benefits."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    _settings()
    uvicorn.run(
        "resident_card.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level=os.environ.get("TOSHAV_LOG_LEVEL", "info"),
    )


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database to the newest schema (Alembic)."""
    from resident_card.schema import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo("database is at the newest schema")


# Each domain keeps its commands beside its code; the CLI, like the app factory, sees them all.
DOMAIN_COMMANDS = (
    ("resident_card.accounts.cli", "users"),
    ("resident_card.residents.cli", "residents"),
    ("resident_card.demo", "demo"),
    ("benefits.ledger.cli", "ledger"),
    ("benefits.eligibility.cli", "rules"),
    ("benefits.eligibility.cli", "benefits"),
)


def _add_domain_commands() -> None:
    for module_name, attribute in DOMAIN_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):  # not built yet
                continue
            raise
        main.add_command(getattr(module, attribute))


_add_domain_commands()


def run() -> None:  # pragma: no cover - console entry for `python -m`
    sys.exit(main())
