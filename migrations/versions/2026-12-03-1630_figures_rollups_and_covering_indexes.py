"""figures at a city's scale: the uptake rollup by day, its mark, and indexes the figures read alone

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The purchases' figures (by business, resident, campaign and month) read from the index alone.
PURCHASE_FIGURES = (
    "merchant_id",
    "created_at",
    "resident_id",
    "campaign_id",
    "amount_agorot",
    "refunded_agorot",
    "cashback_agorot",
    "cashback_returned_agorot",
)


def upgrade() -> None:
    op.create_table(
        "figure_rollup_marks",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("through", sa.BigInteger(), nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_figure_rollup_marks")),
    )
    op.create_table(
        "uptake_used_days",
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("purpose", "day", name=op.f("pk_uptake_used_days")),
    )
    op.create_index(
        "ix_allowance_grants_created_at_programme_id_resident_id_amount",
        "allowance_grants",
        ["created_at", "programme_id", "resident_id", "amount"],
    )
    op.drop_index("ix_cashback_purchases_merchant_id_created_at", table_name="cashback_purchases")
    op.create_index(
        "ix_cashback_purchases_merchant_id_created_at",
        "cashback_purchases",
        list(PURCHASE_FIGURES),
    )


def downgrade() -> None:
    op.drop_index("ix_cashback_purchases_merchant_id_created_at", table_name="cashback_purchases")
    op.create_index(
        "ix_cashback_purchases_merchant_id_created_at",
        "cashback_purchases",
        ["merchant_id", "created_at"],
    )
    op.drop_index(
        "ix_allowance_grants_created_at_programme_id_resident_id_amount",
        table_name="allowance_grants",
    )
    op.drop_table("uptake_used_days")
    op.drop_table("figure_rollup_marks")
