"""Demo data of a Haifa-like city: ``toshav demo load`` (idempotent) and ``toshav demo logins``.

Each domain keeps its own demo loader (``load_demo(session, settings, now) -> list[str]``); this
command runs them in order, like the app factory mounts the domains' routers.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from resident_card.accounts import service as accounts
from resident_card.accounts.models import Role, User
from resident_card.accounts.repository import UserRepository
from resident_card.console import command_settings, unit_of_work
from resident_card.settings import Settings

DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("resident", Role.resident, "Dana Levi"),
    ("inspector", Role.inspector, "Parking inspector"),
    ("merchant", Role.merchant, "Shop staff"),
    ("admin", Role.admin, "City clerk"),
    ("auditor", Role.auditor, "Auditor"),
)

# Loaded in this order; a later loader may rely on an earlier one's data.
DEMO_LOADERS = (
    "resident_card.demo",
    "resident_card.city.demo",
    "resident_card.residents.demo",
    "resident_card.credentials.demo",
    "benefits.eligibility.demo",
    "parking.demo",
    "cashback.demo",
)


# Lines a domain adds to ``toshav demo logins`` (the demo resident's parking pass, say), if it is there.
DEMO_LOGIN_LINES = (("parking.demo", "logins_lines"), ("cashback.demo", "logins_lines"))


def extra_login_lines(session: Session, settings: Settings, now: datetime) -> list[str]:
    lines: list[str] = []
    for module_name, attribute in DEMO_LOGIN_LINES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        hook = getattr(module, attribute, None)
        if hook is None:
            continue
        try:
            with session.begin_nested():
                lines.extend(hook(session, settings, now))
        except SQLAlchemyError:  # no demo data of that domain yet: its lines are left out
            continue
    return lines


def demo_user(session: Session, username: str) -> User | None:
    return UserRepository(session).by_username(username)


def load_demo(session: Session, settings: Settings, now: datetime) -> list[str]:
    """The five demo users, one per role, with the demo password."""
    made = []
    password = settings.demo_password.get_secret_value()
    for username, role, display_name in DEMO_USERS:
        if demo_user(session, username) is None:
            accounts.create_user(
                session,
                settings,
                username=username,
                password=password,
                roles=[role],
                display_name=display_name,
            )
            made.append(username)
    return [f"users: {', '.join(made) if made else 'already there'}"]


def load_everything(session: Session, settings: Settings, now: datetime) -> list[str]:
    lines: list[str] = []
    for name in DEMO_LOADERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        lines.extend(module.load_demo(session, settings, now))
    return lines


@click.group()
def demo() -> None:
    """Demo data of a Haifa-like city."""


@demo.command("load")
def demo_load() -> None:
    """Load the demo data; running it again changes nothing."""
    settings = command_settings()
    with unit_of_work(settings) as session:
        for line in load_everything(session, settings, datetime.now(UTC)):
            click.echo(line)


@demo.command("logins")
def demo_logins() -> None:
    """Print the demo logins."""
    settings = command_settings()
    password = settings.demo_password.get_secret_value()
    click.echo("")
    click.echo("Toshav is at http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/docs)")
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
