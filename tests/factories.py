"""Builders of test data: ``create_user(session, settings, **overrides)`` and friends."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.orm import Session

from resident_card.accounts import service as accounts
from resident_card.accounts.models import Role, User
from resident_card.accounts.tokens import issue_access_token
from resident_card.settings import Settings

DEFAULT_PASSWORD = "correct-horse-battery"


def create_user(
    session: Session,
    settings: Settings,
    *,
    role: Role | str = Role.resident,
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    **overrides: object,
) -> User:
    user = accounts.create_user(
        session,
        settings,
        username=username or f"user-{uuid.uuid4().hex[:8]}",
        password=password,
        roles=[Role(role)],
    )
    for name, value in overrides.items():
        setattr(user, name, value)
    session.flush()
    return user


def auth_headers(app: FastAPI, user: User, *, now: datetime | None = None) -> dict[str, str]:
    """A bearer header for a user, minted as the app would, without the cost of a password hash."""
    settings: Settings = app.state.settings
    token = issue_access_token(
        app.state.access_keys, settings, user_id=user.id, now=now or app.state.clock.now()
    )
    return {"Authorization": f"Bearer {token}"}
