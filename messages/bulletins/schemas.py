"""The city's notices as clerks post them and as the API shows them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kernel.i18n import Text

Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class TitleIn(BaseModel):
    """A title in Hebrew (required) and in Arabic and English (empty: shown in Hebrew)."""

    model_config = ConfigDict(extra="forbid")

    he: Annotated[Title, Field(min_length=1)]
    ar: Title = ""
    en: Title = ""

    def text(self) -> Text:
        return {"he": self.he, "ar": self.ar, "en": self.en}


class BodyIn(BaseModel):
    """A text in Hebrew (required) and in Arabic and English (empty: shown in Hebrew)."""

    model_config = ConfigDict(extra="forbid")

    he: Annotated[Body, Field(min_length=1)]
    ar: Body = ""
    en: Body = ""

    def text(self) -> Text:
        return {"he": self.he, "ar": self.ar, "en": self.en}


class BulletinIn(BaseModel):
    """A notice to post: for the neighbourhoods named by their codes, or for the whole city (one
    of the two), current from ``first_day`` to ``last_day``, city days, both included."""

    model_config = ConfigDict(extra="forbid")

    title: TitleIn
    body: BodyIn
    neighbourhoods: list[Code] = Field(default_factory=list, max_length=100)
    whole_city: bool = False
    first_day: date
    last_day: date


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class NeighbourhoodName(BaseModel):
    """A neighbourhood by its code and its name in the caller's language."""

    code: str
    name: str


class WrittenOut(BaseModel):
    """A text as the clerk wrote it in each language (empty: left to Hebrew)."""

    he: str
    ar: str
    en: str


class BulletinOut(BaseModel):
    """A notice as clerks and auditors read it: every language as written (empty where the clerk
    left Arabic or English to Hebrew), and whether it is upcoming, current, past or withdrawn."""

    id: uuid.UUID
    title: WrittenOut
    body: WrittenOut
    whole_city: bool
    neighbourhoods: list[NeighbourhoodName]
    first_day: date
    last_day: date
    state: str = Field(description="upcoming, current, past or withdrawn")
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str | None


class PublicBulletinOut(BaseModel):
    """A current notice in the caller's language (Hebrew where the city wrote no other)."""

    id: uuid.UUID
    title: str
    body: str
    whole_city: bool
    first_day: date
    last_day: date
