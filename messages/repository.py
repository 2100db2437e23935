"""Every query of messages: the outbox, the deliveries workers claim, the inbox, preferences."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from kernel.kit.inserts import insert_if_absent
from messages.models import DeliveryStatus, Message, MessageDelivery, MessagePreference
from resident_card.accounts.models import User
from resident_card.residents.models import Resident


@dataclass(frozen=True)
class Contact:
    """Where an account can be reached: its resident record's email and phone, if any."""

    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds until ``claimed_until``, with what it needs to send it."""

    delivery: MessageDelivery
    message: Message
    language: str
    wanted: bool  # the account still wants the message's category by email and SMS


class MessageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the outbox ------------------------------------------------------------------------------

    def add(self, values: dict[str, object]) -> uuid.UUID | None:
        """Insert a message; None when a message with its key is already there for its account."""
        statement = insert_if_absent(self.session, Message).values(**values).returning(Message.id)
        return self.session.execute(statement).scalar_one_or_none()

    def add_delivery(self, delivery: MessageDelivery) -> None:
        self.session.add(delivery)
        self.session.flush()

    def contact_of(self, account_id: uuid.UUID) -> Contact:
        row = self.session.execute(
            select(Resident.email, Resident.phone).where(Resident.user_id == account_id)
        ).first()
        return Contact(None, None) if row is None else Contact(row.email, row.phone)

    def is_wanted(self, account_id: uuid.UUID, category: str) -> bool:
        enabled = self.session.scalar(
            select(MessagePreference.enabled).where(
                MessagePreference.account_id == account_id,
                MessagePreference.category == category,
            )
        )
        return enabled is not False

    # --- the inbox -------------------------------------------------------------------------------

    def inbox(self, account_id: uuid.UUID, *, limit: int, offset: int) -> Sequence[Message]:
        return self.session.scalars(
            select(Message)
            .where(Message.account_id == account_id, Message.in_inbox.is_(True))
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()

    def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Message]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            m.id: m for m in self.session.scalars(select(Message).where(Message.id.in_(wanted)))
        }

    def counts(self, account_id: uuid.UUID) -> tuple[int, int]:
        """How many messages the account's inbox holds, and how many of them are unread."""
        row = self.session.execute(
            select(
                func.count(Message.id),
                func.count(Message.id).filter(Message.read_at.is_(None)),
            ).where(Message.account_id == account_id, Message.in_inbox.is_(True))
        ).one()
        return int(row[0]), int(row[1])

    def in_inbox_of(self, account_id: uuid.UUID, message_id: uuid.UUID) -> Message | None:
        return self.session.scalar(
            select(Message).where(
                Message.id == message_id,
                Message.account_id == account_id,
                Message.in_inbox.is_(True),
            )
        )

    def preferences(self, account_id: uuid.UUID) -> dict[str, bool]:
        rows = self.session.execute(
            select(MessagePreference.category, MessagePreference.enabled).where(
                MessagePreference.account_id == account_id
            )
        ).all()
        return {row.category: row.enabled for row in rows}

    def set_preference(self, account_id: uuid.UUID, category: str, enabled: bool) -> None:
        found = self.session.get(MessagePreference, (account_id, category))
        if found is None:
            self.session.add(
                MessagePreference(account_id=account_id, category=category, enabled=enabled)
            )
        else:
            found.enabled = enabled
        self.session.flush()

    # --- deliveries --------------------------------------------------------------------------------

    def due(self, now: datetime, limit: int) -> Sequence[MessageDelivery]:
        """Deliveries due now, oldest first, locked for this transaction; on PostgreSQL rows
        another worker holds are passed over (SKIP LOCKED), on SQLite the write lock taken when
        the transaction began keeps every other worker out until it ends."""
        query = (
            select(MessageDelivery)
            .where(
                MessageDelivery.status == DeliveryStatus.pending.value,
                MessageDelivery.next_attempt_at <= now,
            )
            .order_by(MessageDelivery.next_attempt_at, MessageDelivery.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return self.session.scalars(query).all()

    def claimed(self, deliveries: Sequence[MessageDelivery]) -> list[Claimed]:
        """The messages of these deliveries, their accounts' languages, and whether each account
        still wants the message's category; in one query."""
        ids = [delivery.message_id for delivery in deliveries]
        if not ids:
            return []
        rows = self.session.execute(
            select(Message, User.preferred_language, MessagePreference.enabled)
            .join(User, User.id == Message.account_id)
            .outerjoin(
                MessagePreference,
                (MessagePreference.account_id == Message.account_id)
                & (MessagePreference.category == Message.category),
            )
            .where(Message.id.in_(ids))
        ).all()
        found = {row[0].id: (row[0], row[1], row[2] is not False) for row in rows}
        return [
            Claimed(delivery, *found[delivery.message_id])
            for delivery in deliveries
            if delivery.message_id in found
        ]

    def finish(
        self, delivery_id: uuid.UUID, claimed_until: datetime, values: dict[str, object]
    ) -> bool:
        """Record how a claimed delivery went, if the claim is still this worker's (no other
        worker took it over after the claim ran out). False when it was not."""
        result = self.session.execute(
            update(MessageDelivery)
            .where(
                MessageDelivery.id == delivery_id,
                MessageDelivery.status == DeliveryStatus.pending.value,
                MessageDelivery.claimed_until == claimed_until,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def forget_link(self, message_id: uuid.UUID) -> None:
        """Erase what a message kept out of the inbox carried (a one-time link) once delivered."""
        self.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.in_inbox.is_(False))
            .values(link=None, body_he="", body_ar="", body_en="")
            .execution_options(synchronize_session=False)
        )

    def deliveries_of(self, message_id: uuid.UUID) -> Sequence[MessageDelivery]:
        return self.session.scalars(
            select(MessageDelivery)
            .where(MessageDelivery.message_id == message_id)
            .order_by(MessageDelivery.channel)
        ).all()


class PersonMessages:
    """An account's messages, their deliveries and its preferences, for its file and its erasure."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def messages(self, account_id: uuid.UUID) -> Sequence[Message]:
        return self.session.scalars(
            select(Message)
            .where(Message.account_id == account_id)
            .order_by(Message.created_at, Message.id)
        ).all()

    def deliveries(self, message_ids: Sequence[uuid.UUID]) -> Sequence[MessageDelivery]:
        if not message_ids:
            return []
        return self.session.scalars(
            select(MessageDelivery)
            .where(MessageDelivery.message_id.in_(message_ids))
            .order_by(MessageDelivery.created_at, MessageDelivery.id)
        ).all()

    def preferences(self, account_id: uuid.UUID) -> Sequence[MessagePreference]:
        return self.session.scalars(
            select(MessagePreference).where(MessagePreference.account_id == account_id)
        ).all()

    def forget(self, account_id: uuid.UUID) -> None:
        """Delete the account's messages, their deliveries and its preferences."""
        ids = select(Message.id).where(Message.account_id == account_id)
        self.session.execute(delete(MessageDelivery).where(MessageDelivery.message_id.in_(ids)))
        self.session.execute(delete(Message).where(Message.account_id == account_id))
        self.session.execute(
            delete(MessagePreference).where(MessagePreference.account_id == account_id)
        )


def deliveries_by_status(session: Session) -> list[tuple[str, str, int]]:
    """How many deliveries there are of each channel, by status: one grouped query."""
    rows = session.execute(
        select(MessageDelivery.channel, MessageDelivery.status, func.count()).group_by(
            MessageDelivery.channel, MessageDelivery.status
        )
    ).all()
    return [(str(channel), str(status), int(count)) for channel, status, count in rows]


def backlog(session: Session) -> list[tuple[str, int, datetime]]:
    """Of each channel, the deliveries still to go out, and when the oldest of them was made."""
    rows = session.execute(
        select(MessageDelivery.channel, func.count(), func.min(MessageDelivery.created_at))
        .where(MessageDelivery.status == DeliveryStatus.pending.value)
        .group_by(MessageDelivery.channel)
    ).all()
    return [(str(channel), int(count), oldest) for channel, count, oldest in rows]


class MessageRetentionRepository:
    """The deletions the retention rule makes: messages past the days they are kept."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def delete_before(self, cutoff: datetime) -> int:
        """Messages posted before the cutoff, with their deliveries; one still waiting to go out
        stays until it went or was given up."""
        pending = exists().where(
            MessageDelivery.message_id == Message.id,
            MessageDelivery.status == DeliveryStatus.pending.value,
        )
        old = select(Message.id).where(Message.created_at < cutoff, ~pending)
        self.session.execute(
            delete(MessageDelivery)
            .where(MessageDelivery.message_id.in_(old))
            .execution_options(synchronize_session=False)
        )
        result = self.session.execute(
            delete(Message).where(Message.id.in_(old)).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
