"""The city's notices, the neighbourhoods each is for, and which residents have read which."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin
from kernel.i18n import Language, Text


class Bulletin(RecordMixin, Base):
    """A notice of the city for some neighbourhoods, or the whole city (``whole_city``), current
    from ``first_day`` to ``last_day`` (city days, both included) unless withdrawn before.

    Hebrew is required; an Arabic or English text left empty is shown in Hebrew. It reaches
    residents' inboxes when they read them (never a row per resident): ``shown_from`` is the moment
    it entered them, the later of its posting and the start of its first day."""

    __tablename__ = "bulletins"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="days_ordered"),
        Index("ix_bulletins_last_day_first_day", "last_day", "first_day"),
    )

    title_he: Mapped[str] = mapped_column(String(300))
    title_ar: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    body_he: Mapped[str] = mapped_column(String(4000))
    body_ar: Mapped[str] = mapped_column(String(4000))
    body_en: Mapped[str] = mapped_column(String(4000))
    whole_city: Mapped[bool] = mapped_column(default=False)
    first_day: Mapped[date]
    last_day: Mapped[date]
    shown_from: Mapped[datetime]
    posted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))

    def texts(self, what: str) -> Text:
        """The title's or body's text in each language, Hebrew where another was left empty."""
        hebrew: str = getattr(self, f"{what}_he")
        return {
            "he": hebrew,
            "ar": getattr(self, f"{what}_ar") or hebrew,
            "en": getattr(self, f"{what}_en") or hebrew,
        }

    def title(self, language: Language) -> str:
        return self.texts("title")[language]

    def body(self, language: Language) -> str:
        return self.texts("body")[language]

    def is_current(self, today: date) -> bool:
        return self.withdrawn_at is None and self.first_day <= today <= self.last_day


class BulletinNeighbourhood(Base):
    """A neighbourhood a notice is for."""

    __tablename__ = "bulletin_neighbourhoods"

    bulletin_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    neighbourhood_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("neighbourhoods.id"), primary_key=True, index=True
    )


class BulletinRead(Base):
    """An account opened a notice in its inbox (once: the first time is kept)."""

    __tablename__ = "bulletin_reads"

    bulletin_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime]
