"""city notices: a clerk's notice for some neighbourhoods or the whole city, and who read it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulletins",
        sa.Column("title_he", sa.String(length=300), nullable=False),
        sa.Column("title_ar", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("body_he", sa.String(length=4000), nullable=False),
        sa.Column("body_ar", sa.String(length=4000), nullable=False),
        sa.Column("body_en", sa.String(length=4000), nullable=False),
        sa.Column("whole_city", sa.Boolean(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("shown_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_by", sa.Uuid(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("first_day <= last_day", name=op.f("ck_bulletins_days_ordered")),
        sa.ForeignKeyConstraint(
            ["posted_by"],
            ["users.id"],
            name=op.f("fk_bulletins_posted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"],
            ["users.id"],
            name=op.f("fk_bulletins_withdrawn_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
    )
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bulletins_last_day_first_day", ["last_day", "first_day"], unique=False
        )
    op.create_table(
        "bulletin_neighbourhoods",
        sa.Column("bulletin_id", sa.Uuid(), nullable=False),
        sa.Column("neighbourhood_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_neighbourhoods_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["neighbourhood_id"],
            ["neighbourhoods.id"],
            name=op.f("fk_bulletin_neighbourhoods_neighbourhood_id_neighbourhoods"),
        ),
        sa.PrimaryKeyConstraint(
            "bulletin_id", "neighbourhood_id", name=op.f("pk_bulletin_neighbourhoods")
        ),
    )
    with op.batch_alter_table("bulletin_neighbourhoods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_neighbourhoods_neighbourhood_id"),
            ["neighbourhood_id"],
            unique=False,
        )
    op.create_table(
        "bulletin_reads",
        sa.Column("bulletin_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_reads_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["users.id"],
            name=op.f("fk_bulletin_reads_account_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bulletin_id", "account_id", name=op.f("pk_bulletin_reads")),
    )
    with op.batch_alter_table("bulletin_reads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_reads_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bulletin_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_reads_account_id"))
    op.drop_table("bulletin_reads")
    with op.batch_alter_table("bulletin_neighbourhoods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_neighbourhoods_neighbourhood_id"))
    op.drop_table("bulletin_neighbourhoods")
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.drop_index("ix_bulletins_last_day_first_day")
    op.drop_table("bulletins")
