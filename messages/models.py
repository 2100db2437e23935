"""Messages to an account, their delivery on each channel, and the categories a person turned off."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin
from kernel.i18n import Language, Text


class Channel(StrEnum):
    email = "email"
    sms = "sms"


class DeliveryStatus(StrEnum):
    pending = "pending"  # due at next_attempt_at (or claimed by a worker until claimed_until)
    sent = "sent"
    failed = "failed"  # given up after the last attempt
    skipped = "skipped"  # the person turned the category off before it went out


CATEGORIES = "'residency', 'permits', 'revocations', 'free_time', 'cashback', 'appeals', 'business', 'security'"


class Message(RecordMixin, Base):
    """One thing told to one account, in each of the city's languages. A message posted with a
    ``key`` is posted once per account; one kept out of the inbox (``in_inbox`` false: a one-time
    link) only travels by email."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("account_id", "key"),
        Index("ix_messages_account_id_created_at", "account_id", "created_at"),
        CheckConstraint(f"category IN ({CATEGORIES})", name="category_known"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    title_he: Mapped[str] = mapped_column(String(300))
    title_ar: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    body_he: Mapped[str] = mapped_column(String(4000))
    body_ar: Mapped[str] = mapped_column(String(4000))
    body_en: Mapped[str] = mapped_column(String(4000))
    link: Mapped[str | None] = mapped_column(String(1000))
    key: Mapped[str | None] = mapped_column(String(200))
    in_inbox: Mapped[bool] = mapped_column(default=True)
    read_at: Mapped[datetime | None]

    def title(self, language: Language) -> str:
        return self.texts("title")[language]

    def body(self, language: Language) -> str:
        return self.texts("body")[language]

    def texts(self, what: str) -> Text:
        return {
            "he": getattr(self, f"{what}_he"),
            "ar": getattr(self, f"{what}_ar"),
            "en": getattr(self, f"{what}_en"),
        }


class MessageDelivery(RecordMixin, Base):
    """A message on one channel, to one address: delivered at least once, and once in all as long
    as a worker finishes within its claim (docs/decisions/0007-outbox-and-deliveries.md)."""

    __tablename__ = "message_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "channel"),
        Index("ix_message_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        CheckConstraint("channel IN ('email', 'sms')", name="channel_known"),
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')", name="status_known"),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


class MessagePreference(Base):
    """Whether an account wants a category of messages by email and SMS; no row means yes. The
    inbox keeps every message whatever the preference."""

    __tablename__ = "message_preferences"
    __table_args__ = (CheckConstraint(f"category IN ({CATEGORIES})", name="category_known"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool]
