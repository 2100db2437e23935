"""What the card tells people about a resident, and who is told: the accounts that answer for a
resident, and the notices of a clerk's residency decision.

A resident with an account of their own is told themselves; a ward without one (a child, a foster
child) is answered for by their guardians' accounts. Other domains tell a resident through
``recipients`` too, so a ward's permit or cashback reaches the adults who manage it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from kernel import notices
from kernel.i18n import Text
from kernel.notices import Category, Notice
from resident_card.residents.models import ResidencyStatus, Resident
from resident_card.residents.repository import ResidentRepository

RESIDENCY_LINK = "/wallet#residency"


def recipients(session: Session, resident: Resident) -> list[uuid.UUID]:
    """The accounts that answer for this resident: their own, or, when they have none, each of
    their guardians' that has one (none at all for a registry record nobody has claimed)."""
    if resident.user_id is not None:
        return [resident.user_id]
    return list(dict.fromkeys(ResidentRepository(session).guardian_accounts(resident.id)))


def full_name(resident: Resident) -> str:
    return f"{resident.first_name} {resident.last_name}"


def status_changed(
    session: Session, resident: Resident, status: ResidencyStatus, reason: str
) -> None:
    """Tell the accounts that answer for the resident that a clerk verified their residency, or
    refused it (with the clerk's reason, as the clerk wrote it); other changes tell no one here."""
    name = full_name(resident)
    title: Text
    body: Text
    if status == ResidencyStatus.verified:
        title = {"he": "התושבות אומתה", "ar": "تم التحقق من الإقامة", "en": "Residency verified"}
        body = {
            "he": f"העירייה אימתה את התושבות של {name}. כרטיס התושב וההטבות שלו מחכים בארנק.",
            "ar": f"تحققت البلدية من إقامة {name}. بطاقة المقيم ومزاياها بانتظارك في المحفظة.",
            "en": f"The city verified the residency of {name}. "
            "The resident card and its benefits are waiting in the wallet.",
        }
    elif status == ResidencyStatus.rejected:
        title = {
            "he": "התושבות לא אומתה",
            "ar": "لم يتم التحقق من الإقامة",
            "en": "Residency not verified",
        }
        body = {
            "he": f"העירייה לא אימתה את התושבות של {name}. נימוק הפקיד: {reason}",
            "ar": f"لم تتحقق البلدية من إقامة {name}. سبب الموظف: {reason}",
            "en": f"The city did not verify the residency of {name}. The clerk's reason: {reason}",
        }
    else:
        return
    for account_id in recipients(session, resident):
        notices.post(
            session,
            Notice(
                account_id=account_id,
                category=Category.residency,
                title=title,
                body=body,
                link=RESIDENCY_LINK,
            ),
        )


def address_changed(session: Session, resident: Resident, street: Text, number: str) -> None:
    """Tell the accounts that answer for the resident that a clerk recorded their new address
    (a street's names and the house number, with its apartment)."""
    name = full_name(resident)
    title: Text = {"he": "הכתובת עודכנה", "ar": "تم تحديث العنوان", "en": "Address updated"}
    body: Text = {
        "he": f"העירייה רשמה כתובת חדשה עבור {name}: {street['he']} {number}.",
        "ar": f"سجّلت البلدية عنوانًا جديدًا لـ {name}: {street['ar']} {number}.",
        "en": f"The city recorded a new address for {name}: {number} {street['en']}.",
    }
    for account_id in recipients(session, resident):
        notices.post(
            session,
            Notice(
                account_id=account_id,
                category=Category.residency,
                title=title,
                body=body,
                link=RESIDENCY_LINK,
            ),
        )


def identity_claimed(session: Session, holder: Resident, *, claim_id: uuid.UUID) -> None:
    """Tell the accounts that answer for a resident that an enrolment gave their identifier:
    nothing of theirs was given to it, and a clerk decides. The enrolment's name is not told."""
    name = full_name(holder)
    title: Text = {
        "he": "בקשת הרשמה עם מספר הזהות שלך",
        "ar": "طلب تسجيل برقم هويتك",
        "en": "An enrolment gave your ID number",
    }
    body: Text = {
        "he": f"מישהו ביקש להירשם עם מספר הזהות של {name}. דבר מהרשומה לא נמסר לו: "
        "פקיד העירייה בודק כל בקשה כזו. אם לא את/ה ביקשת, פנו למוקד 106.",
        "ar": f"طلب شخص ما التسجيل برقم هوية {name}. لم يُعطَ شيئًا من السجل: "
        "يفحص موظف البلدية كل طلب كهذا. إن لم تكن أنت من طلب، اتصل بالمركز 106.",
        "en": f"Someone asked to enrol with the ID number of {name}. Nothing of the record was "
        "given to them: a city clerk checks every such request. If it was not you, call 106.",
    }
    for account_id in recipients(session, holder):
        notices.post(
            session,
            Notice(account_id=account_id, category=Category.security, title=title, body=body),
        )


def record_passed(
    session: Session, holder: Resident, *, to_account: uuid.UUID, from_account: uuid.UUID | None
) -> None:
    """Tell the account a clerk gave a resident's record to, and the account that held it before,
    if one did."""
    name = full_name(holder)
    given: Text = {
        "he": f"העירייה קישרה לחשבון שלך את הרשומה של {name}.",
        "ar": f"ربطت البلدية سجل {name} بحسابك.",
        "en": f"The city linked the record of {name} to your account.",
    }
    notices.post(
        session,
        Notice(
            account_id=to_account,
            category=Category.residency,
            title={"he": "הרשומה שלך קושרה", "ar": "تم ربط سجلك", "en": "Your record is linked"},
            body=given,
            link=RESIDENCY_LINK,
        ),
    )
    if from_account is None:
        return
    taken: Text = {
        "he": f"לאחר בדיקה, העירייה העבירה את הרשומה של {name} לחשבון אחר. "
        "אם זו טעות, פנו למוקד 106.",
        "ar": f"بعد الفحص، نقلت البلدية سجل {name} إلى حساب آخر. إن كان هذا خطأ، اتصل بالمركز 106.",
        "en": f"After a check, the city moved the record of {name} to another account. "
        "If this is a mistake, call 106.",
    }
    notices.post(
        session,
        Notice(
            account_id=from_account,
            category=Category.security,
            title={
                "he": "הרשומה הועברה לחשבון אחר",
                "ar": "نُقل السجل إلى حساب آخر",
                "en": "The record moved to another account",
            },
            body=taken,
        ),
    )
