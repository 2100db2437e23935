"""refresh tokens remember what they were rotated into, and the key of the request that did it

A refresh whose answer was lost can then be sent again with its Idempotency-Key and get a new
pair, instead of being taken for a stolen token.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("successor_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("retry_key_hash", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_refresh_tokens_successor_id_refresh_tokens"),
            "refresh_tokens",
            ["successor_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_refresh_tokens_successor_id_refresh_tokens"), type_="foreignkey"
        )
        batch_op.drop_column("retry_key_hash")
        batch_op.drop_column("successor_id")
