"""What the jobs' tests share: workers (tickers) over a fresh database or over the test's session,
and jobs that count their runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.models import JobRun
from jobs.service.ticks import Ticker
from kernel.clock import Clock, SetClock
from kernel.database import make_sessionmaker, own_transaction
from kernel.schedule import Counts, Drain, Job, JobContext
from kernel.settings import Settings
from tests.conftest import FreshDatabase

T = TypeVar("T")


@dataclass
class Counter:
    """A job's body that counts its calls, fails its first ``failures`` calls, and may dawdle."""

    failures: int = 0
    seconds: float = 0.0
    calls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, context: JobContext) -> Counts:
        with self.lock:
            self.calls.append(context.period_key)
            failing = len(self.calls) <= self.failures
        if self.seconds:
            threading.Event().wait(self.seconds)
        if failing:
            raise RuntimeError(f"failure number {len(self.calls)}")
        return {"done": 1}


def worker_on(
    database: FreshDatabase, clock: Clock, name: str, work: Sequence[Job | Drain]
) -> Ticker:
    """A worker over a fresh database, committing as a real one does."""
    return Ticker(
        settings=database.settings,
        work=work,
        transactions=partial(own_transaction, make_sessionmaker(database.engine)),
        clock=clock,
        worker=name,
        lease_seconds=60,
    )


class InSession:
    """Transactions that are the test's own session (rolled back at its end)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self, work: Callable[[Session], T]) -> T:
        done = work(self.session)
        self.session.flush()
        return done


def worker_in(
    session: Session, settings: Settings, clock: SetClock, work: Sequence[Job | Drain]
) -> Ticker:
    return Ticker(
        settings=settings,
        work=work,
        transactions=InSession(session),
        clock=clock,
        worker="test-worker",
        lease_seconds=60,
    )


def runs_of(session: Session, job: str) -> list[JobRun]:
    return list(
        session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.started_at))
    )
