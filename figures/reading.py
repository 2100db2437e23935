"""The session a statistics request reads its figures through: the request's own, with room on
PostgreSQL to group a year's rows in memory.

A figure groups a window's rows by month (a CASE over the months' edges, whose few values the
planner cannot foresee) or by resident. With PostgreSQL's default ``work_mem`` (4 MB) the planner
sorts a year's purchases instead of hashing them, and the sort spills to disk; the figures' own
transaction gets ``TOSHAV_FIGURES_WORK_MEM`` instead (``set_config(…, true)``: for this
transaction only, so no other request's queries are planned with it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from figures.repository import FiguresRepository
from figures.settings import figures_settings
from kernel.database import DbSession
from kernel.settings import AppSettings


def figure_session(session: DbSession, settings: AppSettings) -> Session:
    if session.get_bind().dialect.name == "postgresql":
        FiguresRepository(session).room_to_group(figures_settings(settings).figures_work_mem)
    return session


FigureSession = Annotated[Session, Depends(figure_session)]
