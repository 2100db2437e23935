"""What the wallet shows beside the card, from packages the card cannot import.

``benefits`` (the ledger, the eligibility engine) and ``cashback`` sit above ``resident_card``, so the
card never imports them. Instead they register here, when their routes are imported (the
app factory imports every enabled domain), a function that answers for one resident:

- ``register_summary_source(fn)``: ``fn(session, resident_id, now) -> Sequence[BenefitLine]``, the
  resident's benefits and balances for ``GET /api/v1/cards/me``;
- ``register_programme_source(fn)``: ``fn(session, resident_id, merchant_user_id, now) ->
  Sequence[str]``, the codes of the programmes a merchant may apply to this resident, for
  ``POST /api/v1/cards/verify``.

With nothing registered (a deployment without those domains), both answers are empty lists.
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

_summary_sources: list[SummarySource] = []
_programme_sources: list[ProgrammeSource] = []


def register_summary_source(source: SummarySource) -> SummarySource:
    """Add a source of wallet lines (once; registering again changes nothing). Usable as a decorator."""
    if source not in _summary_sources:
        _summary_sources.append(source)
    return source


def register_programme_source(source: ProgrammeSource) -> ProgrammeSource:
    """Add a source of the programmes a merchant may apply (once). Usable as a decorator."""
    if source not in _programme_sources:
        _programme_sources.append(source)
    return source


def unregister(source: SummarySource | ProgrammeSource) -> None:
    """Remove a source (tests, and a domain switched off)."""
    for sources in (_summary_sources, _programme_sources):
        if source in sources:
            sources.remove(source)  # type: ignore[arg-type]


def benefit_summary(session: Session, resident_id: uuid.UUID, now: datetime) -> list[BenefitLine]:
    lines: list[BenefitLine] = []
    for source in _summary_sources:
        lines.extend(source(session, resident_id, now))
    return lines


def merchant_programmes(
    session: Session, resident_id: uuid.UUID, merchant_user_id: uuid.UUID, now: datetime
) -> list[str]:
    codes: list[str] = []
    for source in _programme_sources:
        codes.extend(code for code in source(session, resident_id, merchant_user_id, now))
    return sorted(set(codes))
