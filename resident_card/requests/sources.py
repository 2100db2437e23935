"""A person's requests, from every domain that takes one: the registry behind
``GET /api/v1/requests/me``.

Enrolment belongs to the card; permits to parking, appeals to benefits, business applications to
cashback, all above the card. Each such domain lists a ``RequestSource`` plug-in in its manifest,
and the composition root installs the enabled domains' plug-ins here. A source answers for one
signed-in person: their account, and the residents they answer for (themselves and their wards).

A step dated after the moment of reading has not happened yet (a permit's expiry, written ahead):
the reader leaves it out, so a source needs no clock of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.i18n import Text


@dataclass(frozen=True)
class Step:
    """One moment of a request's life: the status it reached, when, and the note given with it, if
    any: a clerk's reason in the clerk's own words (``str``), or the system's in every language
    (``Text``)."""

    status: str
    status_text: Text
    at: datetime
    note: str | Text | None = None


@dataclass(frozen=True)
class PersonRequest:
    """One request a person made, with its timeline oldest first (its status is the last step's)."""

    id: uuid.UUID
    kind: str  # "enrolment", "permit", "business_application", "appeal", …
    created_at: datetime
    timeline: tuple[Step, ...]

    @property
    def status(self) -> str:
        return self.timeline[-1].status

    @property
    def status_text(self) -> Text:
        return self.timeline[-1].status_text

    @property
    def updated_at(self) -> datetime:
        return self.timeline[-1].at


@dataclass(frozen=True)
class RequestSource:
    """A domain's requests for one person: ``requests(session, user_id, resident_ids)``."""

    requests: Callable[[Session, uuid.UUID, Sequence[uuid.UUID]], Sequence[PersonRequest]]


# Replaced whole by ``install``, never changed in place.
_installed: tuple[RequestSource, ...] = ()


def install(plug_ins: Sequence[RequestSource]) -> None:
    global _installed
    _installed = tuple(dict.fromkeys(plug_ins))


def installed() -> tuple[RequestSource, ...]:
    return _installed
