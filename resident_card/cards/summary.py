"""What the wallet shows beside the card, from domains the card cannot import.

``benefits`` (the ledger, the eligibility engine) and ``cashback`` sit above ``resident_card``, so the
card never imports them. Instead each lists a ``CardLines`` plug-in in its manifest, and the
composition root installs the enabled domains' plug-ins here (``install``). A plug-in answers for
one resident:

- ``summary(session, resident_id, now) -> Sequence[BenefitLine]``: the resident's benefits and
  balances for ``GET /api/v1/cards/me``;
- ``programmes(session, resident_id, merchant_user_id, now) -> Sequence[str]``: the codes of the
  programmes a merchant may apply to this resident, for ``POST /api/v1/cards/verify``.

With nothing installed (a deployment without those domains), both answers are empty lists.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.i18n import Text


@dataclass(frozen=True)
class BenefitLine:
    """One line of the wallet: a benefit, and its balance where it has one."""

    code: str  # stable, e.g. "parking_free_time"
    label: Text  # what the resident reads, in he/ar/en
    balance: int | None = None  # in minor units of ``unit``: agorot, minutes
    unit: str | None = None  # "ILS" (agorot) or "PARKING_MIN"


SummarySource = Callable[[Session, uuid.UUID, datetime], Sequence[BenefitLine]]
ProgrammeSource = Callable[[Session, uuid.UUID, uuid.UUID, datetime], Sequence[str]]


@dataclass(frozen=True)
class CardLines:
    """A domain's lines on the card: the resident's benefits it knows, and the programmes a
    merchant may apply."""

    summary: SummarySource | None = None
    programmes: ProgrammeSource | None = None


# Replaced whole by ``install``, never changed in place.
_installed: tuple[CardLines, ...] = ()


def install(plug_ins: Sequence[CardLines]) -> None:
    """Ask these plug-ins, in this order, in place of those installed before; the same plug-in
    given twice is asked once."""
    global _installed
    _installed = tuple(dict.fromkeys(plug_ins))


def installed() -> tuple[CardLines, ...]:
    """The plug-ins asked now, in order."""
    return _installed


def benefit_summary(session: Session, resident_id: uuid.UUID, now: datetime) -> list[BenefitLine]:
    lines: list[BenefitLine] = []
    for plug_in in _installed:
        if plug_in.summary is not None:
            lines.extend(plug_in.summary(session, resident_id, now))
    return lines


def merchant_programmes(
    session: Session, resident_id: uuid.UUID, merchant_user_id: uuid.UUID, now: datetime
) -> list[str]:
    codes: list[str] = []
    for plug_in in _installed:
        if plug_in.programmes is not None:
            codes.extend(plug_in.programmes(session, resident_id, merchant_user_id, now))
    return sorted(set(codes))
