"""Users who sign in, their refresh-token families, failed sign-ins (for the lockout), and the
one-time links that reset a forgotten password."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin


class Role(StrEnum):
    resident = "resident"
    inspector = "inspector"
    merchant = "merchant"
    admin = "admin"  # a city clerk
    auditor = "auditor"  # reads everything an admin reads, changes nothing


class User(RecordMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    preferred_language: Mapped[str] = mapped_column(String(2), default="he")

    def has_role(self, *roles: Role) -> bool:
        return any(role.value in self.roles for role in roles)


class RefreshToken(RecordMixin, Base):
    """One refresh token; a family is every token rotated from one sign-in."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Set when rotated: the token that took its place, and the hash of the Idempotency-Key the
    # rotation came with, so the same request sent again after its answer was lost can be told
    # from a replay (see ``service.refresh_tokens``).
    successor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL")
    )
    retry_key_hash: Mapped[str | None] = mapped_column(String(64))


class LoginFailure(RecordMixin, Base):
    """A failed sign-in for a username (known or not) from one client, counted for the slowdown
    of that client on that username. ``client`` is a keyed digest of its address, never the
    address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_client_created_at", "username", "client", "created_at"),
    )

    username: Mapped[str] = mapped_column(String(150))
    client: Mapped[str] = mapped_column(String(32), server_default="")


class PasswordReset(RecordMixin, Base):
    """A one-time link to set a new password. Only the hash of its token is kept; it works once,
    until ``expires_at``, and only while it is the newest of its user's (a new one supersedes it)."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id_created_at", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
