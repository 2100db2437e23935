"""A ``limits`` storage on the service's own database (PostgreSQL or SQLite), for a deployment
without Redis: the library's fixed-window and sliding-window-counter strategies run on it as on
Redis, and every process of the service shares its counts.

Each operation is a transaction of its own, committed at once, beside any request's. An increment
is one statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so concurrent increments of
one key, from any number of processes, each see a distinct count.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from math import floor
from typing import TypeVar

from limits.storage import SlidingWindowCounterSupport, Storage
from limits.storage.base import TimestampedSlidingWindow
from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kernel.database import own_transaction
from kernel.limits.models import RateCounter

T = TypeVar("T")

# Every this many increments, a process deletes the rows whose window has passed.
PRUNE_EVERY = 500


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


class DatabaseStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """Counters in the ``rate_counters`` table, each valid until its ``expires_at``."""

    def __init__(self, sessionmaker: Callable[[], Session], wrap_exceptions: bool = True) -> None:
        super().__init__(None, wrap_exceptions=wrap_exceptions)
        self._sessionmaker = sessionmaker
        self._increments = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _run(self, work: Callable[[Session], T]) -> T:
        return own_transaction(self._sessionmaker, work)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to a key's count and answer the new count; a key past its expiry (or
        absent) starts again at ``amount``, valid for ``expiry`` seconds from now."""
        now = time.time()
        table = RateCounter.__table__

        def increment(session: Session) -> int:
            dialect = postgresql if _is_postgresql(session) else sqlite
            expired = table.c.expires_at <= now
            statement = (
                dialect.insert(table)
                .values(key=key, count=amount, expires_at=now + expiry)
                .on_conflict_do_update(
                    index_elements=[table.c.key],
                    set_={
                        "count": case((expired, amount), else_=table.c.count + amount),
                        "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
                    },
                )
                .returning(table.c.count)
            )
            return int(session.execute(statement).scalar_one())

        count = self._run(increment)
        if next(self._increments) % PRUNE_EVERY == 0:
            self._run(lambda session: self._prune(session, now))
        return count

    def decr(self, key: str, amount: int = 1) -> int:
        now = time.time()

        def decrement(session: Session) -> int:
            at_least_zero = func.greatest if _is_postgresql(session) else func.max
            found = session.execute(
                update(RateCounter)
                .where(RateCounter.key == key, RateCounter.expires_at > now)
                .values(count=at_least_zero(RateCounter.count - amount, 0))
                .returning(RateCounter.count)
            ).scalar_one_or_none()
            return int(found or 0)

        return self._run(decrement)

    def _live(self, session: Session, key: str, now: float) -> tuple[int, float] | None:
        row = session.execute(
            select(RateCounter.count, RateCounter.expires_at).where(
                RateCounter.key == key, RateCounter.expires_at > now
            )
        ).one_or_none()
        return None if row is None else (int(row[0]), float(row[1]))

    def get(self, key: str) -> int:
        now = time.time()
        found = self._run(lambda session: self._live(session, key, now))
        return 0 if found is None else found[0]

    def get_expiry(self, key: str) -> float:
        now = time.time()
        found = self._run(lambda session: self._live(session, key, now))
        return now if found is None else found[1]

    def check(self) -> bool:
        try:
            self._run(lambda session: session.execute(text("SELECT 1")))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        def clear_all(session: Session) -> int:
            return int(session.execute(delete(RateCounter)).rowcount)  # type: ignore[attr-defined]

        return self._run(clear_all)

    def clear(self, key: str) -> None:
        self._run(
            lambda session: session.execute(delete(RateCounter).where(RateCounter.key == key))
        )

    @staticmethod
    def clear_within(session: Session, key: str) -> None:
        """Clear ``key`` and its windows (``key/N``) in ``session``, the caller's transaction."""
        session.execute(
            delete(RateCounter).where(
                (RateCounter.key == key) | RateCounter.key.startswith(f"{key}/", autoescape=True)
            )
        )

    @staticmethod
    def _prune(session: Session, now: float) -> None:
        session.execute(delete(RateCounter).where(RateCounter.expires_at <= now))

    # The sliding window counter: two fixed windows' counts, the previous one weighted by how much
    # of it still overlaps the window that ends now (the ``limits`` memory storage's rule).

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        if amount > limit:
            return False
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous_count, previous_ttl, current_count, _ = self._window(
            previous_key, current_key, expiry, now
        )
        weighted = previous_count * previous_ttl / expiry
        if floor(weighted + current_count) + amount > limit:
            return False
        current_count = self.incr(current_key, 2 * expiry, amount=amount)
        if floor(weighted + current_count) > limit:
            # Another process took the last place meanwhile: give this one back and refuse.
            self.decr(current_key, amount)
            return False
        return True

    def _window(
        self, previous_key: str, current_key: str, expiry: int, now: float
    ) -> tuple[int, float, int, float]:
        def read(session: Session) -> tuple[int, int]:
            previous = self._live(session, previous_key, now)
            current = self._live(session, current_key, now)
            return (0 if previous is None else previous[0], 0 if current is None else current[0])

        previous_count, current_count = self._run(read)
        previous_ttl = (
            0.0 if previous_count == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        )
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous_count, previous_ttl, current_count, current_ttl

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        return self._window(previous_key, current_key, expiry, now)

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        previous_key, current_key = self.sliding_window_keys(key, expiry, time.time())
        self.clear(previous_key)
        self.clear(current_key)
