"""A person's inbox: their messages and the city's notices for where they live, newest first,
marking one read, and which categories they want by email and SMS."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from kernel.i18n import Language, Text
from kernel.notices import CRITICAL, Category
from messages.bulletins import service as bulletins
from messages.bulletins.models import Bulletin
from messages.bulletins.repository import BULLETIN, MESSAGE, BulletinRepository
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
class Item:
    """One thing in the inbox: a message to the person, or a notice of the city for the
    neighbourhood they live in (category ``notice``), read or not by them."""

    id: uuid.UUID
    category: str
    title: Text
    body: Text
    link: str | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class Inbox:
    """One page of a person's inbox, and the counts of all of it."""

    items: Sequence[Item]
    total: int
    unread: int


def _message(message: Message) -> Item:
    return Item(
        message.id,
        message.category,
        message.texts("title"),
        message.texts("body"),
        message.link,
        message.created_at,
        message.read_at,
    )


def _notice(bulletin: Bulletin, read_at: datetime | None) -> Item:
    return Item(
        bulletin.id,
        BULLETIN,
        bulletin.texts("title"),
        bulletin.texts("body"),
        None,
        bulletin.shown_from,
        read_at,
    )


def inbox(
    session: Session, account_id: uuid.UUID, *, today: date, limit: int, offset: int
) -> Inbox:
    """The account's messages and the notices current today where its resident lives, newest
    first (a notice by when it entered the inbox), in a bounded number of queries."""
    messages = MessageRepository(session)
    notices = BulletinRepository(session)
    picked = bulletins.for_inbox(session, account_id, today=today)
    total, unread = messages.counts(account_id)
    if picked is not None:
        more, more_unread = notices.counts(account_id, picked)
        total, unread = total + more, unread + more_unread
    page = notices.inbox_page(account_id, picked, limit=limit, offset=offset)
    found_messages = messages.by_ids(id_ for kind, id_ in page if kind == MESSAGE)
    found_notices = notices.by_ids(id_ for kind, id_ in page if kind == BULLETIN)
    reads = notices.reads(account_id, found_notices)
    items = [
        _message(found_messages[id_])
        if kind == MESSAGE
        else _notice(found_notices[id_], reads[id_].read_at if id_ in reads else None)
        for kind, id_ in page
    ]
    return Inbox(items, total, unread)


def mark_read(
    session: Session, account_id: uuid.UUID, message_id: uuid.UUID, *, now: datetime, today: date
) -> Item:
    """Mark the account's message, or a notice in its inbox, read (again: it keeps the first
    time). Another account's message, or a notice not in its inbox today, is not found."""
    message = MessageRepository(session).in_inbox_of(account_id, message_id)
    if message is not None:
        if message.read_at is None:
            message.read_at = now
            session.flush()
        return _message(message)
    picked = bulletins.for_inbox(session, account_id, today=today)
    notices = BulletinRepository(session)
    bulletin = None if picked is None else notices.one_of(message_id, picked)
    if bulletin is None:
        raise MessageNotFound()
    notices.mark_read(account_id, bulletin.id, now)
    return _notice(bulletin, notices.reads(account_id, [bulletin.id])[bulletin.id].read_at)


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
