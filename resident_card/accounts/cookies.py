"""The browser's session: its refresh token in a cookie no script can read.

The pages keep the access token in memory only; the refresh token lives in ``toshav_refresh``,
``HttpOnly`` (no script, so no injected script, can read it), ``SameSite=Strict``, ``Secure`` when
the request came over HTTPS (as uvicorn's proxy headers report it), with ``Path`` set to the
session's routes, so the browser sends it to ``/auth/session/refresh`` and ``/auth/session/logout``
and to nothing else. Its twin ``toshav_signed_in`` holds no secret (``1``) and is readable, so a
page knows whether there is a session to resume without sending a refresh that must fail.

The rule against cross-site requests (docs/decisions/0011-browser-session-cookie.md): a request
that the cookie authorises (sign-in that sets it, refresh, logout) must carry the header
``X-Toshav-CSRF: 1``, which a cross-site form cannot send and a cross-site script can send only
after a CORS preflight this service never grants; and when the browser says where the request
came from (``Sec-Fetch-Site``), it must say ``same-origin``. ``SameSite=Strict`` already keeps the
cookie off cross-site requests; the check holds where a browser ignores SameSite.
"""

from __future__ import annotations

from typing import ClassVar

from fastapi import Request, Response

from kernel.errors import Forbidden
from kernel.i18n import Text
from kernel.settings import Settings

REFRESH_COOKIE = "toshav_refresh"
SIGNED_IN_COOKIE = "toshav_signed_in"
# The proof that this browser signed in before (accounts.known_device), sent to the session's
# routes, sign-in included, and to nothing else; kept across sign-outs.
KNOWN_DEVICE_COOKIE = "toshav_known_device"
SESSION_PATH = "/api/v1/auth/session"
# The trailing slash keeps the cookie off the sign-in route itself (RFC 6265 §5.1.4).
REFRESH_COOKIE_PATH = f"{SESSION_PATH}/"
CSRF_HEADER = "X-Toshav-CSRF"


class CrossSiteRefused(Forbidden):
    code = "cross_site_refused"
    message: ClassVar[Text] = {
        "he": "הבקשה נדחתה: היא לא נשלחה מדפי השירות עצמם.",
        "ar": "رُفض الطلب: لم يُرسل من صفحات الخدمة نفسها.",
        "en": "The request was refused: it was not sent from the service's own pages.",
    }


def check_same_site(request: Request) -> None:
    """Refuse a request the cookie would authorise unless it came from our own pages."""
    if request.headers.get(CSRF_HEADER) != "1":
        raise CrossSiteRefused()
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise CrossSiteRefused()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def keep_refresh_token(
    response: Response, request: Request, settings: Settings, refresh_token: str
) -> None:
    """Set the cookies of a session that lasts as long as its refresh token."""
    secure = _secure(request)
    age = settings.refresh_token_ttl_seconds
    response.set_cookie(
        REFRESH_COOKIE,
        refresh_token,
        max_age=age,
        path=REFRESH_COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        SIGNED_IN_COOKIE,
        "1",
        max_age=age,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )


def keep_known_device(response: Response, request: Request, proof: str, max_age: int) -> None:
    """Set the cookie that proves this browser signed in before (see accounts.known_device)."""
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        proof,
        max_age=max_age,
        path=SESSION_PATH,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )


def known_device_of(request: Request) -> str | None:
    """The known-device proof the browser sent, if any (checked by accounts.known_device)."""
    proof = request.cookies.get(KNOWN_DEVICE_COOKIE)
    return proof if proof and len(proof) <= 200 else None


def forget_refresh_token(response: Response, request: Request) -> None:
    """Clear both cookies (the browser drops a cookie set again with no age)."""
    secure = _secure(request)
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, secure=secure, httponly=True, samesite="strict"
    )
    response.delete_cookie(SIGNED_IN_COOKIE, path="/", secure=secure, samesite="strict")


def refresh_token_of(request: Request) -> str | None:
    """The refresh token the browser sent, if it looks like one of ours."""
    token = request.cookies.get(REFRESH_COOKIE)
    if not token or len(token) > 512 or not token.isascii():
        return None
    if not all(char.isalnum() or char in "-_" for char in token):
        return None
    return token
