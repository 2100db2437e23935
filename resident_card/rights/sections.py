"""What each domain holds about a person and how it forgets them: the registries behind
``GET /api/v1/me/export`` and a granted erasure.

The card owns who a person is; parking, cashback, benefits and messages hold records about them in
tables the card cannot read. Each domain lists an ``ExportSection`` and an ``ErasureStep`` in its
manifest's ``plug_ins``, and the composition root installs the enabled domains' here, in the
manifests' order; a domain switched off contributes nothing.

An export section answers for one signed-in person: their account and the residents they answer for
(themselves and their wards). An erasure step forgets one person (their own resident record and
account, never a ward's). Steps run in the reverse of the installed order: the domains built on the
card first (a parking session is stopped before the minutes it used are settled; a balance is
settled before the record that owns it is anonymised), the card last.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

# A JSON value: what a section gives is written as it is into the file.
Json = Any


@dataclass(frozen=True)
class Holder:
    """Whose records an export gathers: the account, and the residents it answers for (its own
    record first, if it has one, then its wards')."""

    user_id: uuid.UUID
    resident_ids: tuple[uuid.UUID, ...]
    language: str
    now: datetime


@dataclass(frozen=True)
class Erased:
    """The person being forgotten: their account, their own resident record (None for an account
    without one), the erasure that was granted, and its moment (every transaction and end it
    writes is dated then, and keyed by the erasure, so a step run twice does nothing twice)."""

    user_id: uuid.UUID
    resident_id: uuid.UUID | None
    erasure_id: uuid.UUID
    actor_id: uuid.UUID
    now: datetime


@dataclass(frozen=True)
class ExportSection:
    """A domain's part of a person's file: ``export(session, holder)`` gives named parts
    (``{"vehicles": [...], "permits": [...]}``), each a JSON value."""

    export: Callable[[Session, Holder], Mapping[str, Json]]


@dataclass(frozen=True)
class ErasureStep:
    """A domain forgetting one person in its own tables: ``erase(session, erased)``."""

    erase: Callable[[Session, Erased], None]


# Replaced whole by ``install``, never changed in place.
_sections: tuple[ExportSection, ...] = ()
_steps: tuple[ErasureStep, ...] = ()


def install(sections: Sequence[ExportSection], steps: Sequence[ErasureStep]) -> None:
    global _sections, _steps
    _sections = tuple(dict.fromkeys(sections))
    _steps = tuple(dict.fromkeys(steps))


def export_sections() -> tuple[ExportSection, ...]:
    return _sections


def erasure_steps() -> tuple[ErasureStep, ...]:
    """The installed steps in the order they run: the card's last."""
    return tuple(reversed(_steps))


def plain(value: Any) -> Json:
    """A stored value as JSON: ids and moments as text, bytes as base64, enums as their value."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def record(row: object, *, leave_out: Sequence[str] = ()) -> dict[str, Json]:
    """A row's stored columns as JSON, but those named in ``leave_out`` (secrets, and other
    people: a clerk's, an inspector's or a cashier's account)."""
    mapper = inspect(type(row))
    return {
        column.key: plain(getattr(row, column.key))
        for column in mapper.column_attrs
        if column.key not in leave_out
    }
