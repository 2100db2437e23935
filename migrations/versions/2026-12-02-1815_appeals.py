"""appeals against refused decisions, and decisions that answer them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.append_only import protect, unprotect

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'submitted'")


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'granted', 'refused')", name=op.f("ck_appeals_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["eligibility_decisions.id"],
            name=op.f("fk_appeals_decision_id_eligibility_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_appeals_programme_id_programmes")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_appeals_submitted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_appeals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_appeals_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(
            "uq_appeals_open_decision",
            ["decision_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
        batch_op.create_index(
            "ix_appeals_resident_created", ["resident_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_appeals_status_created", ["status", "created_at"], unique=False)

    # SQLite's batch copies the table anew, without its triggers: they are made again after it.
    unprotect("eligibility_decisions")
    with op.batch_alter_table("eligibility_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appeal_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_eligibility_decisions_appeal_id_appeals"), "appeals", ["appeal_id"], ["id"]
        )
    protect("eligibility_decisions")


def downgrade() -> None:
    unprotect("eligibility_decisions")
    with op.batch_alter_table("eligibility_decisions", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_eligibility_decisions_appeal_id_appeals"), type_="foreignkey"
        )
        batch_op.drop_column("appeal_id")
    protect("eligibility_decisions")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_status_created")
        batch_op.drop_index("ix_appeals_resident_created")
        batch_op.drop_index("uq_appeals_open_decision")
    op.drop_table("appeals")
