"""records kept for a time: a parking session can lose its vehicle and plate, and a card token's
use can be deleted once two hours old (its token lived an hour at most)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USES = "cashback_card_token_uses"
RUNNING = sa.text("stopped_at IS NULL")


def _token_uses_trigger(deletable: bool) -> None:
    """A use is never updated; deleted only once two hours old when ``deletable``, else never: a
    card token lives an hour at most (``card_token_ttl_seconds``) and verifiers allow five minutes
    of leeway, so a deleted use can never let its token be used again."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        old_enough = (
            "IF TG_OP = 'DELETE' AND OLD.created_at < now() - interval '2 hours' THEN "
            "RETURN OLD; END IF;"
            if deletable
            else ""
        )
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {USES}_append_only() RETURNS trigger AS $$
            BEGIN
                {old_enough}
                RAISE EXCEPTION '{USES} is append-only: % is not allowed', TG_OP
                    USING ERRCODE = 'raise_exception';
            END;
            $$ LANGUAGE plpgsql
            """
        )
    elif dialect == "sqlite":
        when = (
            " WHEN OLD.created_at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-2 hours')"
            if deletable
            else ""
        )
        op.execute(f"DROP TRIGGER IF EXISTS {USES}_no_delete")
        op.execute(
            f"CREATE TRIGGER {USES}_no_delete BEFORE DELETE ON {USES}{when} "
            f"BEGIN SELECT RAISE(ABORT, '{USES} is append-only: DELETE is not allowed'); END"
        )


def _running_index(create: bool) -> None:
    if create:
        op.create_index(
            "uq_parking_sessions_plate_running",
            "parking_sessions",
            ["plate"],
            unique=True,
            sqlite_where=RUNNING,
            postgresql_where=RUNNING,
        )
    else:
        op.drop_index("uq_parking_sessions_plate_running", table_name="parking_sessions")


def upgrade() -> None:
    _token_uses_trigger(deletable=True)
    _running_index(create=False)
    with op.batch_alter_table("parking_sessions", schema=None) as batch_op:
        batch_op.alter_column("plate", existing_type=sa.String(length=8), nullable=True)
        batch_op.alter_column("vehicle_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    _running_index(create=True)


def downgrade() -> None:
    _running_index(create=False)
    with op.batch_alter_table("parking_sessions", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
        batch_op.alter_column("vehicle_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("plate", existing_type=sa.String(length=8), nullable=False)
    _running_index(create=True)
    _token_uses_trigger(deletable=False)
