"""What every ``toshav`` command stands on: checked settings and one unit of work."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from kernel.database import make_engine, make_sessionmaker
from kernel.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language, negotiate
from kernel.settings import InsecureSettingsError, Settings, check_settings

# Where the root of the command line puts how the service's settings are read (``click`` context
# meta): the one class with every domain's fields, which a domain's command narrows to its own.
READ_SETTINGS = "toshav.read_settings"

T = TypeVar("T")


def command_settings() -> Settings:
    """The service's settings, refused in production if a secret is missing or at its default."""
    read: Callable[[], Settings] | None = click.get_current_context().meta.get(READ_SETTINGS)
    if read is None:
        raise click.ClickException("a command runs under the service's own command line")
    settings = read()
    try:
        check_settings(settings)
    except InsecureSettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if settings.is_sqlite:
        Path(settings.var_dir).mkdir(parents=True, exist_ok=True)
    return settings


@contextmanager
def short_transactions(settings: Settings) -> Iterator[Callable[[Callable[[Session], T]], T]]:
    """For a command that works in many short transactions (one resident, one campaign at a
    time): ``run(work)`` runs ``work(session)`` in a transaction of its own, committed when it
    returns and rolled back when it raises."""
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)

    def run(work: Callable[[Session], T]) -> T:
        with sessions() as session:
            try:
                done = work(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            return done

    try:
        yield run
    finally:
        engine.dispose()


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


def terminal_language() -> Language:
    """The language of the person at the terminal: TOSHAV_LANGUAGE, else the locale, else Hebrew."""
    for name in ("TOSHAV_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return negotiate(value.split(".")[0].replace("_", "-"))
    return DEFAULT_LANGUAGE


# Every command speaks the city's three languages, chosen the same way.
language_option = click.option(
    "--language",
    "--lang",
    "language",
    type=click.Choice(LANGUAGES),
    default=terminal_language,
    show_default="TOSHAV_LANGUAGE, the locale, or he",
    help="The language of the output (he, ar, en).",
)
