"""Every query of users, refresh tokens and failed sign-ins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from resident_card.accounts.models import LoginFailure, RefreshToken, User


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(User.username == username))

    def add(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user


class RefreshTokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token: RefreshToken) -> RefreshToken:
        self.session.add(token)
        self.session.flush()
        return token

    def by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        return self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        )

    def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class LoginFailureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, username: str, at: datetime) -> None:
        self.session.add(LoginFailure(username=username, created_at=at))
        self.session.flush()

    def count_since(self, username: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures since a time, and the oldest of them."""
        row = self.session.execute(
            select(func.count(), func.min(LoginFailure.created_at)).where(
                LoginFailure.username == username, LoginFailure.created_at >= since
            )
        ).one()
        return int(row[0]), row[1]
