"""Every query of the jobs' runs.

A run is claimed in a short transaction: a new period's by inserting its row (``ON CONFLICT DO
NOTHING``: the unique job and period let one worker in), a retry's or a lapsed lease's by locking
the row with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer at a time, ``BEGIN
IMMEDIATE``, and renders no lock clause) and updating it. One path for both databases.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from jobs.models import JobRun, RunStatus
from kernel.kit.inserts import insert_if_absent


class JobRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_periods(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], JobRun]:
        """The runs of these (job, period) pairs that exist, by pair."""
        if not keys:
            return {}
        jobs = {job for job, _ in keys}
        periods = {period for _, period in keys}
        found = self.session.scalars(
            select(JobRun).where(JobRun.job.in_(jobs), JobRun.period_key.in_(periods))
        )
        return {
            (run.job, run.period_key): run for run in found if (run.job, run.period_key) in keys
        }

    def insert_running(
        self,
        *,
        job: str,
        period_key: str,
        worker: str,
        now: datetime,
        lease_until: datetime,
    ) -> uuid.UUID | None:
        """The new run's id, or None when the period's row is there already (another worker's)."""
        statement = (
            insert_if_absent(self.session, JobRun)
            .values(
                id=uuid.uuid4(),
                job=job,
                period_key=period_key,
                status=RunStatus.running.value,
                attempt=1,
                started_at=now,
                lease_until=lease_until,
                worker=worker,
                created_at=now,
            )
            .returning(JobRun.id)
        )
        found: uuid.UUID | None = self.session.execute(statement).scalar_one_or_none()
        return found

    def claimable(self, job: str, period_key: str, now: datetime) -> JobRun | None:
        """The period's run, locked, when it may be taken again now: a retry whose back-off is
        over, or a run whose worker let its lease lapse; None when it may not, or another worker
        holds it."""
        statement = (
            select(JobRun)
            .where(
                JobRun.job == job,
                JobRun.period_key == period_key,
                _due(now),
            )
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(statement).one_or_none()

    def give_up_earlier(self, job: str, period_key: str, now: datetime) -> int:
        """Runs of the job's earlier periods that were still to be retried, or whose worker died:
        their period is over, so they are recorded failed."""
        result = self.session.execute(
            update(JobRun)
            .where(
                JobRun.job == job,
                JobRun.period_key != period_key,
                or_(
                    JobRun.status == RunStatus.retrying.value,
                    and_(JobRun.status == RunStatus.running.value, JobRun.lease_until < now),
                ),
            )
            .values(
                status=RunStatus.failed.value,
                finished_at=now,
                next_attempt_at=None,
                lease_until=None,
                error=func.coalesce(JobRun.error, "the period ended before the run succeeded"),
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def forget_older(self, job: str, keep: int) -> None:
        """Only the job's newest ``keep`` runs are kept (those still under way are kept too)."""
        oldest_kept = (
            select(JobRun.started_at)
            .where(JobRun.job == job)
            .order_by(JobRun.started_at.desc())
            .offset(keep - 1)
            .limit(1)
            .scalar_subquery()
        )
        self.session.execute(
            delete(JobRun)
            .where(
                JobRun.job == job,
                JobRun.started_at < oldest_kept,
                JobRun.status.in_((RunStatus.succeeded.value, RunStatus.failed.value)),
            )
            .execution_options(synchronize_session=False)
        )

    def settle(self, run_id: uuid.UUID, attempt: int, **values: Any) -> bool:
        """Write an attempt's outcome, if the run is still that attempt (a worker whose lease
        lapsed and whose run was taken again writes nothing)."""
        result = self.session.execute(
            update(JobRun)
            .where(
                JobRun.id == run_id,
                JobRun.attempt == attempt,
                JobRun.status == RunStatus.running.value,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def renew(self, run_id: uuid.UUID, attempt: int, lease_until: datetime) -> bool:
        return self.settle(run_id, attempt, lease_until=lease_until)

    def recent(self, jobs: Collection[str], per_job: int) -> Sequence[JobRun]:
        """The newest ``per_job`` runs of each job, newest first, in one query."""
        if not jobs:
            return []
        rank = (
            func.row_number()
            .over(partition_by=JobRun.job, order_by=(JobRun.started_at.desc(), JobRun.id))
            .label("rank")
        )
        ranked = select(JobRun.id, rank).where(JobRun.job.in_(jobs)).subquery()
        statement = (
            select(JobRun)
            .join(ranked, ranked.c.id == JobRun.id)
            .where(ranked.c.rank <= per_job)
            .order_by(JobRun.job, JobRun.started_at.desc(), JobRun.id)
        )
        return self.session.scalars(statement).all()


def _due(now: datetime) -> Any:
    return or_(
        and_(JobRun.status == RunStatus.retrying.value, JobRun.next_attempt_at <= now),
        and_(JobRun.status == RunStatus.running.value, JobRun.lease_until < now),
    )


def runs_by_status(session: Session) -> list[tuple[str, str, int]]:
    """How many periods each job has a run for, by that run's status: one grouped query."""
    rows = session.execute(
        select(JobRun.job, JobRun.status, func.count()).group_by(JobRun.job, JobRun.status)
    ).all()
    return [(str(job), str(status), int(count)) for job, status, count in rows]
