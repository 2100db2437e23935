"""A business's staff, as its owner manages them: the owner is the account that applied and works
there; only the owner adds and removes staff logins.

A staff login has the ``merchant`` role while it belongs to the business, beside whatever else it
is (a resident keeps their wallet). Removed, it loses the role and the link at once, so its next
call at the till is refused whatever token it holds; a login that was only the business's also
loses its refresh tokens, so no new access token is issued to it. A new login is made with no
usable password: its holder chooses one with a one-time link the owner hands them.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cashback.exceptions import (
    AlreadyMerchantStaff,
    MerchantNotFound,
    NotAStaffLogin,
    NotBusinessOwner,
    OwnerStays,
    StaffLoginNotFound,
)
from cashback.models import Merchant, MerchantStaff
from cashback.repository.merchants import MerchantRepository
from cashback.service.merchants import check_approved
from kernel import notices
from kernel.i18n import Text, day_text
from kernel.notices import Category, Notice
from kernel.settings import Settings
from resident_card.accounts import service as accounts
from resident_card.accounts.models import PasswordReset, Role, User
from resident_card.accounts.repository import (
    PasswordResetRepository,
    RefreshTokenRepository,
    UserRepository,
)
from resident_card.accounts.tokens import new_link_token
from resident_card.audit import service as audit

# How long a new staff login's link to choose its password works (once).
INVITE_LIFETIME = timedelta(days=7)
INVITE_PAGE = "/reset-password"
# Logins that work for the city cannot also work at a business's till.
CITY_ROLES = frozenset({Role.admin, Role.auditor, Role.inspector})


@dataclass(frozen=True)
class StaffMember:
    link: MerchantStaff
    user: User
    owner: bool


@dataclass(frozen=True)
class AddedStaff:
    member: StaffMember
    invite_path: str | None
    invite_expires_at: datetime | None
    invite_emailed: bool


def owned_business(session: Session, merchant_id: uuid.UUID, user_id: uuid.UUID) -> Merchant:
    """The business, if this account is its owner. Another business is not found (404), as if it
    did not exist; the business's other staff are refused (403)."""
    repository = MerchantRepository(session)
    link = repository.staff_link(user_id)
    if link is None or link.merchant_id != merchant_id:
        raise MerchantNotFound()
    merchant = repository.get(merchant_id)
    if merchant is None:
        raise MerchantNotFound()
    if merchant.applied_by != user_id:
        raise NotBusinessOwner()
    return merchant


def members(session: Session, merchant: Merchant) -> list[StaffMember]:
    """The business's staff logins, oldest first, the owner among them."""
    return [
        StaffMember(link, user, user.id == merchant.applied_by)
        for link, user in MerchantRepository(session).staff_members(merchant.id)
    ]


def add(
    session: Session,
    settings: Settings,
    merchant: Merchant,
    *,
    username: str,
    display_name: str | None,
    new_login: bool,
    email: str | None = None,
    actor_id: uuid.UUID,
    now: datetime,
) -> AddedStaff:
    """The owner adds a staff login: an existing one by its username, or a new one with a
    one-time link to choose its password, emailed to ``email`` when given (then not shown)."""
    check_approved(merchant)
    invite: tuple[str, datetime] | None = None
    if new_login:
        user = accounts.create_user(
            session,
            settings,
            username=username,
            password=secrets.token_urlsafe(32),  # never told: the link sets the real one
            roles=[Role.merchant],
            display_name=display_name,
        )
        invite = _invite(session, user, now)
    else:
        found = UserRepository(session).by_username(accounts.normalise_username(username))
        if found is None or not found.is_active:
            raise StaffLoginNotFound()
        user = found
        if any(user.has_role(role) for role in CITY_ROLES):
            raise NotAStaffLogin()
    repository = MerchantRepository(session)
    if repository.staff_link(user.id) is not None or not repository.add_staff_if_absent(
        merchant.id, user.id
    ):
        raise AlreadyMerchantStaff()
    if not user.has_role(Role.merchant):
        user.roles = sorted({*user.roles, Role.merchant.value})
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.merchant.add_staff",
        subject_type="cashback_merchant",
        subject_id=merchant.id,
        after={"user_id": str(user.id), "new_login": new_login},
    )
    link = repository.staff_link(user.id)
    assert link is not None
    path = f"{INVITE_PAGE}#token={invite[0]}" if invite else None
    if invite and email:
        until = invite[1].astimezone(ZoneInfo(settings.city_time_zone))
        _email_invite(session, merchant, user, email, path or "", until)
    return AddedStaff(
        StaffMember(link, user, owner=False),
        None if email else path,
        invite[1] if invite else None,
        bool(invite and email),
    )


_INVITE_TITLE: Text = {
    "he": "הזמנה לעבוד בקופה של {business}",
    "ar": "دعوة للعمل في صندوق {business}",
    "en": "An invitation to work at {business}'s till",
}
_INVITE_BODY: Text = {
    "he": "נוצר עבורך חשבון בשם המשתמש {username}. בקישור בוחרים סיסמה; הוא עובד פעם אחת, עד {day}.",
    "ar": "أُنشئ لك حساب باسم المستخدم {username}. اختر كلمة المرور عبر الرابط؛ يعمل مرة واحدة، حتى {day}.",
    "en": "A login was made for you, username {username}. Choose its password with the link; it works once, until {day}.",
}


def _email_invite(
    session: Session, merchant: Merchant, user: User, email: str, link: str, until: datetime
) -> None:
    """The invitation by email, through the messages' outbox (sent if the request commits)."""
    day = day_text(until.date())
    notices.post(
        session,
        Notice(
            account_id=user.id,
            category=Category.security,
            title={
                "he": _INVITE_TITLE["he"].format(business=merchant.name),
                "ar": _INVITE_TITLE["ar"].format(business=merchant.name),
                "en": _INVITE_TITLE["en"].format(business=merchant.name),
            },
            body={
                "he": _INVITE_BODY["he"].format(username=user.username, day=day["he"]),
                "ar": _INVITE_BODY["ar"].format(username=user.username, day=day["ar"]),
                "en": _INVITE_BODY["en"].format(username=user.username, day=day["en"]),
            },
            link=link,
            email=email,
            email_only=True,
        ),
    )


def _invite(session: Session, user: User, now: datetime) -> tuple[str, datetime]:
    token, token_hash = new_link_token()
    expires_at = now + INVITE_LIFETIME
    PasswordResetRepository(session).add(
        PasswordReset(user_id=user.id, token_hash=token_hash, expires_at=expires_at, created_at=now)
    )
    return token, expires_at


def remove(
    session: Session,
    merchant: Merchant,
    user_id: uuid.UUID,
    *,
    actor_id: uuid.UUID,
    now: datetime,
) -> None:
    """The owner removes a staff login: its access to the business ends at once."""
    if user_id == merchant.applied_by:
        raise OwnerStays()
    repository = MerchantRepository(session)
    link = repository.staff_link(user_id)
    if link is None or link.merchant_id != merchant.id:
        raise StaffLoginNotFound()
    repository.remove_staff(link)
    user = UserRepository(session).get_for_update(user_id)
    if user is not None and user.has_role(Role.merchant):
        user.roles = sorted(set(user.roles) - {Role.merchant.value})
        if not user.roles:
            # A login that was only the business's: no more access tokens for it either.
            RefreshTokenRepository(session).revoke_user(user_id, now)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.merchant.remove_staff",
        subject_type="cashback_merchant",
        subject_id=merchant.id,
        before={"user_id": str(user_id)},
    )
