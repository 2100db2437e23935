"""The ``toshav`` command: serve, migrate, load demo data, manage users, import residents."""

from __future__ import annotations

import importlib
import os
import sys

import click

from resident_card.console import command_settings
from resident_card.credentials.cli import KEY_HOLDERS
from resident_card.credentials.service import KeyHolders
from resident_card.settings import Settings


@click.group()
@click.pass_context
def main(context: click.Context) -> None:
    """Toshav: the city's digital resident card and its benefits."""
    context.meta[KEY_HOLDERS] = _key_holders


def _key_holders(settings: Settings) -> list[KeyHolders]:
    """The credentials the enabled domains keep that a signing key must not strand."""
    holders: list[KeyHolders] = []
    if "parking" in settings.modules:
        permits = importlib.import_module("parking.service.permits")
        holders.append(permits.pass_holders(settings))
    return holders


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    command_settings()
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

    settings = command_settings()
    upgrade(settings.database_url, revision)
    click.echo("database is at the newest schema")


# Each domain keeps its commands beside its code; the CLI, like the app factory, sees them all.
DOMAIN_COMMANDS = (
    ("resident_card.accounts.cli", "users"),
    ("resident_card.residents.cli", "residents"),
    ("resident_card.city.cli", "city"),
    ("resident_card.credentials.cli", "keys"),
    ("resident_card.cards.cli", "cards"),
    ("resident_card.demo", "demo"),
    ("benefits.ledger.cli", "ledger"),
    ("benefits.eligibility.cli", "rules"),
    ("benefits.eligibility.cli", "benefits"),
    ("parking.cli", "parking"),
    ("cashback.cli", "cashback"),
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
