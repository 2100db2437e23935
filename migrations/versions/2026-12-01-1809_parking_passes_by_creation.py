"""parking passes found by when they were made: inspection reads the newly issued ones often

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:09:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_parking_passes_created_at", "parking_passes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_parking_passes_created_at", table_name="parking_passes")
