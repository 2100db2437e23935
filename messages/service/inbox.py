"""A person's inbox: their messages newest first, marking one read, and which categories they want
by email and SMS."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.i18n import Language, Text
from kernel.notices import CRITICAL, Category
from messages.exceptions import CategoryRequired, MessageNotFound, UnknownCategory
from messages.models import Message
from messages.repository import MessageRepository

# Each category as a person reads it, for the refusal that names one.
CATEGORY_NAMES: dict[Category, Text] = {
    Category.residency: {"he": "תושבות", "ar": "الإقامة", "en": "residency"},
    Category.permits: {"he": "תווי חניה", "ar": "تصاريح الوقوف", "en": "parking permits"},
    Category.revocations: {"he": "ביטולים", "ar": "الإلغاءات", "en": "revocations"},
    Category.free_time: {
        "he": "זמן חניה חינם",
        "ar": "وقت الوقوف المجاني",
        "en": "free parking time",
    },
    Category.cashback: {"he": "החזר כספי", "ar": "استرداد نقدي", "en": "cashback"},
    Category.appeals: {"he": "ערעורים", "ar": "الاعتراضات", "en": "appeals"},
    Category.business: {"he": "עסקים", "ar": "المصالح التجارية", "en": "business"},
    Category.security: {"he": "אבטחת החשבון", "ar": "أمان الحساب", "en": "account security"},
}


@dataclass(frozen=True)
class Inbox:
    """One page of a person's messages, and the counts of all of them."""

    messages: Sequence[Message]
    total: int
    unread: int


def inbox(session: Session, account_id: uuid.UUID, *, limit: int, offset: int) -> Inbox:
    repository = MessageRepository(session)
    total, unread = repository.counts(account_id)
    return Inbox(repository.inbox(account_id, limit=limit, offset=offset), total, unread)


def mark_read(
    session: Session, account_id: uuid.UUID, message_id: uuid.UUID, *, now: datetime
) -> Message:
    """Mark the account's message read (again: it keeps the first time). Another account's
    message is not found."""
    message = MessageRepository(session).in_inbox_of(account_id, message_id)
    if message is None:
        raise MessageNotFound()
    if message.read_at is None:
        message.read_at = now
        session.flush()
    return message


def preferences(session: Session, account_id: uuid.UUID) -> dict[str, bool]:
    """Every category, and whether the person wants it by email and SMS (yes unless turned off;
    the critical ones always)."""
    chosen = MessageRepository(session).preferences(account_id)
    return {
        category.value: category in CRITICAL or chosen.get(category.value, True)
        for category in Category
    }


def choose(
    session: Session, account_id: uuid.UUID, wanted: Mapping[str, bool], *, language: Language
) -> dict[str, bool]:
    """Turn the named categories on or off; the others stay as they were. Turning a critical one
    off, or naming a category there is not, changes nothing and is refused."""
    for name, enabled in wanted.items():
        try:
            category = Category(name)
        except ValueError:
            raise UnknownCategory(category=name[:40]) from None
        if category in CRITICAL and not enabled:
            raise CategoryRequired(category=CATEGORY_NAMES[category][language])
    repository = MessageRepository(session)
    for name, enabled in wanted.items():
        if Category(name) not in CRITICAL:
            repository.set_preference(account_id, name, enabled)
    return preferences(session, account_id)
