"""The inbox as the API shows it, and a person's preferences."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, RootModel, StrictBool

from kernel.kit.pagination import Page


class MessageOut(BaseModel):
    """A message in the caller's language; ``link`` is a path of the service's pages."""

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
