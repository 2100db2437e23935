"""what a release moved, kept on its purchase, for the campaigns' figures to read from an index

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cashback_purchases", sa.Column("released_agorot", sa.BigInteger(), nullable=True)
    )
    # Every purchase released so far: what its hold's capture moved (a hold that expired, or was
    # let go at an erasure, moved nothing and stays empty).
    op.execute(
        "UPDATE cashback_purchases SET released_agorot = ("
        " SELECT ledger_holds.captured_amount FROM ledger_holds"
        " WHERE ledger_holds.id = cashback_purchases.hold_id"
        " AND ledger_holds.status = 'captured')"
        " WHERE released_at IS NOT NULL AND hold_id IS NOT NULL"
    )
    op.drop_index("ix_cashback_purchases_released_at_available_at", table_name="cashback_purchases")
    op.create_index(
        "ix_cashback_purchases_released_at_available_at",
        "cashback_purchases",
        ["released_at", "available_at", "campaign_id", "released_agorot"],
    )


def downgrade() -> None:
    op.drop_index("ix_cashback_purchases_released_at_available_at", table_name="cashback_purchases")
    op.create_index(
        "ix_cashback_purchases_released_at_available_at",
        "cashback_purchases",
        ["released_at", "available_at"],
    )
    with op.batch_alter_table("cashback_purchases") as batch:
        batch.drop_column("released_agorot")
