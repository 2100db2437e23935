"""The demo users: one per role, with the demo password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts import service as accounts
from resident_card.accounts.models import Role, User
from resident_card.accounts.repository import UserRepository

DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("resident", Role.resident, "Dana Levi"),
    ("inspector", Role.inspector, "Parking inspector"),
    ("merchant", Role.merchant, "Shop staff"),
    ("admin", Role.admin, "City clerk"),
    ("auditor", Role.auditor, "Auditor"),
)


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
