"""The signed-in person's inbox and which messages they want by email and SMS."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from kernel.clock import Now, Today
from kernel.database import DbSession
from kernel.errors import InvalidToken, NotAuthenticated, Unprocessable, responses
from kernel.i18n import Language
from kernel.kit.language import RequestLanguage
from kernel.kit.pagination import PaginationQuery
from messages.exceptions import CategoryRequired, MessageNotFound, UnknownCategory
from messages.schemas import MessageOut, MessagePage, Preferences, PreferencesChange
from messages.service import inbox
from resident_card.accounts.dependencies import CurrentCaller

router = APIRouter(prefix="/messages", tags=["messages"])
SIGNED_IN = (NotAuthenticated, InvalidToken)


def _out(item: inbox.Item, language: Language) -> MessageOut:
    return MessageOut(
        id=item.id,
        category=item.category,
        title=item.title[language],
        body=item.body[language],
        link=item.link,
        created_at=item.created_at,
        read_at=item.read_at,
    )


@router.get("/me", response_model=MessagePage, responses=responses(*SIGNED_IN, Unprocessable))
def my_messages(
    caller: CurrentCaller,
    session: DbSession,
    pagination: PaginationQuery,
    language: RequestLanguage,
    today: Today,
) -> MessagePage:
    """My messages and the city's notices current for the neighbourhood I live in, newest first,
    in my language, with how many are unread."""
    found = inbox.inbox(
        session, caller.id, today=today, limit=pagination.limit, offset=pagination.offset
    )
    return MessagePage(
        items=[_out(item, language) for item in found.items],
        total=found.total,
        unread=found.unread,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.post(
    "/me/{message_id}/read",
    response_model=MessageOut,
    responses=responses(*SIGNED_IN, MessageNotFound),
)
def read_message(
    message_id: uuid.UUID,
    caller: CurrentCaller,
    session: DbSession,
    language: RequestLanguage,
    now: Now,
    today: Today,
) -> MessageOut:
    """Mark one of my messages, or a notice in my inbox, read (again: it keeps the first time)."""
    return _out(inbox.mark_read(session, caller.id, message_id, now=now, today=today), language)


@router.get("/me/preferences", response_model=Preferences, responses=responses(*SIGNED_IN))
def my_preferences(caller: CurrentCaller, session: DbSession) -> Preferences:
    """Which categories of messages I get by email and SMS (the inbox keeps them all)."""
    return Preferences(inbox.preferences(session, caller.id))


@router.put(
    "/me/preferences",
    response_model=Preferences,
    responses=responses(*SIGNED_IN, CategoryRequired, UnknownCategory, Unprocessable),
)
def choose_preferences(
    body: PreferencesChange, caller: CurrentCaller, session: DbSession, language: RequestLanguage
) -> Preferences:
    """Turn categories of messages on or off by email and SMS; residency, revocations and
    security cannot be turned off."""
    return Preferences(inbox.choose(session, caller.id, body.root, language=language))
