"""Who is calling: the bearer token checked, the caller's standing known, the role required.

These dependencies are ``async`` and read only what the app holds in memory, so a request that
needs nothing else (an inspector's scanned pass) never waits for a thread or a database.

Two caches make that so, both per process:

- ``VerifiedTokens`` (accounts.tokens): a bearer token whose ES256 signature was checked once is
  not checked again until it expires; an expired token is refused, cached or not.
- ``KnownCallers``: whether a user is active, and their roles, kept for
  ``TOSHAV_CALLER_CACHE_TTL_SECONDS`` (default 5; 0 turns it off). A change made in this process
  (an admin disables a user, a user's roles change, through any code that sets ``User.is_active``
  or ``User.roles``) takes effect at once. **The trade-off:** a change made by another process
  (another API worker, the CLI) reaches this one when its entry ages out, so a user disabled
  elsewhere may keep acting here for at most that many seconds. Refresh tokens are checked against
  the database every time, so a disabled user gets no new access token at all.
  See docs/decisions/0003-caller-cache-ttl.md.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from resident_card.accounts.models import Role, User
from resident_card.accounts.repository import UserRepository
from resident_card.accounts.tokens import AccessTokenInvalid, AccessTokenKeys, VerifiedTokens
from resident_card.database import DbSession, in_own_session
from resident_card.errors import Forbidden, InvalidToken, NotAuthenticated

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Caller:
    """The signed-in user making this request: who, and with which roles."""

    id: uuid.UUID
    roles: frozenset[Role]

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class Standing:
    """What the access check needs of a user: may they act, and as what."""

    active: bool
    roles: frozenset[Role]


GONE = Standing(active=False, roles=frozenset())


class KnownCallers:
    """Users' standing (active, roles) by id, each kept ``ttl_seconds`` from when it was read.

    Any change to ``User.is_active`` or ``User.roles`` made in this process drops the user from
    every ``KnownCallers`` here (when set, and again when its transaction commits), and a reading
    that began before such a change is not kept. Changes made by another process are seen when the
    entry ages out. Entries age by the app's clock.
    """

    def __init__(self, ttl_seconds: int, *, max_size: int = 10_000) -> None:
        self.ttl = timedelta(seconds=ttl_seconds)
        self._max_size = max_size
        self._known: dict[uuid.UUID, tuple[datetime, Standing]] = {}
        self._changes: dict[uuid.UUID, int] = {}
        self._reading: dict[tuple[int, uuid.UUID], asyncio.Future[Standing]] = {}
        _LIVE.add(self)

    async def read(
        self, user_id: uuid.UUID, now: datetime, load: Callable[[], Awaitable[Standing]]
    ) -> Standing:
        """A user's standing, read with ``load`` and kept. Requests that come while a read of the
        same user is under way wait for that one instead of each reading again: an entry ageing
        out costs one thread and one connection, however many of the user's requests are in
        flight."""
        key = (id(asyncio.get_running_loop()), user_id)
        pending = self._reading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        mark = self.change_mark(user_id)
        reading = asyncio.ensure_future(load())
        self._reading[key] = reading
        try:
            standing = await asyncio.shield(reading)  # a caller gone away leaves the read to finish
        finally:
            if self._reading.get(key) is reading:
                del self._reading[key]
        self.keep(user_id, standing, read_at=now, mark=mark)
        return standing

    def get(self, user_id: uuid.UUID, now: datetime) -> Standing | None:
        found = self._known.get(user_id)
        if found is None:
            return None
        read_at, standing = found
        if not read_at <= now < read_at + self.ttl:
            self._known.pop(user_id, None)
            return None
        return standing

    def change_mark(self, user_id: uuid.UUID) -> int:
        """Take before reading a user's standing; ``keep`` needs it to know nothing changed since."""
        return self._changes.get(user_id, 0)

    def keep(self, user_id: uuid.UUID, standing: Standing, *, read_at: datetime, mark: int) -> None:
        if not self.ttl or self._changes.get(user_id, 0) != mark:
            return
        while len(self._known) >= self._max_size:
            try:
                self._known.pop(next(iter(self._known)), None)
            except (StopIteration, RuntimeError):  # emptied or changed meanwhile
                break
        self._known[user_id] = (read_at, standing)

    def forget(self, user_id: uuid.UUID) -> None:
        self._changes[user_id] = self._changes.get(user_id, 0) + 1
        self._known.pop(user_id, None)


_LIVE: weakref.WeakSet[KnownCallers] = weakref.WeakSet()
_CHANGED = "toshav_changed_users"


def forget_user(user_id: uuid.UUID) -> None:
    """Drop a user's standing from every cache in this process (done for you on any change)."""
    for callers in list(_LIVE):
        callers.forget(user_id)


@event.listens_for(User.is_active, "set")
@event.listens_for(User.roles, "set")
def _standing_changed(target: User, value: Any, old: Any, _initiator: Any) -> None:
    if target.id is None or value == old:
        return
    forget_user(target.id)
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_CHANGED, set()).add(target.id)


@event.listens_for(Session, "after_commit")
def _standing_committed(session: Session) -> None:
    # Again once committed: a reading taken between the change and its commit saw the old standing.
    for user_id in session.info.pop(_CHANGED, ()):
        forget_user(user_id)


@event.listens_for(Session, "after_soft_rollback")
def _standing_rolled_back(session: Session, _previous: Any) -> None:
    session.info.pop(_CHANGED, None)


async def access_keys(request: Request) -> AccessTokenKeys:
    keys: AccessTokenKeys = request.app.state.access_keys
    return keys


def _verified_tokens(state: Any) -> VerifiedTokens:
    tokens: VerifiedTokens | None = getattr(state, "verified_tokens", None)
    if tokens is None:
        tokens = VerifiedTokens(state.access_keys, state.settings)
        state.verified_tokens = tokens
    return tokens


def _known_callers(state: Any) -> KnownCallers:
    callers: KnownCallers | None = getattr(state, "known_callers", None)
    if callers is None:
        callers = KnownCallers(state.settings.caller_cache_ttl_seconds)
        state.known_callers = callers
    return callers


def _standing_of(user_id: uuid.UUID, session: Session) -> Standing:
    user = UserRepository(session).get(user_id)
    if user is None:
        return GONE
    return Standing(user.is_active, frozenset(Role(role) for role in user.roles))


async def current_caller(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Caller:
    if not token:
        raise NotAuthenticated()
    state = request.app.state
    try:
        claims = _verified_tokens(state).claims(token)
    except AccessTokenInvalid as exc:
        raise InvalidToken() from exc
    user_id = uuid.UUID(claims["sub"])
    callers = _known_callers(state)
    now: datetime = state.clock.now()
    standing = callers.get(user_id, now)
    if standing is None:
        standing = await callers.read(
            user_id,
            now,
            partial(in_own_session, state.sessionmaker, partial(_standing_of, user_id)),
        )
    if not standing.active:
        raise InvalidToken()
    return Caller(id=user_id, roles=standing.roles)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def caller_from_memory(state: Any, authorization: str | None) -> Caller | None:
    """The caller an ``Authorization`` header stands for, from what this process already holds (a
    token it verified, a standing read not long ago), or None: then ``current_caller`` reads the
    database, or refuses, as it always does. For a route that answers without a thread."""
    scheme, token = get_authorization_scheme_param(authorization)
    if not token or scheme.lower() != "bearer":
        return None
    try:
        claims = _verified_tokens(state).claims(token)
    except AccessTokenInvalid:
        return None
    user_id = uuid.UUID(claims["sub"])
    standing = _known_callers(state).get(user_id, state.clock.now())
    if standing is None or not standing.active:
        return None
    return Caller(id=user_id, roles=standing.roles)


def current_user(caller: CurrentCaller, session: DbSession) -> User:
    """The caller's account row, in the request's transaction, for the endpoints that read or
    change it (profile, password, language)."""
    user = UserRepository(session).get(caller.id)
    if user is None or not user.is_active:
        raise InvalidToken()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets through only callers holding one of these roles."""

    async def check(caller: CurrentCaller) -> Caller:
        if not caller.has(*roles):
            raise Forbidden()
        return caller

    return check


# Admins change things; auditors read what admins read and change nothing.
AdminCaller = Annotated[Caller, Depends(require_roles(Role.admin))]
StaffReader = Annotated[Caller, Depends(require_roles(Role.admin, Role.auditor))]
ResidentCaller = Annotated[Caller, Depends(require_roles(Role.resident))]
