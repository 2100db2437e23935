"""The jobs as admins and auditors see them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from jobs import timetable
from jobs.schemas import CadenceOut, JobOut, JobRunOut, JobsOut
from jobs.service.overview import JobRecord, job_records
from kernel.database import DbSession
from kernel.errors import Forbidden, NotAuthenticated, Unprocessable, responses
from kernel.schedule import Job
from resident_card.accounts.dependencies import StaffReader

router = APIRouter(tags=["jobs"])


def _cadence(record: JobRecord) -> CadenceOut:
    work = record.entry.work
    if not isinstance(work, Job):
        return CadenceOut(kind="seconds", seconds=work.every_seconds)
    cadence = work.cadence
    at = cadence.at.strftime("%H:%M")
    if cadence.kind == "monthly":
        return CadenceOut(kind="monthly", day=cadence.day, at=at)
    if cadence.kind == "daily":
        return CadenceOut(kind="daily", at=at)
    if cadence.kind == "hourly":
        return CadenceOut(kind="hourly", at=at)
    return CadenceOut(kind="minutes", minutes=cadence.minutes)


def _job(record: JobRecord) -> JobOut:
    work = record.entry.work
    return JobOut(
        name=work.name,
        domain=record.entry.domain,
        kind="job" if isinstance(work, Job) else "drain",
        cadence=_cadence(record),
        attempts=work.attempts if isinstance(work, Job) else None,
        backoff_seconds=work.backoff_seconds if isinstance(work, Job) else None,
        runs=[
            JobRunOut(
                period_key=run.period_key,
                status=run.status,
                attempt=run.attempt,
                started_at=run.started_at,
                finished_at=run.finished_at,
                next_attempt_at=run.next_attempt_at,
                worker=run.worker,
                counts=run.counts or {},
                error=run.error,
            )
            for run in record.runs
        ],
    )


@router.get(
    "/admin/jobs",
    response_model=JobsOut,
    responses=responses(NotAuthenticated, Forbidden, Unprocessable),
)
def list_jobs(
    caller: StaffReader,
    session: DbSession,
    runs: Annotated[int, Query(ge=1, le=100)] = 10,
) -> JobsOut:
    """Every job of the enabled domains, its cadence and its newest runs (admin, auditor)."""
    records = job_records(session, timetable.installed(), runs=runs)
    return JobsOut(items=[_job(record) for record in records], runs_per_job=runs)
