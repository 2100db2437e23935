"""Benefit uptake over a window of city days: for each programme with a periodic allowance, by
month, how many residents were credited it, how much, and how much of it they used. Three grouped
statements, however many residents."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy.orm import Session

from benefits.uptake.repository import UptakeRepository
from benefits.uptake.schemas import ProgrammeUptakeOut, UptakeMonthOut, UptakeOut
from figures.statistics import window_out
from figures.window import Window
from kernel.i18n import Language


def uptake(session: Session, window: Window, language: Language) -> UptakeOut:
    repository = UptakeRepository(session)
    programmes = repository.programmes()
    granted: dict[uuid.UUID, dict[str, tuple[int, int]]] = defaultdict(dict)
    for programme_id, month, residents, amount in repository.granted(window):
        granted[programme_id][month] = (residents, amount)
    used: dict[str, dict[str, int]] = defaultdict(dict)
    for code, month, amount in repository.used(window, [p.code for p in programmes]):
        used[code][month] = amount
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
