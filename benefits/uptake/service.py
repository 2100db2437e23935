"""Benefit uptake over a window of city days: for each programme with a periodic allowance, by
month, how many residents were credited it, how much, and how much of it they used. A few grouped
statements, however many residents: what they used comes from its rollup by city day (summed by the
worker's ``benefits.roll_up_uptake``) and from the ledger's postings the rollup has not reached, so
the answer is the same whenever the rollup last ran."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.uptake.repository import UptakeRepository
from benefits.uptake.schemas import ProgrammeUptakeOut, UptakeMonthOut, UptakeOut
from figures.rollups import service as rollups
from figures.statistics import window_out
from figures.window import Window
from kernel.i18n import Language

# The rollup of residents' uses of their allowances, by programme and city day.
USED = "benefits.uptake_used"


def uptake(session: Session, window: Window, language: Language) -> UptakeOut:
    repository = UptakeRepository(session)
    programmes = repository.programmes()
    granted: dict[uuid.UUID, dict[str, tuple[int, int]]] = defaultdict(dict)
    for programme_id, month, residents, amount in repository.granted(window):
        granted[programme_id][month] = (residents, amount)
    codes = [p.code for p in programmes]
    used: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    through, days = repository.rolled_up(window, codes, USED)
    for code, day, amount in days:
        used[code][f"{day.year:04d}-{day.month:02d}"] += amount
    for code, month, amount in repository.used(window, codes, after=through):
        used[code][month] += amount
    credited = repository.residents(window)
    answers = []
    for programme in programmes:
        months = [
            UptakeMonthOut(
                month=month.label,
                residents=granted[programme.id].get(month.label, (0, 0))[0],
                granted=granted[programme.id].get(month.label, (0, 0))[1],
                used=used[programme.code].get(month.label, 0),
            )
            for month in window.months()
        ]
        answers.append(
            ProgrammeUptakeOut(
                code=programme.code,
                name=programme.names[language],
                unit=programme.unit or "",
                months=months,
                residents=credited.get(programme.id, 0),
                granted=sum(m.granted for m in months),
                used=sum(m.used for m in months),
            )
        )
    return UptakeOut(window=window_out(window), programmes=answers)


def roll_up(session: Session, *, through: int, zone: str, now: datetime) -> int:
    """Sum the uses in the ledger's postings after the rollup's mark and up to ``through`` (a
    number no lower posting can still appear under: ``figures.rollups.repository.safe_high``) into
    the days they took effect in the city, and move the mark there. How many uses were summed."""
    mark = rollups.claim(session, USED)
    if through <= mark.through:
        return 0
    repository = UptakeRepository(session)
    city = ZoneInfo(zone)
    sums: dict[tuple[str, date], int] = defaultdict(int)
    uses = 0
    for code, at, amount in repository.uses_between(
        [p.code for p in repository.programmes()], mark.through, through
    ):
        sums[(code, at.astimezone(city).date())] += amount
        uses += 1
    if sums:
        days = [day for _, day in sums]
        rows = repository.day_rows({code for code, _ in sums}, min(days), max(days))
        for (code, day), amount in sums.items():
            if (code, day) in rows:
                rows[(code, day)].used += amount
            else:
                repository.add_day(code, day, amount)
    rollups.advance(mark, through, now)
    return uses
