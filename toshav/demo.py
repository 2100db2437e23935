"""Demo data of a Haifa-like city: ``toshav demo load`` (idempotent) and ``toshav demo logins``.

Each domain's manifest names its demo loaders (``load(session, settings, now) -> list[str]``); they
run in the domains' order (the card's, the ledger's, then each domain turned on), so a later loader
may rely on an earlier one's data.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from benefits.ledger.models import Posting
from benefits.uptake import service as uptake
from figures.open_data import service as open_data
from figures.rollups import service as rollups
from kernel.console import command_settings, unit_of_work
from kernel.settings import Settings
from resident_card.accounts.demo import DEMO_USERS
from toshav.domains import enabled
from toshav.year.load import DEFAULT_SEED, load_year


def extra_login_lines(session: Session, settings: Settings, now: datetime) -> list[str]:
    """Lines the enabled domains add to ``toshav demo logins`` (the demo resident's pass, say)."""
    lines: list[str] = []
    for manifest in enabled(settings):
        for hook in manifest.demo_logins:
            try:
                with session.begin_nested():
                    lines.extend(hook(session, settings, now))
            except SQLAlchemyError:  # no demo data of that domain yet: its lines are left out
                continue
    return lines


def load_everything(session: Session, settings: Settings, now: datetime) -> list[str]:
    lines: list[str] = []
    for manifest in enabled(settings):
        for load in manifest.demo:
            lines.extend(load(session, settings, now))
    return lines


def not_in_production(settings: Settings, what: str) -> Settings:
    """The settings, unless they are production's: the demo's accounts, the admin's among them,
    sign in with a published password, which production neither creates nor prints."""
    if settings.is_production:
        raise click.ClickException(
            f"Refusing to {what} in production (TOSHAV_ENV=production): the demo's accounts, "
            "the admin's among them, sign in with a published password."
        )
    return settings


@click.group()
def demo() -> None:
    """Demo data of a Haifa-like city."""


@demo.command("load")
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    default=None,
    help="Also load a year of the city's activity for this many residents (50000 works).",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="The same seed makes the same year.",
)
def demo_load(scale: int | None, seed: int) -> None:
    """Load the demo data; running it again changes nothing. Refused in production.

    With ``--scale N``, then a year of activity for N residents (once: a second run says so)."""
    settings = not_in_production(command_settings(), "load demo data")
    now = datetime.now(UTC)
    with unit_of_work(settings) as session:
        for line in load_everything(session, settings, now):
            click.echo(line)
    if scale is not None:
        with unit_of_work(settings) as session:
            for line in load_year(session, settings, now, scale=scale, seed=seed):
                click.echo(line)
        # The year's uses of allowances summed by day, as the worker would in its next minutes.
        started = time.monotonic()
        with unit_of_work(settings) as session:
            high = rollups.safe_high(session, Posting.id)
        with unit_of_work(settings) as session:
            uses = uptake.roll_up(session, through=high, zone=settings.city_time_zone, now=now)
        click.echo(
            f"year: {uses} uses of allowances rolled up by day in {time.monotonic() - started:.0f} s"
        )
        # Bulk loading leaves the planner's statistics of a near-empty database: the figures'
        # queries would be planned for a few rows until autovacuum (PostgreSQL) caught up, and
        # SQLite keeps none until asked.
        started = time.monotonic()
        with unit_of_work(settings) as session:
            session.execute(text("ANALYZE"))
        click.echo(
            f"year: the database's statistics brought up to date in {time.monotonic() - started:.0f} s"
        )
        # The year's open data released now, as the worker would at night: the neighbourhoods'
        # pages answer from the release.
        started = time.monotonic()
        with unit_of_work(settings) as session:
            made = open_data.make_release(session, settings, datetime.now(UTC))
        rows = sum(len(table.rows) for table in made.tables)
        click.echo(f"year: open data released, {rows} rows, in {time.monotonic() - started:.0f} s")


@demo.command("logins")
def demo_logins() -> None:
    """Print the demo logins. Refused in production."""
    settings = not_in_production(command_settings(), "print the demo logins")
    password = settings.demo_password.get_secret_value()
    click.echo("")
    site = settings.public_url.rstrip("/")
    click.echo(f"Toshav is at {site}  (API docs: {site}/docs)")
    click.echo("Demo logins (password for all: " + password + "):")
    for username, role, _ in DEMO_USERS:
        click.echo(f"  {username:<10} {role.value}")
    try:
        with unit_of_work(settings) as session:
            extra = extra_login_lines(session, settings, datetime.now(UTC))
    except SQLAlchemyError:  # no demo database yet: the logins alone
        extra = []
    for line in extra:
        click.echo(line)
    click.echo("")
