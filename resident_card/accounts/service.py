"""Signing in, refresh-token rotation, and user management. Never commits: the request does."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from kernel.errors import Unprocessable
from kernel.settings import Settings
from resident_card.accounts.exceptions import (
    CannotDisableSelf,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidUsername,
    ResidentNeedsEnrolment,
    TooManyAttempts,
    UsernameTaken,
    UserNotFound,
    WeakPassword,
)
from resident_card.accounts.models import RefreshToken, Role, User
from resident_card.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_input_problem,
    verify_password,
)
from resident_card.accounts.repository import (
    DuplicateUsername,
    LoginFailureRepository,
    RefreshTokenRepository,
    UserRepository,
)
from resident_card.accounts.schemas import MeUpdate, is_plain_text
from resident_card.accounts.tokens import (
    AccessTokenKeys,
    hash_refresh_token,
    hash_retry_key,
    issue_access_token,
    new_refresh_token,
)
from resident_card.audit import service as audit

# Plain ASCII after lower-casing: no look-alike letters from other scripts in a username.
USERNAME_PATTERN = re.compile(r"[a-z0-9._@+-]{3,150}")
# Residents get their account when they enrol (which ties it to a resident); staff get theirs here.
STAFF_ROLES = frozenset({Role.inspector, Role.merchant, Role.admin, Role.auditor})


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    """The normalised username, if it is one we accept for a new account."""
    normalised = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(normalised):
        raise InvalidUsername()
    return normalised


def check_password_rules(password: str, settings: Settings) -> None:
    """A new password: at least the minimum length in characters, at most 1024 bytes, no NUL."""
    if password_input_problem(password) is not None or len(password) < settings.password_min_length:
        raise WeakPassword(minimum=settings.password_min_length)


def _text(value: str | None, field: str, max_length: int) -> str | None:
    """Typed text, trimmed; blank is None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > max_length or not is_plain_text(value):
        raise Unprocessable(problem=field)
    return value


def create_user(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    roles: Sequence[Role],
    display_name: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> User:
    """A new account of any role. Enrolment makes residents' accounts with it; staff use ``create_staff_user``."""
    username = check_username(username)
    check_password_rules(password, settings)
    if not roles:
        raise Unprocessable(problem="roles")
    repository = UserRepository(session)
    if repository.by_username(username) is not None:
        raise UsernameTaken()
    try:
        user = repository.add(
            User(
                username=username,
                password_hash=hash_password(password),
                roles=sorted({Role(role).value for role in roles}),
                display_name=_text(display_name, "display_name", 200),
            )
        )
    except DuplicateUsername as exc:
        raise UsernameTaken() from exc
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


def create_staff_user(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    roles: Sequence[Role],
    display_name: str | None,
    actor_id: uuid.UUID | None,
) -> User:
    """A staff account, audited. ``actor_id`` None means the command line."""
    if any(Role(role) not in STAFF_ROLES for role in roles):
        raise ResidentNeedsEnrolment()
    user = create_user(
        session,
        settings,
        username=username,
        password=password,
        roles=roles,
        display_name=display_name,
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="user.create",
        subject_type="user",
        subject_id=user.id,
        after={"username": user.username, "roles": user.roles, "is_active": user.is_active},
    )
    return user


def slowdown_seconds(settings: Settings, failures: int) -> int:
    """How long a client waits after its latest failure, having failed ``failures`` times."""
    if failures < settings.login_max_failures:
        return 0
    doublings = min(failures - settings.login_max_failures, 30)
    wait: int = settings.login_slowdown_seconds * 2**doublings
    return min(settings.login_slowdown_max_seconds, wait)


def lockout_check(
    session: Session, settings: Settings, username: str, client: str, now: datetime
) -> None:
    """Refuse a client that failed too often for this username, saying when to come back.

    Counted per username and client (``client`` a keyed digest of its address): a client past
    the allowed failures waits, longer after each further failure, while every other client (the
    owner signing in from elsewhere) goes on as before. Takes the username's lock first, so
    parallel guesses are checked one at a time: the caller must record a failure in this same
    transaction (see ``record_failure``) for the next guess to see it.
    """
    repository = LoginFailureRepository(session)
    repository.lock_username(username)
    window = timedelta(seconds=settings.login_failure_window_seconds)
    # A failure counts for exactly the window: at its time + window it no longer does.
    failures, latest = repository.count_after(username, client, now - window)
    if failures < settings.login_max_failures or latest is None:
        return
    retry_after = math.ceil(
        (latest + timedelta(seconds=slowdown_seconds(settings, failures)) - now).total_seconds()
    )
    if retry_after > 0:
        raise TooManyAttempts(headers={"Retry-After": str(retry_after)}, seconds=retry_after)


def record_failure(
    session: Session, settings: Settings, username: str, client: str, now: datetime
) -> None:
    """Count a failed sign-in against a username (known or not) and a client; forget the
    username's failures past the window.

    The caller commits it, even though the request fails, in the transaction that checked the
    password: nothing but reads has happened there, and committing is what releases the lock.
    """
    username = normalise_username(username)[:150]
    repository = LoginFailureRepository(session)
    repository.forget(
        username, before=now - timedelta(seconds=settings.login_failure_window_seconds)
    )
    repository.add(username, client, now)


def authenticate(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    client: str,
    now: datetime,
) -> User:
    """The user with these credentials; the same error, in about the same time, for any mismatch.

    A success forgets this client's failures for the username, not another client's.
    """
    username = normalise_username(username)
    lockout_check(session, settings, username, client, now)
    user = UserRepository(session).by_username(username)
    valid = verify_password(password, user.password_hash if user is not None else None)
    if user is None or not valid or not user.is_active:
        raise InvalidCredentials()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    LoginFailureRepository(session).forget(username, client=client)
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
    return _issue(session, settings, keys, user=user, now=now, family_id=family_id)[0]


def _issue(
    session: Session,
    settings: Settings,
    keys: AccessTokenKeys,
    *,
    user: User,
    now: datetime,
    family_id: uuid.UUID | None,
) -> tuple[IssuedTokens, RefreshToken]:
    refresh, refresh_hash = new_refresh_token()
    stored = RefreshTokenRepository(session).add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=refresh_hash,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    issued = IssuedTokens(
        access_token=issue_access_token(keys, settings, user_id=user.id, now=now),
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
    )
    return issued, stored


class RefreshReuse(Exception):
    """A rotated refresh token came back: its family has been revoked and must stay so."""


def refresh_tokens(
    session: Session,
    settings: Settings,
    keys: AccessTokenKeys,
    *,
    refresh_token: str,
    now: datetime,
    retry_key: str | None = None,
) -> IssuedTokens:
    """Rotate a refresh token. Reusing a rotated one revokes its whole family.

    A reuse raises ``RefreshReuse`` after revoking, so the caller can commit the revocation and
    still answer 401. The row is locked, so of two requests racing with one token, the second
    sees it rotated: at most one succeeds.

    One second use is not a reuse: the same request again, with the Idempotency-Key
    (``retry_key``) the rotation came with, within ``refresh_retry_seconds`` of it, while the
    token it was rotated into has never been used. That is a device whose answer was lost on the
    way; it gets a new pair and the unused one it never received stops working, so the family
    still has one live token. A replayed token without its key is still a reuse
    (docs/decisions/0004-refresh-token-retry-window.md).
    """
    repository = RefreshTokenRepository(session)
    stored = repository.by_hash_for_update(hash_refresh_token(refresh_token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        raise InvalidRefreshToken()
    user = UserRepository(session).get(stored.user_id)
    if stored.rotated_at is not None:
        lost = _lost_answer(repository, settings, stored, retry_key, now)
        if lost is None or user is None or not user.is_active:
            repository.revoke_family(stored.family_id, now)
            raise RefreshReuse()
        lost.revoked_at = now
    elif user is None or not user.is_active:
        raise InvalidRefreshToken()
    else:
        stored.rotated_at = now
        stored.retry_key_hash = hash_retry_key(retry_key) if retry_key else None
    issued, successor = _issue(
        session, settings, keys, user=user, now=now, family_id=stored.family_id
    )
    stored.successor_id = successor.id
    return issued


def _lost_answer(
    repository: RefreshTokenRepository,
    settings: Settings,
    rotated: RefreshToken,
    retry_key: str | None,
    now: datetime,
) -> RefreshToken | None:
    """The token a rotation made, if this second use is that rotation's request sent again."""
    if (
        retry_key is None
        or rotated.retry_key_hash != hash_retry_key(retry_key)
        or rotated.successor_id is None
        or rotated.rotated_at is None
        or now - rotated.rotated_at > timedelta(seconds=settings.refresh_retry_seconds)
    ):
        return None
    successor = repository.get_for_update(rotated.successor_id)
    if successor is None or successor.rotated_at is not None or successor.revoked_at is not None:
        return None  # the device did get its answer, and has used it since
    return successor


def logout(session: Session, *, refresh_token: str, now: datetime) -> None:
    """Revoke the family of a refresh token. Unknown tokens are ignored: logout always succeeds."""
    repository = RefreshTokenRepository(session)
    stored = repository.by_hash_for_update(hash_refresh_token(refresh_token))
    if stored is not None:
        repository.revoke_family(stored.family_id, now)


def update_profile(user: User, update: MeUpdate) -> User:
    """What a user may change about themselves: their language and the name they go by."""
    if update.preferred_language is not None:
        user.preferred_language = update.preferred_language
    if "display_name" in update.model_fields_set:
        user.display_name = update.display_name
    return user


def change_password(
    session: Session,
    settings: Settings,
    *,
    user: User,
    current_password: str,
    new_password: str,
    client: str,
    now: datetime,
) -> None:
    """Set a new password after checking the current one; every refresh token of the user stops working.

    A wrong current password counts towards the client's sign-in slowdown, like a failed
    sign-in; the new password forgets every client's failures for the username.
    """
    lockout_check(session, settings, user.username, client, now)
    if not verify_password(current_password, user.password_hash):
        raise InvalidCredentials()
    check_password_rules(new_password, settings)
    user.password_hash = hash_password(new_password)
    RefreshTokenRepository(session).revoke_user(user.id, now)
    LoginFailureRepository(session).forget(user.username)
    audit.record(
        session,
        actor_id=user.id,
        action="user.password_change",
        subject_type="user",
        subject_id=user.id,
    )


def list_users(
    session: Session, *, role: Role | None, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    return UserRepository(session).page(role=role, limit=limit, offset=offset)


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = UserRepository(session).get(user_id)
    if user is None:
        raise UserNotFound()
    return user


def get_user_by_username(session: Session, username: str) -> User:
    user = UserRepository(session).by_username(normalise_username(username))
    if user is None:
        raise UserNotFound()
    return user


def set_active(
    session: Session,
    *,
    user: User,
    active: bool,
    actor_id: uuid.UUID | None,
    reason: str,
    now: datetime,
) -> User:
    """Disable or enable an account, with a reason, audited. ``actor_id`` None means the command line.

    Disabling revokes the user's refresh tokens. Their access tokens stop working at once in this
    process, and in any other once its cached standing of the user ages out
    (``TOSHAV_CALLER_CACHE_TTL_SECONDS``; see accounts.dependencies). Nobody can disable themselves.
    """
    clean_reason = _text(reason, "reason", 500)
    if clean_reason is None:
        raise Unprocessable(problem="reason")
    if not active and actor_id == user.id:
        raise CannotDisableSelf()
    if user.is_active == active:
        return user
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
        reason=clean_reason,
    )
    return user
