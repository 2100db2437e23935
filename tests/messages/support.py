"""Builders the messages tests share: a notice, a drain's context, what the outbox holds."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from functools import partial
from threading import Lock
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kernel.database import make_sessionmaker, own_transaction
from kernel.notices import Category, Notice
from kernel.schedule import JobContext
from kernel.settings import Settings
from messages.models import Message, MessageDelivery
from messages.providers import Outgoing, ProviderFailed


def notice(account_id: uuid.UUID, number: int = 1, **overrides: Any) -> Notice:
    values: dict[str, Any] = {
        "account_id": account_id,
        "category": Category.residency,
        "title": {
            "he": f"תושבותך אושרה {number}",
            "ar": f"تمت الموافقة على إقامتك {number}",
            "en": f"Your residency is verified {number}",
        },
        "body": {
            "he": "אפשר להשתמש בכרטיס התושב.",
            "ar": "يمكنك استخدام بطاقة المقيم.",
            "en": "You can use your resident card.",
        },
        "link": "/wallet#card",
    }
    values.update(overrides)
    return Notice(**values)


def context(settings: Settings, engine: Engine, now: datetime) -> JobContext:
    """What a worker gives a drain's run: the settings, the moment, transactions of its own."""
    return JobContext(
        settings=settings,
        now=now,
        period_key="",
        period_start=now.replace(tzinfo=None),
        transactions=partial(own_transaction, make_sessionmaker(engine)),
    )


def messages_of(session: Session, account_id: uuid.UUID) -> list[Message]:
    return list(
        session.scalars(
            select(Message).where(Message.account_id == account_id).order_by(Message.created_at)
        )
    )


def deliveries_of(session: Session, message: Message) -> dict[str, MessageDelivery]:
    rows = session.scalars(select(MessageDelivery).where(MessageDelivery.message_id == message.id))
    return {row.channel: row for row in rows}


class Flaky:
    """A provider that fails the first ``failures`` tries of each delivery, then sends."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.tries: Counter[str] = Counter()
        self.sent: list[Outgoing] = []
        self._lock = Lock()

    def send(self, outgoing: Outgoing) -> None:
        with self._lock:
            self.tries[outgoing.reference] += 1
            if self.tries[outgoing.reference] <= self.failures:
                raise ProviderFailed("the gateway is down")
            self.sent.append(outgoing)
