"""limits on volume: shared rate counters, and failed sign-ins counted per username and client

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    op.create_index("ix_rate_counters_expires_at", "rate_counters", ["expires_at"])
    # Failures counted for the old rule (per username alone) last minutes: they are not carried over.
    op.execute("DELETE FROM login_failures")
    op.add_column(
        "login_failures",
        sa.Column("client", sa.String(length=32), server_default="", nullable=False),
    )
    op.drop_index("ix_login_failures_username_created_at", table_name="login_failures")
    op.create_index(
        "ix_login_failures_username_client_created_at",
        "login_failures",
        ["username", "client", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_login_failures_username_client_created_at", table_name="login_failures")
    op.create_index(
        "ix_login_failures_username_created_at", "login_failures", ["username", "created_at"]
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_column("client")
    op.drop_index("ix_rate_counters_expires_at", table_name="rate_counters")
    op.drop_table("rate_counters")
