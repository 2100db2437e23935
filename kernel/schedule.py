"""Work that runs by itself: a domain's periodic jobs and its drains, as its manifest lists them.

A **job** runs once per period (a month, a day, an hour) however many workers run: the worker
records each run under the job's name and the period's key, and the first worker to record it is
the one that runs it. A run a worker missed while none was up happens when one comes back, within
the same period. A failed run is tried again with back-off, up to ``attempts`` times.

A **drain** empties a queue whenever there is work in it (the messages waiting to be delivered):
the worker calls it every ``every_seconds``; each item it takes is claimed so that two workers
never take the same one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal, Protocol, TypeVar

from sqlalchemy.orm import Session

from kernel.settings import Settings

T = TypeVar("T")


class Transactions(Protocol):
    """``run(work)`` runs ``work(session)`` in a transaction of its own, committed when it
    returns and rolled back when it raises."""

    def __call__(self, work: Callable[[Session], T]) -> T: ...


@dataclass(frozen=True)
class Cadence:
    """How often a job runs: ``monthly`` (from ``day`` of the month), ``daily`` or ``hourly``
    (from ``at`` past the hour), or every ``minutes``. Periods are in the city's time zone's
    calendar, given to ``period`` as a local time."""

    kind: Literal["monthly", "daily", "hourly", "minutes"]
    at: time = time(0, 0)
    day: int = 1
    minutes: int = 0

    def period(self, local: datetime) -> tuple[str, datetime]:
        """The key and the start (local time) of the period that ``local`` falls in; before the
        period's starting time, the period before."""
        if self.kind == "monthly":
            start = local.replace(
                day=self.day, hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0
            )
            if local < start:
                start = (start.replace(day=1) - timedelta(days=1)).replace(day=self.day)
            return start.strftime("%Y-%m"), start
        if self.kind == "daily":
            start = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
            if local < start:
                start -= timedelta(days=1)
            return start.strftime("%Y-%m-%d"), start
        if self.kind == "hourly":
            start = local.replace(minute=self.at.minute, second=0, microsecond=0)
            if local < start:
                start -= timedelta(hours=1)
            return start.strftime("%Y-%m-%dT%H"), start
        step = max(1, self.minutes)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = int((local - midnight).total_seconds() // 60)
        start = midnight + timedelta(minutes=elapsed - elapsed % step)
        return start.strftime("%Y-%m-%dT%H:%M"), start


def monthly(day: int = 1, at: time = time(0, 5)) -> Cadence:
    return Cadence("monthly", at=at, day=day)


def daily(at: time = time(2, 0)) -> Cadence:
    return Cadence("daily", at=at)


def hourly(at_minute: int = 0) -> Cadence:
    return Cadence("hourly", at=time(0, at_minute))


def every_minutes(minutes: int) -> Cadence:
    return Cadence("minutes", minutes=minutes)


@dataclass(frozen=True)
class JobContext:
    """What a job's run is given: the service's settings, the moment the run started (UTC), the
    period it runs for, and short transactions of its own."""

    settings: Settings
    now: datetime
    period_key: str
    period_start: datetime  # local time of the city
    transactions: Transactions


# What a run did, counted: {"granted": 120, "skipped": 3}.
Counts = Mapping[str, int]


@dataclass(frozen=True)
class Job:
    """A domain's periodic work. ``name`` is stable and dotted by domain
    ("benefits.monthly_grant"): the record of every run is kept under it."""

    name: str
    cadence: Cadence
    run: Callable[[JobContext], Counts]
    attempts: int = 5  # tries in all before a period's run is given up as failed
    backoff_seconds: float = 30.0  # before the second try; doubled before each next one


@dataclass(frozen=True)
class Drain:
    """A domain's queue, emptied by every worker: ``run`` takes what is due, claims it, does it,
    and says how many items it did (0 when the queue was empty)."""

    name: str
    run: Callable[[JobContext], int]
    every_seconds: float = 2.0
