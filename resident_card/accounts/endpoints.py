"""Signing in and out, refreshing tokens, a forgotten password, who am I, and staff accounts for
the city's clerks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import (
    Forbidden,
    InvalidToken,
    NotAuthenticated,
    Unprocessable,
    responses,
)
from kernel.kit.idempotency import CheckedIdempotencyKey
from kernel.kit.pagination import PaginationQuery
from kernel.limits.gate import TooManyRequests, client_digest, forget, spend
from kernel.settings import AppSettings
from resident_card.accounts import cookies, known_device, recovery, service
from resident_card.accounts.dependencies import (
    AdminCaller,
    CurrentUser,
    StaffReader,
    access_keys,
)
from resident_card.accounts.exceptions import (
    CannotDisableSelf,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidUsername,
    ResetTokenInvalid,
    ResidentNeedsEnrolment,
    TooManyAttempts,
    UsernameTaken,
    UserNotFound,
    WeakPassword,
)
from resident_card.accounts.models import Role, User
from resident_card.accounts.schemas import (
    Me,
    MeUpdate,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    SessionAccess,
    SignedIn,
    SignInForm,
    StatusChange,
    TokenPair,
    UserCreate,
    UserOut,
    UserPage,
)
from resident_card.accounts.tokens import AccessTokenKeys

router = APIRouter(tags=["accounts"])
Keys = Annotated[AccessTokenKeys, Depends(access_keys)]
SIGNED_IN = (NotAuthenticated, InvalidToken)
STAFF = (*SIGNED_IN, Forbidden)


def _pair(issued: service.IssuedTokens, response: Response) -> TokenPair:
    # RFC 6749 §5.1: token answers are never cached.
    response.headers["Cache-Control"] = "no-store"
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


def _me(user: User) -> Me:
    return Me.model_validate(user, from_attributes=True)


def _user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


@dataclass(frozen=True)
class _SignIn:
    issued: service.IssuedTokens
    known_device: str


def _signed_in(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    keys: AccessTokenKeys,
    form: SignInForm,
    now: Now,
) -> _SignIn:
    username = service.normalise_username(form.username)
    proof = form.known_device or cookies.known_device_of(request)
    # JSON and browser sign-ins spend from one count, by address and by username; a device that
    # proves it signed in as this username before is not counted by, nor held by, the username's.
    known = known_device.proves(settings, proof, username, now)
    spend(request, "sign_in", account=None if known else username)
    client = client_digest(request)
    try:
        user = service.authenticate(
            session,
            settings,
            username=form.username,
            password=form.password,
            client=client,
            now=now,
        )
    except InvalidCredentials as exc:
        # Counted even though the request fails, or the slowdown never sees it: committed in the
        # transaction of the check (which only read), so the username's lock is released only
        # once the failure counts, and parallel guesses cannot slip past the limit.
        service.record_failure(session, settings, form.username, client, now)
        raise exc.keeping_work() from None
    return _SignIn(
        issued=service.issue_tokens(session, settings, keys, user=user, now=now),
        known_device=known_device.proof_for(settings, user.username, now),
    )


@router.post(
    "/auth/token",
    response_model=SignedIn,
    responses=responses(InvalidCredentials, TooManyAttempts, TooManyRequests, Unprocessable),
)
def sign_in(
    form: Annotated[SignInForm, Form()],
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    keys: Keys,
    now: Now,
) -> SignedIn:
    """Sign in with a username and password (OAuth2 password form); get an access and a refresh token."""
    signed_in = _signed_in(request, session, settings, keys, form, now)
    pair = _pair(signed_in.issued, response)
    return SignedIn(**pair.model_dump(), known_device=signed_in.known_device)


def _session_access(
    issued: service.IssuedTokens, request: Request, response: Response, settings: AppSettings
) -> SessionAccess:
    response.headers["Cache-Control"] = "no-store"
    cookies.keep_refresh_token(response, request, settings, issued.refresh_token)
    return SessionAccess(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/auth/session",
    response_model=SessionAccess,
    responses=responses(
        cookies.CrossSiteRefused,
        InvalidCredentials,
        TooManyAttempts,
        TooManyRequests,
        Unprocessable,
    ),
)
def sign_in_browser(
    form: Annotated[SignInForm, Form()],
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    keys: Keys,
    now: Now,
) -> SessionAccess:
    """Sign in from the service's pages: the refresh token goes into an HttpOnly cookie.

    Needs the header ``X-Toshav-CSRF: 1``, as do the session's refresh and logout.
    """
    cookies.check_same_site(request)
    signed_in = _signed_in(request, session, settings, keys, form, now)
    lifetime = int(known_device.LIFETIME.total_seconds())
    cookies.keep_known_device(response, request, signed_in.known_device, lifetime)
    return _session_access(signed_in.issued, request, response, settings)


@router.post(
    "/auth/session/refresh",
    response_model=SessionAccess,
    responses=responses(cookies.CrossSiteRefused, InvalidRefreshToken, Unprocessable),
)
def refresh_browser(
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    keys: Keys,
    now: Now,
    retry_key: CheckedIdempotencyKey = None,
) -> SessionAccess:
    """Trade the session cookie for a new access token and a new cookie, as /auth/refresh does."""
    cookies.check_same_site(request)
    token = cookies.refresh_token_of(request)
    if token is None:
        raise InvalidRefreshToken()
    try:
        issued = service.refresh_tokens(
            session, settings, keys, refresh_token=token, now=now, retry_key=retry_key
        )
    except service.RefreshReuse as exc:
        raise InvalidRefreshToken().keeping_work() from exc
    return _session_access(issued, request, response, settings)


@router.post(
    "/auth/session/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(cookies.CrossSiteRefused),
)
def logout_browser(request: Request, session: DbSession, now: Now) -> Response:
    """Sign the browser out: its refresh token's family stops working and its cookies are cleared."""
    cookies.check_same_site(request)
    token = cookies.refresh_token_of(request)
    if token is not None:
        service.logout(session, refresh_token=token, now=now)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    cookies.forget_refresh_token(response, request)
    return response


@router.post(
    "/auth/refresh",
    response_model=TokenPair,
    responses=responses(InvalidRefreshToken, Unprocessable),
)
def refresh(
    body: RefreshRequest,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    keys: Keys,
    now: Now,
    retry_key: CheckedIdempotencyKey = None,
) -> TokenPair:
    """Trade a refresh token for a new pair; the old one stops working.

    Send an Idempotency-Key, and send it again with the same token if the answer never came: for
    a few minutes, while the pair that answer held is unused, you get a new pair. A used refresh
    token sent again without its key is taken for a stolen one, and signs its device out.
    """
    try:
        issued = service.refresh_tokens(
            session, settings, keys, refresh_token=body.refresh_token, now=now, retry_key=retry_key
        )
    except service.RefreshReuse as exc:
        # A stolen token came back: the family stays revoked though the answer is 401.
        raise InvalidRefreshToken().keeping_work() from exc
    return _pair(issued, response)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unprocessable),
)
def logout(body: RefreshRequest, session: DbSession, now: Now) -> Response:
    """Sign out: the refresh token and every token rotated from it stop working."""
    service.logout(session, refresh_token=body.refresh_token, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses=responses(TooManyRequests, Unprocessable),
)
def request_password_reset(
    body: PasswordResetRequest, request: Request, session: DbSession, now: Now
) -> Response:
    """Forgot your password: give your username or email; if an account matches, a link is emailed."""
    named = body.username if body.username is not None else body.email
    spend(request, "password_reset", account=named.strip().lower() if named else None)
    recovery.request_reset(session, username=body.username, email=body.email, now=now)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/auth/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ResetTokenInvalid, WeakPassword, Unprocessable),
)
def confirm_password_reset(
    body: PasswordResetConfirm,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Response:
    """Set a new password with the emailed link's token; every device must sign in again."""
    user = recovery.confirm_reset(
        session, settings, token=body.token, new_password=body.new_password, now=now
    )
    # The owner gets in at once, whoever filled the username's sign-in count.
    forget(request, "sign_in", session, account=user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, responses=responses(*SIGNED_IN))
def me(user: CurrentUser) -> Me:
    """Who the signed-in user is, and their roles."""
    return _me(user)


@router.patch("/me", response_model=Me, responses=responses(*SIGNED_IN, Unprocessable))
def update_me(update: MeUpdate, user: CurrentUser) -> Me:
    """Change your preferred language (he, ar, en) or the name you go by."""
    return _me(service.update_profile(user, update))


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*SIGNED_IN, InvalidCredentials, TooManyAttempts, WeakPassword),
)
def change_password(
    body: PasswordChange,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Response:
    """Change your password; every device signed in with the old one must sign in again."""
    username = user.username
    client = client_digest(request)
    try:
        service.change_password(
            session,
            settings,
            user=user,
            current_password=body.current_password,
            new_password=body.new_password,
            client=client,
            now=now,
        )
    except InvalidCredentials as exc:
        service.record_failure(session, settings, username, client, now)  # as at sign-in
        raise exc.keeping_work() from None
    forget(request, "sign_in", session, account=username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/admin/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    tags=["users"],
    responses=responses(
        *STAFF, UsernameTaken, InvalidUsername, WeakPassword, ResidentNeedsEnrolment
    ),
)
def create_user(
    body: UserCreate, caller: AdminCaller, session: DbSession, settings: AppSettings
) -> UserOut:
    """Open a staff account (inspector, merchant, admin, auditor); residents get theirs by enrolling."""
    user = service.create_staff_user(
        session,
        settings,
        username=body.username,
        password=body.password,
        roles=body.roles,
        display_name=body.display_name,
        actor_id=caller.id,
    )
    return _user_out(user)


@router.get("/admin/users", response_model=UserPage, tags=["users"], responses=responses(*STAFF))
def list_users(
    caller: StaffReader,
    session: DbSession,
    pagination: PaginationQuery,
    role: Role | None = None,
) -> UserPage:
    """List user accounts by username, optionally those holding one role."""
    users, total = service.list_users(
        session, role=role, limit=pagination.limit, offset=pagination.offset
    )
    return UserPage.of([_user_out(user) for user in users], total=total, pagination=pagination)


@router.get(
    "/admin/users/{user_id}",
    response_model=UserOut,
    tags=["users"],
    responses=responses(*STAFF, UserNotFound),
)
def get_user(user_id: uuid.UUID, caller: StaffReader, session: DbSession) -> UserOut:
    """One user account."""
    return _user_out(service.get_user(session, user_id))


@router.post(
    "/admin/users/{user_id}/disable",
    response_model=UserOut,
    tags=["users"],
    responses=responses(*STAFF, UserNotFound, CannotDisableSelf, Unprocessable),
)
def disable_user(
    user_id: uuid.UUID, body: StatusChange, caller: AdminCaller, session: DbSession, now: Now
) -> UserOut:
    """Disable an account, saying why: it cannot sign in, and its tokens stop working at once."""
    user = service.get_user(session, user_id)
    service.set_active(
        session, user=user, active=False, actor_id=caller.id, reason=body.reason, now=now
    )
    return _user_out(user)


@router.post(
    "/admin/users/{user_id}/enable",
    response_model=UserOut,
    tags=["users"],
    responses=responses(*STAFF, UserNotFound, Unprocessable),
)
def enable_user(
    user_id: uuid.UUID, body: StatusChange, caller: AdminCaller, session: DbSession, now: Now
) -> UserOut:
    """Enable a disabled account again, saying why."""
    user = service.get_user(session, user_id)
    service.set_active(
        session, user=user, active=True, actor_id=caller.id, reason=body.reason, now=now
    )
    return _user_out(user)
