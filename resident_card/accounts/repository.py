"""Every query of users, refresh tokens, failed sign-ins and password resets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from resident_card.accounts.models import LoginFailure, PasswordReset, RefreshToken, Role, User


class DuplicateUsername(Exception):
    """Another transaction took the username between our check and our insert."""


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)

    def get_for_update(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id, with_for_update=True)

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(User.username == username))

    def add(self, user: User) -> User:
        # A savepoint, so a lost race on the unique username leaves the caller's transaction usable.
        try:
            with self.session.begin_nested():
                self.session.add(user)
                self.session.flush()
        except IntegrityError as exc:
            raise DuplicateUsername() from exc
        return user

    def _has_role(self, role: Role) -> ColumnElement[bool]:
        if self.session.get_bind().dialect.name == "postgresql":
            holds: ColumnElement[bool] = User.roles.cast(JSONB).contains([role.value])
            return holds
        listed = func.json_each(User.roles).table_valued("value")
        return exists(select(literal(1)).select_from(listed).where(listed.c.value == role.value))

    def page(self, *, role: Role | None, limit: int, offset: int) -> tuple[Sequence[User], int]:
        """One page of users by username, and how many there are in all."""
        query = select(User)
        if role is not None:
            query = query.where(self._has_role(role))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        users = self.session.scalars(
            query.order_by(User.username).limit(limit).offset(offset)
        ).all()
        return users, total


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

    def get_for_update(self, token_id: uuid.UUID) -> RefreshToken | None:
        return self.session.get(RefreshToken, token_id, with_for_update=True)

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

    def lock_username(self, username: str) -> None:
        """Serialise password checks of one username until this transaction ends.

        PostgreSQL: a transaction-scoped advisory lock keyed on the username. SQLite needs none:
        every transaction there takes the write lock as it begins.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            key = func.hashtextextended(literal(username), literal(0))
            self.session.execute(select(func.pg_advisory_xact_lock(key)))

    def add(self, username: str, client: str, at: datetime) -> None:
        self.session.add(LoginFailure(username=username, client=client, created_at=at))
        self.session.flush()

    def count_after(
        self, username: str, client: str, after: datetime
    ) -> tuple[int, datetime | None]:
        """How many failures of a username from a client after a time, and the latest of them."""
        row = self.session.execute(
            select(func.count(), func.max(LoginFailure.created_at)).where(
                LoginFailure.username == username,
                LoginFailure.client == client,
                LoginFailure.created_at > after,
            )
        ).one()
        return int(row[0]), row[1]

    def forget(
        self, username: str, *, client: str | None = None, before: datetime | None = None
    ) -> None:
        """Drop a username's failures: all of them, those of one client, or those older than a
        time."""
        query = delete(LoginFailure).where(LoginFailure.username == username)
        if client is not None:
            query = query.where(LoginFailure.client == client)
        if before is not None:
            query = query.where(LoginFailure.created_at < before)
        self.session.execute(query)


class PasswordResetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, reset: PasswordReset) -> PasswordReset:
        self.session.add(reset)
        self.session.flush()
        return reset

    def count_after(self, user_id: uuid.UUID, after: datetime) -> int:
        """How many resets were asked for a user after a time."""
        return int(
            self.session.scalar(
                select(func.count()).where(
                    PasswordReset.user_id == user_id, PasswordReset.created_at > after
                )
            )
            or 0
        )

    def supersede_open(self, user_id: uuid.UUID, now: datetime) -> None:
        """End every unused reset link of a user."""
        self.session.execute(
            update(PasswordReset)
            .where(
                PasswordReset.user_id == user_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.superseded_at.is_(None),
            )
            .values(superseded_at=now)
        )

    def by_hash_for_update(self, token_hash: str) -> PasswordReset | None:
        return self.session.scalar(
            select(PasswordReset).where(PasswordReset.token_hash == token_hash).with_for_update()
        )


class AccountRetentionRepository:
    """The deletions the retention rules make: sign-in records past the days they are kept."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def delete_login_failures_before(self, cutoff: datetime) -> int:
        result = self.session.execute(
            delete(LoginFailure)
            .where(LoginFailure.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def delete_refresh_tokens_expired_before(self, cutoff: datetime) -> int:
        result = self.session.execute(
            delete(RefreshToken)
            .where(RefreshToken.expires_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
