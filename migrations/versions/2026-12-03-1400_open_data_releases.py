"""open data releases: the publication worked out at night, for requests to answer from

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open_data_releases",
        sa.Column("first_month", sa.String(length=7), nullable=False),
        sa.Column("last_month", sa.String(length=7), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("resources", sa.String(length=400), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_data_releases")),
        sa.UniqueConstraint(
            "first_month",
            "last_month",
            "k",
            "resources",
            name=op.f("uq_open_data_releases_first_month_last_month_k_resources"),
        ),
    )


def downgrade() -> None:
    op.drop_table("open_data_releases")
