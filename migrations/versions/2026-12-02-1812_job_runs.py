"""every run of a periodic job, once per period

``job_runs`` holds one row per job and period: the worker that inserts it runs the job; a failed
run is retried on the same row with back-off, and a running row whose lease lapsed (its worker
died) is taken again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:12:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("period_key", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'retrying', 'failed')",
            name=op.f("ck_job_runs_known_status"),
        ),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_job_runs_attempt_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "period_key", name=op.f("uq_job_runs_job_period_key")),
    )
    op.create_index("ix_job_runs_job_started", "job_runs", ["job", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_job_runs_job_started", table_name="job_runs")
    op.drop_table("job_runs")
