"""The city's neighbourhoods, its streets, and which house numbers of a street lie in which neighbourhood."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin
from kernel.i18n import Language, Text


class NamedInThreeLanguages:
    """A name in Hebrew, Arabic and English."""

    name_he: Mapped[str] = mapped_column(String(120))
    name_ar: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))

    @property
    def names(self) -> Text:
        return {"he": self.name_he, "ar": self.name_ar, "en": self.name_en}

    def name(self, language: Language) -> str:
        return self.names[language]


class Neighbourhood(RecordMixin, NamedInThreeLanguages, Base):
    __tablename__ = "neighbourhoods"

    code: Mapped[str] = mapped_column(String(32), unique=True)


class Street(RecordMixin, NamedInThreeLanguages, Base):
    __tablename__ = "streets"

    code: Mapped[str] = mapped_column(String(32), unique=True)


class Parity(StrEnum):
    """Which house numbers of a range: all of them, or one side of the street."""

    all = "all"
    odd = "odd"
    even = "even"


class HouseNumberRange(RecordMixin, Base):
    """House numbers ``from_number``..``to_number`` (inclusive) of a street lie in a neighbourhood."""

    __tablename__ = "house_number_ranges"
    __table_args__ = (
        UniqueConstraint("street_id", "from_number", "to_number", "parity"),
        CheckConstraint("from_number >= 1 AND from_number <= to_number", name="numbers_ordered"),
        CheckConstraint("parity IN ('all', 'odd', 'even')", name="parity_known"),
    )

    street_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("streets.id", ondelete="CASCADE"), index=True
    )
    from_number: Mapped[int]
    to_number: Mapped[int]
    parity: Mapped[str] = mapped_column(String(4), default=Parity.all.value)
    neighbourhood_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)

    def covers(self, house_number: int) -> bool:
        if not self.from_number <= house_number <= self.to_number:
            return False
        if self.parity == Parity.odd:
            return house_number % 2 == 1
        if self.parity == Parity.even:
            return house_number % 2 == 0
        return True
