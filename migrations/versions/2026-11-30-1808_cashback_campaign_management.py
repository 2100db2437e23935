"""cashback campaigns an admin can pause, end early and change; purchases keep their rate

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cashback_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("returned_agorot", sa.BigInteger(), nullable=False, server_default="0")
        )
    # A purchase records the rate it got: a campaign's rate may change for later purchases.
    with op.batch_alter_table("cashback_purchases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_bp", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE cashback_purchases SET rate_bp = (SELECT c.rate_bp FROM cashback_campaigns c "
        "WHERE c.id = cashback_purchases.campaign_id)"
    )
    with op.batch_alter_table("cashback_purchases", schema=None) as batch_op:
        batch_op.alter_column("rate_bp", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("cashback_purchases", schema=None) as batch_op:
        batch_op.drop_column("rate_bp")
    with op.batch_alter_table("cashback_campaigns", schema=None) as batch_op:
        batch_op.drop_column("returned_agorot")
        batch_op.drop_column("ended_at")
        batch_op.drop_column("paused_at")
