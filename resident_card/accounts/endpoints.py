"""Signing in and out, refreshing tokens, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response, status

from resident_card.accounts import service
from resident_card.accounts.dependencies import CurrentCaller, access_keys
from resident_card.accounts.exceptions import (
    InvalidCredentials,
    InvalidRefreshToken,
    TooManyAttempts,
)
from resident_card.accounts.passwords import MAX_PASSWORD_BYTES
from resident_card.accounts.schemas import Me, RefreshRequest, TokenPair
from resident_card.accounts.tokens import AccessTokenKeys
from resident_card.clock import Now
from resident_card.database import DbSession
from resident_card.errors import InvalidToken, NotAuthenticated, Unprocessable, responses
from resident_card.settings import AppSettings

router = APIRouter(tags=["accounts"])
Keys = Annotated[AccessTokenKeys, Depends(access_keys)]


def _pair(issued: service.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


@router.post(
    "/auth/token",
    response_model=TokenPair,
    responses=responses(InvalidCredentials, TooManyAttempts, Unprocessable),
)
def sign_in(
    session: DbSession,
    settings: AppSettings,
    keys: Keys,
    now: Now,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form()],
) -> TokenPair:
    """Sign in with a username and password (OAuth2 password form); get an access and a refresh token."""
    if not username.strip():
        raise Unprocessable(problem="username")
    if not password or len(password.encode()) > MAX_PASSWORD_BYTES:
        raise Unprocessable(problem="password (1 to 1024 bytes)")
    try:
        user = service.authenticate(
            session, settings, username=username, password=password, now=now
        )
    except InvalidCredentials:
        # The failure must outlive this request's rollback, or the lockout would never count it.
        session.rollback()
        service.record_failure(session, username, now)
        session.commit()
        raise
    return _pair(service.issue_tokens(session, settings, keys, user=user, now=now))


@router.post(
    "/auth/refresh",
    response_model=TokenPair,
    responses=responses(InvalidRefreshToken, Unprocessable),
)
def refresh(
    body: RefreshRequest, session: DbSession, settings: AppSettings, keys: Keys, now: Now
) -> TokenPair:
    """Trade a refresh token for a new pair; the old one stops working."""
    try:
        issued = service.refresh_tokens(
            session, settings, keys, refresh_token=body.refresh_token, now=now
        )
    except service.RefreshReuse as exc:
        # A stolen token came back: keep the family revoked even though we answer 401.
        session.commit()
        raise InvalidRefreshToken() from exc
    return _pair(issued)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshRequest, session: DbSession, now: Now) -> Response:
    """Sign out: the refresh token and every token rotated from it stop working."""
    service.logout(session, refresh_token=body.refresh_token, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, responses=responses(NotAuthenticated, InvalidToken))
def me(caller: CurrentCaller) -> Me:
    """Who the signed-in user is, and their roles."""
    user = caller.user
    return Me(
        id=user.id,
        username=user.username,
        roles=sorted(caller.roles),
        display_name=user.display_name,
        preferred_language=user.preferred_language,
    )
