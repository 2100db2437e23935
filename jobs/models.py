"""The record of a periodic job's runs: one row per job and period, kept after the run."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, utcnow


class RunStatus(enum.StrEnum):
    running = "running"  # a worker holds it until ``lease_until`` (renewed while it runs)
    succeeded = "succeeded"
    retrying = "retrying"  # failed; tried again from ``next_attempt_at``
    failed = "failed"  # failed ``attempts`` times: given up for its period


class JobRun(Base):
    """A job's run for one period (``2026-12``, ``2026-12-03``): the first worker to insert the
    row runs it; a retry or a run whose worker died is claimed by updating the row."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "period_key"),
        CheckConstraint(
            "status IN ('running', 'succeeded', 'retrying', 'failed')", name="known_status"
        ),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        Index("ix_job_runs_job_started", "job", "started_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job: Mapped[str] = mapped_column(String(100))
    period_key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int]
    started_at: Mapped[datetime]  # of the latest attempt
    finished_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    worker: Mapped[str] = mapped_column(String(100))
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
