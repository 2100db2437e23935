"""card devices: phones that sign their card's tokens, and wrong typed codes counted per hour

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_devices",
        sa.Column("card_id", sa.Uuid(), nullable=False),
        sa.Column("kid", sa.String(length=24), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("public_x", sa.String(length=43), nullable=False),
        sa.Column("public_y", sa.String(length=43), nullable=False),
        sa.Column("code_prefix", sa.String(length=6), nullable=False),
        sa.Column("code_secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_card_devices_card_id_cards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_devices")),
        sa.UniqueConstraint("kid", name=op.f("uq_card_devices_kid")),
    )
    op.create_index(op.f("ix_card_devices_card_id"), "card_devices", ["card_id"])
    op.create_index(op.f("ix_card_devices_code_prefix"), "card_devices", ["code_prefix"])
    op.create_table(
        "card_code_misses",
        sa.Column("verifier", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_code_misses")),
        sa.UniqueConstraint(
            "verifier", "window_start", name=op.f("uq_card_code_misses_verifier_window_start")
        ),
    )


def downgrade() -> None:
    op.drop_table("card_code_misses")
    op.drop_index(op.f("ix_card_devices_code_prefix"), table_name="card_devices")
    op.drop_index(op.f("ix_card_devices_card_id"), table_name="card_devices")
    op.drop_table("card_devices")
