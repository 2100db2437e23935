"""Every query of the rollups' marks, and the read of a source's highest row number."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from figures.rollups.models import RollupMark


class RollupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def through(self, name: str) -> int:
        """The highest source row already in the rollup ``name`` (0 if it never ran)."""
        found = self.session.scalar(select(RollupMark.through).where(RollupMark.name == name))
        return int(found or 0)

    def mark_for_update(self, name: str) -> RollupMark | None:
        return self.session.scalar(
            select(RollupMark).where(RollupMark.name == name).with_for_update()
        )

    def add(self, mark: RollupMark) -> None:
        self.session.add(mark)
        self.session.flush()

    def hold_writers_of(self, number: InstrumentedAttribute[int], wait: str) -> None:
        """PostgreSQL: wait (at most ``wait``) for every transaction writing ``number``'s table to
        end, and keep new ones out until this transaction ends."""
        table = number.class_.__table__.name
        self.session.execute(text(f"SET LOCAL lock_timeout = '{wait}'"))
        self.session.execute(text(f'LOCK TABLE "{table}" IN SHARE MODE'))

    def highest(self, number: InstrumentedAttribute[int]) -> int:
        return int(self.session.scalar(select(func.max(number))) or 0)
