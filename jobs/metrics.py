"""What the operators' /metrics shows of the jobs: the runs the worker (another process) made,
read from their record when /metrics is read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from jobs import repository
from kernel.metrics import Metrics, Reading, Samples


def _runs(session: Session) -> Samples:
    return [((job, status), count) for job, status, count in repository.runs_by_status(session)]


RUNS = Reading(
    "toshav_job_runs",
    "Periods each job has run for, by the status of the run: running, succeeded, retrying after a "
    "failure, or failed (given up).",
    ("job", "status"),
    _runs,
)
METRICS: Metrics = (RUNS,)
