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
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from kernel.answers import raises
from kernel.database import DbSession, in_own_session
from kernel.errors import Forbidden, InvalidToken, NotAuthenticated
from kernel.runtime import runtime_of
from resident_card.accounts.callers import GONE, Standing
from resident_card.accounts.models import Role, User
from resident_card.accounts.repository import UserRepository
from resident_card.accounts.runtime import Sessions
from resident_card.accounts.tokens import AccessTokenInvalid, AccessTokenKeys

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Caller:
    """The signed-in user making this request: who, and with which roles."""

    id: uuid.UUID
    roles: frozenset[Role]

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


def signed_in(request: Request) -> Sessions:
    """Who is signed in, as this process knows it (accounts' part of the runtime)."""
    return runtime_of(request).part(Sessions)


async def access_keys(request: Request) -> AccessTokenKeys:
    return signed_in(request).access_keys


def _standing_of(user_id: uuid.UUID, session: Session) -> Standing:
    user = UserRepository(session).get(user_id)
    if user is None:
        return GONE
    return Standing(user.is_active, frozenset(Role(role) for role in user.roles))


@raises(NotAuthenticated, InvalidToken)
async def current_caller(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Caller:
    if not token:
        raise NotAuthenticated()
    runtime = runtime_of(request)
    sessions = runtime.part(Sessions)
    try:
        claims = sessions.verified_tokens.claims(token)
    except AccessTokenInvalid as exc:
        raise InvalidToken() from exc
    user_id = uuid.UUID(claims["sub"])
    callers = sessions.known_callers
    now: datetime = runtime.clock.now()
    standing = callers.get(user_id, now)
    if standing is None:
        standing = await callers.read(
            user_id,
            now,
            partial(in_own_session, runtime.database.sessionmaker, partial(_standing_of, user_id)),
        )
    if not standing.active:
        raise InvalidToken()
    return Caller(id=user_id, roles=standing.roles)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def current_user(caller: CurrentCaller, session: DbSession) -> User:
    """The caller's account row, in the request's transaction, for the endpoints that read or
    change it (profile, password, language)."""
    user = UserRepository(session).get(caller.id)
    if user is None or not user.is_active:
        raise InvalidToken()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    """A dependency that lets through only callers holding one of these roles.

    It asks for the bearer token itself (one dependency, not one on top of ``current_caller``):
    every guarded request, an inspector's scans among them, solves one level fewer.
    """

    @raises(NotAuthenticated, InvalidToken, Forbidden)
    async def check(
        request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
    ) -> Caller:
        caller = await current_caller(request, token)
        if not caller.has(*roles):
            raise Forbidden()
        return caller

    return check


# Admins change things; auditors read what admins read and change nothing.
AdminCaller = Annotated[Caller, Depends(require_roles(Role.admin))]
StaffReader = Annotated[Caller, Depends(require_roles(Role.admin, Role.auditor))]
ResidentCaller = Annotated[Caller, Depends(require_roles(Role.resident))]
