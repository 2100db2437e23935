"""What admins and auditors read of the jobs: each job, its cadence, its recent runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class CadenceOut(BaseModel):
    """How often it runs: ``monthly`` on ``day`` at ``at``, ``daily`` at ``at``, ``hourly`` at
    minute ``at``, every ``minutes``, or (a drain) every ``seconds``; times in the city's zone."""

    kind: Literal["monthly", "daily", "hourly", "minutes", "seconds"]
    day: int | None = None
    at: str | None = None  # HH:MM
    minutes: int | None = None
    seconds: float | None = None


class JobRunOut(BaseModel):
    period_key: str
    status: Literal["running", "succeeded", "retrying", "failed"]
    attempt: int
    started_at: datetime
    finished_at: datetime | None
    next_attempt_at: datetime | None
    worker: str
    counts: dict[str, int]
    error: str | None


class JobOut(BaseModel):
    name: str
    domain: str
    kind: Literal["job", "drain"]
    cadence: CadenceOut
    attempts: int | None  # a job's tries in all; a drain is simply called again
    backoff_seconds: float | None
    runs: list[JobRunOut]  # newest first; a drain records none


class JobsOut(BaseModel):
    items: list[JobOut]
    runs_per_job: int
