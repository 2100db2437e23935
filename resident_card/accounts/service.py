"""Signing in, refresh-token rotation, and user management. Never commits: the request does."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from resident_card.accounts.exceptions import (
    InvalidCredentials,
    InvalidRefreshToken,
    TooManyAttempts,
    UsernameTaken,
    WeakPassword,
)
from resident_card.accounts.models import RefreshToken, Role, User
from resident_card.accounts.passwords import (
    MAX_PASSWORD_BYTES,
    hash_password,
    needs_rehash,
    verify_password,
)
from resident_card.accounts.repository import (
    LoginFailureRepository,
    RefreshTokenRepository,
    UserRepository,
)
from resident_card.accounts.tokens import (
    AccessTokenKeys,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
)
from resident_card.audit import service as audit
from resident_card.settings import Settings


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password_rules(password: str, settings: Settings) -> None:
    size = len(password.encode())
    if size < settings.password_min_length or size > MAX_PASSWORD_BYTES:
        raise WeakPassword(minimum=settings.password_min_length)


def create_user(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    roles: list[Role],
    display_name: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> User:
    username = normalise_username(username)
    check_password_rules(password, settings)
    repository = UserRepository(session)
    if repository.by_username(username) is not None:
        raise UsernameTaken()
    user = repository.add(
        User(
            username=username,
            password_hash=hash_password(password),
            roles=sorted({role.value for role in roles}),
            display_name=display_name,
        )
    )
    if actor_id is not None:
        audit.record(
            session,
            actor_id=actor_id,
            action="user.create",
            subject_type="user",
            subject_id=user.id,
            after={"username": user.username, "roles": user.roles},
        )
    return user


def lockout_check(session: Session, settings: Settings, username: str, now: datetime) -> None:
    """Refuse sign-in for an account with too many recent failures, saying when to come back."""
    window = timedelta(seconds=settings.login_failure_window_seconds)
    failures, oldest = LoginFailureRepository(session).count_since(username, now - window)
    if failures >= settings.login_max_failures and oldest is not None:
        retry_after = max(1, math.ceil((oldest + window - now).total_seconds()))
        raise TooManyAttempts(
            headers={"Retry-After": str(retry_after)}, minutes=math.ceil(retry_after / 60)
        )


def record_failure(session: Session, username: str, now: datetime) -> None:
    LoginFailureRepository(session).add(normalise_username(username)[:150], now)


def authenticate(
    session: Session, settings: Settings, *, username: str, password: str, now: datetime
) -> User:
    """The user with these credentials; the same error, in about the same time, for any mismatch."""
    username = normalise_username(username)
    lockout_check(session, settings, username, now)
    user = UserRepository(session).by_username(username)
    valid = verify_password(password, user.password_hash if user is not None else None)
    if user is None or not valid or not user.is_active:
        raise InvalidCredentials()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def issue_tokens(
    session: Session,
    settings: Settings,
    keys: AccessTokenKeys,
    *,
    user: User,
    now: datetime,
    family_id: uuid.UUID | None = None,
) -> IssuedTokens:
    refresh, refresh_hash = new_refresh_token()
    RefreshTokenRepository(session).add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=refresh_hash,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    return IssuedTokens(
        access_token=issue_access_token(keys, settings, user_id=user.id, now=now),
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
    )


class RefreshReuse(Exception):
    """A rotated refresh token came back: its family has been revoked and must stay so."""


def refresh_tokens(
    session: Session,
    settings: Settings,
    keys: AccessTokenKeys,
    *,
    refresh_token: str,
    now: datetime,
) -> IssuedTokens:
    """Rotate a refresh token. Reusing a rotated one revokes its whole family.

    A reuse raises ``RefreshReuse`` after revoking, so the caller can commit the revocation and
    still answer 401.
    """
    repository = RefreshTokenRepository(session)
    stored = repository.by_hash_for_update(hash_refresh_token(refresh_token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise InvalidRefreshToken()
    if stored.rotated_at is not None:
        repository.revoke_family(stored.family_id, now)
        raise RefreshReuse()
    user = UserRepository(session).get(stored.user_id)
    if user is None or not user.is_active:
        raise InvalidRefreshToken()
    stored.rotated_at = now
    return issue_tokens(session, settings, keys, user=user, now=now, family_id=stored.family_id)


def logout(session: Session, *, refresh_token: str, now: datetime) -> None:
    """Revoke the family of a refresh token. Unknown tokens are ignored: logout always succeeds."""
    repository = RefreshTokenRepository(session)
    stored = repository.by_hash_for_update(hash_refresh_token(refresh_token))
    if stored is not None:
        repository.revoke_family(stored.family_id, now)


def set_active(
    session: Session, *, user: User, active: bool, actor_id: uuid.UUID, reason: str, now: datetime
) -> User:
    before = {"is_active": user.is_active}
    user.is_active = active
    if not active:
        RefreshTokenRepository(session).revoke_user(user.id, now)
    audit.record(
        session,
        actor_id=actor_id,
        action="user.enable" if active else "user.disable",
        subject_type="user",
        subject_id=user.id,
        before=before,
        after={"is_active": active},
        reason=reason,
    )
    return user
