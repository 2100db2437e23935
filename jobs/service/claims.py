"""Claiming a period's run, and recording what became of it.

The first worker to insert a (job, period) row runs that period's job; nobody else does while it
runs. A failed attempt is retried on the same row after ``backoff_seconds``, doubled each time, up
to the job's ``attempts``; then the run is recorded failed. A running row whose lease lapsed (its
worker died) counts as a failed attempt and is taken again like a retry. Each function here is one
short transaction's work (``JobContext.transactions``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from jobs.models import RunStatus
from jobs.repository import JobRunRepository

ERROR_LENGTH = 500
LAPSED = "the worker running it stopped before it finished"
# Runs kept per job: months of a frequent job's, decades of a monthly one's.
KEPT_RUNS = 500


@dataclass(frozen=True)
class Claim:
    """A run this worker holds: its row and the attempt it is on."""

    run_id: uuid.UUID
    attempt: int


@dataclass(frozen=True)
class Seen:
    """What a worker read of a period's run, to tell whether it may be claimed now."""

    status: str
    next_attempt_at: datetime | None
    lease_until: datetime | None

    def claimable(self, now: datetime) -> bool:
        if self.status == RunStatus.retrying:
            return self.next_attempt_at is not None and self.next_attempt_at <= now
        if self.status == RunStatus.running:
            return self.lease_until is not None and self.lease_until < now
        return False


def seen(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Seen]:
    """The periods' runs there are, by (job, period)."""
    return {
        key: Seen(run.status, run.next_attempt_at, run.lease_until)
        for key, run in JobRunRepository(session).of_periods(keys).items()
    }


def claim(
    session: Session,
    *,
    job: str,
    period_key: str,
    attempts: int,
    worker: str,
    now: datetime,
    lease_seconds: float,
) -> Claim | None:
    """The period's run for this worker, or None when another has it, it is done, or its next
    attempt is not due. The first claim of a period also records the job's earlier periods still
    left to retry as failed (their period is over) and forgets all but the job's newest runs."""
    runs = JobRunRepository(session)
    lease_until = now + timedelta(seconds=lease_seconds)
    worker = worker[:100]
    run_id = runs.insert_running(
        job=job, period_key=period_key, worker=worker, now=now, lease_until=lease_until
    )
    if run_id is not None:
        runs.give_up_earlier(job, period_key, now)
        runs.forget_older(job, KEPT_RUNS)
        return Claim(run_id, 1)
    run = runs.claimable(job, period_key, now)
    if run is None:
        return None
    if run.status == RunStatus.running:  # its worker died: that attempt failed
        run.error = LAPSED
        if run.attempt >= attempts:
            run.status = RunStatus.failed.value
            run.finished_at = now
            run.lease_until = None
            session.flush()
            return None
    run.status = RunStatus.running.value
    run.attempt += 1
    run.started_at = now
    run.finished_at = None
    run.next_attempt_at = None
    run.lease_until = lease_until
    run.worker = worker
    session.flush()
    return Claim(run.id, run.attempt)


def renew(session: Session, held: Claim, *, now: datetime, lease_seconds: float) -> bool:
    """Keep holding a run that is still going; False when it is no longer this worker's."""
    return JobRunRepository(session).renew(
        held.run_id, held.attempt, now + timedelta(seconds=lease_seconds)
    )


def succeeded(session: Session, held: Claim, *, counts: Mapping[str, int], now: datetime) -> bool:
    return JobRunRepository(session).settle(
        held.run_id,
        held.attempt,
        status=RunStatus.succeeded.value,
        finished_at=now,
        lease_until=None,
        next_attempt_at=None,
        counts={str(key): int(value) for key, value in counts.items()},
        error=None,
    )


def backoff(backoff_seconds: float, attempt: int) -> timedelta:
    """The wait after a failed ``attempt`` (1, 2, …): ``backoff_seconds``, doubled each time."""
    return timedelta(seconds=backoff_seconds * 2 ** (attempt - 1))


def failed(
    session: Session,
    held: Claim,
    *,
    error: str,
    attempts: int,
    backoff_seconds: float,
    now: datetime,
) -> str:
    """Record a failed attempt: to be retried after its back-off, or, after the last attempt,
    failed for good. Says which (the run's new status)."""
    status = RunStatus.retrying if held.attempt < attempts else RunStatus.failed
    JobRunRepository(session).settle(
        held.run_id,
        held.attempt,
        status=status.value,
        finished_at=now,
        lease_until=None,
        next_attempt_at=(
            now + backoff(backoff_seconds, held.attempt) if status == RunStatus.retrying else None
        ),
        error=error[:ERROR_LENGTH],
    )
    return status.value
