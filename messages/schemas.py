"""The inbox as the API shows it, and a person's preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, RootModel, StrictBool

from kernel.kit.pagination import Page
from kernel.notices import Category


class MessageOut(BaseModel):
    """A message in the caller's language; ``link`` is a path of the service's pages. A notice of
    the city for the caller's neighbourhood (or the whole city) has the category ``notice``, and
    ``created_at`` is when it entered the inbox."""

    id: uuid.UUID
    category: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class MessagePage(Page[MessageOut]):
    """A page of the inbox, newest first, and how many of all the caller's messages are unread."""

    unread: int


class Preferences(RootModel[dict[str, StrictBool]]):
    """``{category: true|false}``: whether the person wants that category by email and SMS. The
    critical categories (residency, revocations, security) are always true."""


class PreferencesChange(
    RootModel[Annotated[dict[str, StrictBool], Field(min_length=1, max_length=len(Category))]]
):
    """``{category: true|false}`` for the categories to change, at least one; the others stay."""
