"""identity claims: an enrolment that gave an identifier another record holds waits for a clerk

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_claims",
        sa.Column("claimant_id", sa.Uuid(), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=False),
        sa.Column("matches_record", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("holder_told_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'accepted', 'refused')",
            name=op.f("ck_identity_claims_state_known"),
        ),
        sa.CheckConstraint("claimant_id <> holder_id", name=op.f("ck_identity_claims_not_self")),
        sa.ForeignKeyConstraint(
            ["claimant_id"], ["residents.id"], name=op.f("fk_identity_claims_claimant_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["residents.id"], name=op.f("fk_identity_claims_holder_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_identity_claims_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_claims")),
        sa.UniqueConstraint("claimant_id", name=op.f("uq_identity_claims_claimant_id")),
    )
    with op.batch_alter_table("identity_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_claims_holder_id"), ["holder_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_identity_claims_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_claims_state"))
        batch_op.drop_index(batch_op.f("ix_identity_claims_holder_id"))
    op.drop_table("identity_claims")
