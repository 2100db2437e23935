"""Telling a person something: the notice a domain posts, in the same transaction as the event
that caused it, and the box it is posted to.

Every domain posts notices (a resident verified, a permit refused, cashback credited) and none of
them knows how a notice reaches a person. The messages domain keeps the outbox: the composition
root installs its box here (``install``), and a notice posted with a session is written in that
session's transaction, so it exists exactly when the event does. With no box installed (a process
that runs without messages), a notice is dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from kernel.i18n import Text


class Category(StrEnum):
    """What a notice is about; a person turns categories on and off, all but the critical ones."""

    residency = "residency"  # verified, refused: critical
    permits = "permits"  # granted, refused, expiring
    revocations = "revocations"  # a permit or pass revoked, a pass re-issued: critical
    free_time = "free_time"  # free parking minutes granted
    cashback = "cashback"  # credited, spendable
    appeals = "appeals"  # received, decided
    business = "business"  # an application approved, a campaign's budget nearly spent
    security = "security"  # password reset, email changed: critical


# Categories a person cannot turn off: the service must be able to tell them these.
CRITICAL: frozenset[Category] = frozenset(
    {Category.residency, Category.revocations, Category.security}
)


@dataclass(frozen=True)
class Notice:
    """One thing to tell one account, written in each of the city's languages.

    ``email`` sends to that address instead of the account's own (verifying a new address);
    ``email_only`` keeps it out of the in-app inbox (a one-time link). ``key``, when given, makes
    posting idempotent: the same key for the same account posts once (a permit's "expiring in 14
    days", found again by the next night's run).
    """

    account_id: uuid.UUID
    category: Category
    title: Text
    body: Text
    link: str | None = None  # a path of the service's pages, e.g. "/wallet#requests"
    key: str | None = None
    email: str | None = None
    email_only: bool = False


@dataclass(frozen=True)
class NoticeBox:
    """Where notices are posted: the messages domain's outbox, a plug-in of its manifest."""

    post: Callable[[Session, Notice], None]


_box: NoticeBox | None = None


def install(box: NoticeBox | None) -> None:
    """Post to this box from now on, in place of the one installed before (None: drop notices)."""
    global _box
    _box = box


def installed() -> NoticeBox | None:
    """The box notices go to now (None: they are dropped)."""
    return _box


def post(session: Session, notice: Notice) -> None:
    """Post a notice in the session's transaction: it is sent if and only if that commits."""
    if _box is not None:
        _box.post(session, notice)
