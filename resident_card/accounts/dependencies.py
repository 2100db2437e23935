"""Who is calling: the bearer token checked, the user loaded, the role required."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from resident_card.accounts.models import Role, User
from resident_card.accounts.repository import UserRepository
from resident_card.accounts.tokens import AccessTokenInvalid, AccessTokenKeys, decode_access_token
from resident_card.database import DbSession
from resident_card.errors import Forbidden, InvalidToken, NotAuthenticated
from resident_card.settings import AppSettings

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Caller:
    """The signed-in user making this request."""

    user: User

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(role) for role in self.user.roles)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


def access_keys(request: Request) -> AccessTokenKeys:
    keys: AccessTokenKeys = request.app.state.access_keys
    return keys


def current_caller(
    session: DbSession,
    settings: AppSettings,
    keys: Annotated[AccessTokenKeys, Depends(access_keys)],
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Caller:
    if not token:
        raise NotAuthenticated()
    try:
        claims = decode_access_token(token, keys, settings)
    except AccessTokenInvalid as exc:
        raise InvalidToken() from exc
    user = UserRepository(session).get(uuid.UUID(claims["sub"]))
    if user is None or not user.is_active:
        raise InvalidToken()
    return Caller(user=user)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def require_roles(*roles: Role) -> Callable[[Caller], Caller]:
    """A dependency that lets through only callers holding one of these roles."""

    def check(caller: CurrentCaller) -> Caller:
        if not caller.has(*roles):
            raise Forbidden()
        return caller

    return check


# Admins change things; auditors read what admins read and change nothing.
AdminCaller = Annotated[Caller, Depends(require_roles(Role.admin))]
StaffReader = Annotated[Caller, Depends(require_roles(Role.admin, Role.auditor))]
ResidentCaller = Annotated[Caller, Depends(require_roles(Role.resident))]
