"""A forgotten password: a one-time link to the account's email, and the new password it sets.

Asking never says whether an account exists: the answer is the same, and the work nearly so (a few
look-ups; no password is hashed on either path). A link is a random token of which only the hash is
kept; it works once, for ``RESET_LIFETIME``, and only while it is its account's newest. An account
gets at most ``RESETS_PER_WINDOW`` links in ``RESET_WINDOW``, so the form cannot flood a mailbox.
Never commits: the request does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from kernel import notices
from kernel.i18n import Text
from kernel.notices import Category, Notice
from kernel.settings import Settings
from resident_card.accounts.exceptions import ResetTokenInvalid
from resident_card.accounts.models import PasswordReset, User
from resident_card.accounts.passwords import hash_password
from resident_card.accounts.repository import (
    LoginFailureRepository,
    PasswordResetRepository,
    RefreshTokenRepository,
    UserRepository,
)
from resident_card.accounts.service import check_password_rules, normalise_username
from resident_card.accounts.tokens import hash_link_token, new_link_token
from resident_card.audit import service as audit
from resident_card.residents.repository import ResidentRepository

RESET_LIFETIME = timedelta(minutes=30)
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_WINDOW = 3
# Accounts one address may reach: the same email can belong to a few residents (a family's).
ACCOUNTS_PER_EMAIL = 5
RESET_PAGE = "/reset-password"

_RESET_TITLE: Text = {
    "he": "איפוס הסיסמה שלך",
    "ar": "إعادة تعيين كلمة المرور",
    "en": "Reset your password",
}
_RESET_BODY: Text = {
    "he": "ביקשתם לאפס את הסיסמה של החשבון {username}. הקישור תקף ל-30 דקות ולשימוש אחד. "
    "אם לא ביקשתם זאת, אפשר להתעלם מהודעה זו: הסיסמה לא תשתנה.",
    "ar": "طلبتم إعادة تعيين كلمة مرور الحساب {username}. الرابط صالح لمدة 30 دقيقة ولمرة واحدة. "
    "إذا لم تطلبوا ذلك فتجاهلوا هذه الرسالة: لن تتغير كلمة المرور.",
    "en": "You asked to reset the password of the account {username}. The link works for "
    "30 minutes, once. If you did not ask, ignore this message: your password stays as it is.",
}
_CHANGED_TITLE: Text = {
    "he": "הסיסמה שלך שונתה",
    "ar": "تم تغيير كلمة المرور",
    "en": "Your password was changed",
}
_CHANGED_BODY: Text = {
    "he": "הסיסמה של החשבון {username} שונתה דרך קישור לאיפוס, וכל המכשירים נותקו. "
    "אם לא אתם עשיתם זאת, פנו מיד למוקד 106.",
    "ar": "تم تغيير كلمة مرور الحساب {username} عبر رابط إعادة التعيين، وتم تسجيل الخروج من كل الأجهزة. "
    "إذا لم تقوموا بذلك فاتصلوا فورًا بالمركز 106.",
    "en": "The password of the account {username} was changed through a reset link, and every "
    "device was signed out. If this was not you, call the city's 106 service centre now.",
}


def _filled(text: Text, **params: str) -> Text:
    return {
        "he": text["he"].format(**params),
        "ar": text["ar"].format(**params),
        "en": text["en"].format(**params),
    }


def _accounts_to_reset(
    session: Session, *, username: str | None, email: str | None
) -> Sequence[tuple[User, str]]:
    """The accounts a request names, each with the address its link goes to."""
    residents = ResidentRepository(session)
    found: list[tuple[User, str]] = []
    if username is not None:
        user = UserRepository(session).by_username(normalise_username(username))
        resident = residents.by_user(user.id) if user is not None else None
        if user is not None and resident is not None and resident.email:
            found.append((user, resident.email))
    elif email is not None:
        for resident in residents.with_account_by_email(email, limit=ACCOUNTS_PER_EMAIL):
            user = UserRepository(session).get(resident.user_id) if resident.user_id else None
            if user is not None and resident.email:
                found.append((user, resident.email))
    return [(user, address) for user, address in found if user.is_active]


def request_reset(
    session: Session, *, username: str | None, email: str | None, now: datetime
) -> None:
    """Send a reset link to each active account the username or email names that has an address.

    Says nothing either way. An account over its limit gets no new link (and its latest still
    works); otherwise the new link supersedes the older ones.
    """
    for user, address in _accounts_to_reset(session, username=username, email=email):
        # Locked, so two requests at once are counted one after the other.
        UserRepository(session).get_for_update(user.id)
        resets = PasswordResetRepository(session)
        if resets.count_after(user.id, now - RESET_WINDOW) >= RESETS_PER_WINDOW:
            continue
        resets.supersede_open(user.id, now)
        token, token_hash = new_link_token()
        resets.add(
            PasswordReset(
                user_id=user.id,
                token_hash=token_hash,
                expires_at=now + RESET_LIFETIME,
                created_at=now,
            )
        )
        notices.post(
            session,
            Notice(
                account_id=user.id,
                category=Category.security,
                title=_RESET_TITLE,
                body=_filled(_RESET_BODY, username=user.username),
                link=f"{RESET_PAGE}#token={token}",
                email=address,
                email_only=True,
            ),
        )


def confirm_reset(
    session: Session, settings: Settings, *, token: str, new_password: str, now: datetime
) -> User:
    """Set a new password with a reset link's token; every refresh token of the account stops working.

    A token that is unknown, used, superseded or expired, or whose account is disabled, changes
    nothing; nor does a password the rules refuse (and the link still works).
    """
    reset = PasswordResetRepository(session).by_hash_for_update(hash_link_token(token))
    if (
        reset is None
        or reset.used_at is not None
        or reset.superseded_at is not None
        or reset.expires_at <= now
    ):
        raise ResetTokenInvalid()
    user = UserRepository(session).get(reset.user_id)
    if user is None or not user.is_active:
        raise ResetTokenInvalid()
    check_password_rules(new_password, settings)
    user.password_hash = hash_password(new_password)
    reset.used_at = now
    RefreshTokenRepository(session).revoke_user(user.id, now)
    LoginFailureRepository(session).forget(user.username)
    audit.record(
        session,
        actor_id=user.id,
        action="user.password_reset",
        subject_type="user",
        subject_id=user.id,
    )
    notices.post(
        session,
        Notice(
            account_id=user.id,
            category=Category.security,
            title=_CHANGED_TITLE,
            body=_filled(_CHANGED_BODY, username=user.username),
            link="/signin",
        ),
    )
    return user
