"""The marks of rollups, and the one safe way to move them.

A rollup sums the rows of an append-only source numbered ``(through, high]`` into its day rows
and moves its mark to ``high`` in the same transaction; a figure then reads the day rows plus the
source's rows after the mark, so it is exact whenever the rollup last ran. That holds only if
no row numbered at or below ``high`` can still appear once ``high`` is read: on PostgreSQL a
sequence hands out numbers before their transactions commit, and not in commit order. So ``high``
is read under a SHARE lock on the source, which waits for every transaction writing to it to end
and holds new writers back only for that wait (at most ``LOCK_WAIT``, after which the run fails,
is tried again later, and the mark stays where it was). SQLite writes one transaction at a time,
so there the highest committed number is already safe. (docs/decisions/0019)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import InstrumentedAttribute, Session

from figures.rollups.models import RollupMark
from figures.rollups.repository import RollupRepository

# How long moving a mark may hold the source's writers back on PostgreSQL.
LOCK_WAIT = "500ms"


def through(session: Session, name: str) -> int:
    """The highest source row already in the rollup ``name`` (0 if it never ran)."""
    return RollupRepository(session).through(name)


def safe_high(session: Session, number: InstrumentedAttribute[int]) -> int:
    """The highest row number of ``number``'s table such that no lower one can still appear. The
    caller commits right after, releasing the lock (PostgreSQL)."""
    repository = RollupRepository(session)
    if session.get_bind().dialect.name == "postgresql":
        repository.hold_writers_of(number, LOCK_WAIT)
    return repository.highest(number)


def claim(session: Session, name: str) -> RollupMark:
    """The mark of ``name``, locked for this transaction (made at 0 the first time), so two
    workers never sum the same rows twice."""
    repository = RollupRepository(session)
    mark = repository.mark_for_update(name)
    if mark is None:
        mark = RollupMark(name=name, through=0)
        repository.add(mark)
    return mark


def advance(mark: RollupMark, high: int, now: datetime) -> None:
    mark.through = high
    mark.rolled_at = now
