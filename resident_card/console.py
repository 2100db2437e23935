"""What every ``toshav`` command stands on: checked settings and one unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session

from resident_card.database import make_engine, make_sessionmaker
from resident_card.settings import InsecureSettingsError, Settings, check_settings, get_settings


def command_settings() -> Settings:
    """The settings, refused in production if a secret is missing or at its default."""
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
