"""What figures ask of the database itself, beside the domains' own queries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session


class FiguresRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def room_to_group(self, work_mem: str) -> None:
        """PostgreSQL: ``work_mem`` for the rest of this transaction."""
        self.session.execute(select(func.set_config("work_mem", work_mem, True)))
