"""A resident's own contact details: a phone changes at once; a new email address is the
resident's only once the one-time link sent to it is used.

The link is a random token of which only the hash is kept; it works once, for
``EMAIL_CHANGE_LIFETIME``, for the resident who asked, and only while it is their newest request.
The address the city has now is told a change was asked for, so a stolen session cannot move the
account's email quietly. Never commits: the request does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from kernel import notices
from kernel.i18n import Text
from kernel.notices import Category, Notice
from resident_card.accounts.tokens import hash_link_token, new_link_token
from resident_card.audit import service as audit
from resident_card.residents.exceptions import (
    ContactRequired,
    EmailTokenInvalid,
    TooManyEmailChanges,
)
from resident_card.residents.models import EmailChange, Resident
from resident_card.residents.repository import EmailChangeRepository, ResidentRepository

EMAIL_CHANGE_LIFETIME = timedelta(hours=24)
EMAIL_CHANGE_WINDOW = timedelta(hours=1)
EMAIL_CHANGES_PER_WINDOW = 3
CONFIRM_PAGE = "/confirm-email"

_CONFIRM_TITLE: Text = {
    "he": "אישור כתובת הדוא״ל החדשה",
    "ar": "تأكيد عنوان البريد الإلكتروني الجديد",
    "en": "Confirm your new email address",
}
_CONFIRM_BODY: Text = {
    "he": "ביקשתם שהעירייה תכתוב לכם לכתובת זו. פתחו את הקישור, כשאתם מחוברים לארנק, "
    "כדי לאשר אותה. הקישור תקף ל-24 שעות ולשימוש אחד.",
    "ar": "طلبتم أن تراسلكم البلدية على هذا العنوان. افتحوا الرابط وأنتم مسجّلون في المحفظة "
    "لتأكيده. الرابط صالح لمدة 24 ساعة ولمرة واحدة.",
    "en": "You asked the city to write to you at this address. Open the link while signed in "
    "to your wallet to confirm it. The link works for 24 hours, once.",
}
_ASKED_TITLE: Text = {
    "he": "התבקש שינוי של כתובת הדוא״ל",
    "ar": "طُلب تغيير عنوان البريد الإلكتروني",
    "en": "A change of your email address was asked for",
}
_ASKED_BODY: Text = {
    "he": "מישהו שמחובר לחשבון שלכם ביקש לשנות את כתובת הדוא״ל שלו. הכתובת תשתנה רק "
    "אחרי אישור בקישור שנשלח לכתובת החדשה. אם לא אתם ביקשתם, שנו את הסיסמה ופנו למוקד 106.",
    "ar": "طلب شخص مسجّل في حسابكم تغيير بريده الإلكتروني. لن يتغير العنوان إلا بعد التأكيد "
    "بالرابط المرسل إلى العنوان الجديد. إذا لم تطلبوا ذلك فغيّروا كلمة المرور واتصلوا بالمركز 106.",
    "en": "Someone signed in to your account asked to change its email address. It changes only "
    "once the link sent to the new address is used. If this was not you, change your password "
    "and call the city's 106 service centre.",
}
_CHANGED_TITLE: Text = {
    "he": "כתובת הדוא״ל שלכם עודכנה",
    "ar": "تم تحديث بريدكم الإلكتروني",
    "en": "Your email address was changed",
}
_CHANGED_BODY: Text = {
    "he": "מעכשיו העירייה תכתוב לכם לכתובת החדשה שאישרתם.",
    "ar": "من الآن ستراسلكم البلدية على العنوان الجديد الذي أكّدتموه.",
    "en": "From now on the city writes to you at the new address you confirmed.",
}


@dataclass(frozen=True)
class Contact:
    email: str | None
    phone: str | None
    pending_email: str | None
    pending_email_expires_at: datetime | None


@dataclass(frozen=True)
class ContactChange:
    """What the resident asked to change; a field not given is left as it is."""

    email: str | None = None
    phone: str | None = None
    phone_given: bool = False  # a phone of None clears it


def contact_of(session: Session, resident: Resident, now: datetime) -> Contact:
    """The resident's email and phone, and the new email waiting for its link, if any."""
    pending = EmailChangeRepository(session).pending(resident.id, now)
    return Contact(
        email=resident.email,
        phone=resident.phone,
        pending_email=pending.new_email if pending is not None else None,
        pending_email_expires_at=pending.expires_at if pending is not None else None,
    )


def change_contact(
    session: Session, resident: Resident, change: ContactChange, now: datetime
) -> Contact:
    """Change a resident's phone at once, and ask to confirm a new email by a one-time link.

    The resident keeps a way to be reached: a phone is cleared only while an email remains. The
    email they have already, given again, withdraws a pending change. Every check runs before
    anything is written.
    """
    locked = ResidentRepository(session).get_for_update(resident.id) or resident
    changes = EmailChangeRepository(session)
    new_email = change.email
    withdraw = new_email is not None and new_email.lower() == (locked.email or "").lower()
    if withdraw:
        new_email = None
    if change.phone_given and change.phone is None and not locked.email:
        raise ContactRequired()
    if new_email is not None and (
        changes.count_after(locked.id, now - EMAIL_CHANGE_WINDOW) >= EMAIL_CHANGES_PER_WINDOW
    ):
        raise TooManyEmailChanges()
    if withdraw:
        changes.supersede_open(locked.id, now)
    if change.phone_given and change.phone != locked.phone:
        locked.phone = change.phone
        audit.record(
            session,
            actor_id=locked.user_id,
            action="resident.phone_change",
            subject_type="resident",
            subject_id=locked.id,
        )
    if new_email is not None:
        _ask_to_confirm(session, locked, new_email, now)
    session.flush()
    return contact_of(session, locked, now)


def _ask_to_confirm(session: Session, resident: Resident, new_email: str, now: datetime) -> None:
    changes = EmailChangeRepository(session)
    changes.supersede_open(resident.id, now)
    token, token_hash = new_link_token()
    changes.add(
        EmailChange(
            resident_id=resident.id,
            new_email=new_email,
            token_hash=token_hash,
            expires_at=now + EMAIL_CHANGE_LIFETIME,
            created_at=now,
        )
    )
    audit.record(
        session,
        actor_id=resident.user_id,
        action="resident.email_change_asked",
        subject_type="resident",
        subject_id=resident.id,
    )
    if resident.user_id is None:
        return
    notices.post(
        session,
        Notice(
            account_id=resident.user_id,
            category=Category.security,
            title=_CONFIRM_TITLE,
            body=_CONFIRM_BODY,
            link=f"{CONFIRM_PAGE}#token={token}",
            email=new_email,
            email_only=True,
        ),
    )
    # To the inbox and to the address the city has now, named: the account's own may have
    # changed by the time the message is delivered.
    notices.post(
        session,
        Notice(
            account_id=resident.user_id,
            category=Category.security,
            title=_ASKED_TITLE,
            body=_ASKED_BODY,
            link="/wallet#contact",
            email=resident.email,
        ),
    )


def confirm_email(session: Session, resident: Resident, token: str, now: datetime) -> Contact:
    """Make the new email the resident's with the token of its link.

    A token that is unknown, another resident's, used, superseded or expired changes nothing.
    """
    change = EmailChangeRepository(session).by_hash_for_update(hash_link_token(token))
    if (
        change is None
        or change.resident_id != resident.id
        or change.confirmed_at is not None
        or change.superseded_at is not None
        or change.expires_at <= now
    ):
        raise EmailTokenInvalid()
    locked = ResidentRepository(session).get_for_update(resident.id) or resident
    locked.email = change.new_email
    change.confirmed_at = now
    audit.record(
        session,
        actor_id=locked.user_id,
        action="resident.email_change",
        subject_type="resident",
        subject_id=locked.id,
    )
    if locked.user_id is not None:
        notices.post(
            session,
            Notice(
                account_id=locked.user_id,
                category=Category.security,
                title=_CHANGED_TITLE,
                body=_CHANGED_BODY,
                link="/wallet#contact",
            ),
        )
    session.flush()
    return contact_of(session, locked, now)
