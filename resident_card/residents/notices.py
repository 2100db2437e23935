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
