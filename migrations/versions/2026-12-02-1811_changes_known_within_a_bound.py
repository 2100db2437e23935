"""changes counted as they commit, and passes that can be re-issued under another key

``change_counters`` holds one counter per topic, raised by triggers in the transaction that makes
the change (on PostgreSQL each change is also told on the ``toshav_changes`` channel), so every
process can tell within a bound whether what it holds in memory is still what the database says.
A permit may have several passes over its life (the old one revoked when a new one is issued), and
each pass records the kid of the key that signed it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:11:00
"""

import base64
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, topic, the events that count as a change of it)
WATCHED = (
    ("parking_passes", "parking", ("UPDATE OF revoked_at", "DELETE")),
    ("parking_zones", "parking", ("INSERT", "UPDATE", "DELETE")),
    ("signing_keys", "credentials", ("INSERT", "UPDATE", "DELETE")),
)

POSTGRES_FUNCTION = """
CREATE FUNCTION toshav_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counted bigint;
BEGIN
    UPDATE change_counters SET changes = changes + 1 WHERE topic = TG_ARGV[0]
        RETURNING changes INTO counted;
    PERFORM pg_notify('toshav_changes', TG_ARGV[0] || ':' || counted);
    RETURN NULL;
END
$$
"""


def _kid_of(token: str) -> str:
    header = token.split(".", 1)[0]
    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    return str(decoded.get("kid", ""))[:16]


def upgrade() -> None:
    op.create_table(
        "change_counters",
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_change_counters")),
    )
    op.bulk_insert(
        sa.table(
            "change_counters", sa.column("topic", sa.String), sa.column("changes", sa.Integer)
        ),
        [{"topic": "parking", "changes": 0}, {"topic": "credentials", "changes": 0}],
    )
    with op.batch_alter_table("parking_passes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_parking_passes_permit_id"), type_="unique")
        batch_op.create_index(
            batch_op.f("ix_parking_passes_permit_id"), ["permit_id"], unique=False
        )
        batch_op.add_column(sa.Column("kid", sa.String(length=16), nullable=True))
    connection = op.get_bind()
    passes = sa.table(
        "parking_passes", sa.column("id", sa.Uuid()), sa.column("token"), sa.column("kid")
    )
    for row in connection.execute(sa.select(passes.c.id, passes.c.token)).all():
        connection.execute(
            passes.update().where(passes.c.id == row.id).values(kid=_kid_of(row.token))
        )
    with op.batch_alter_table("parking_passes", schema=None) as batch_op:
        batch_op.alter_column("kid", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_index(batch_op.f("ix_parking_passes_kid"), ["kid"], unique=False)

    if connection.dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table, topic, events in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_changed AFTER {' OR '.join(events)} ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION toshav_count_change('{topic}')"
            )
    else:
        for table, topic, events in WATCHED:
            for event in events:
                name = f"{table}_{event.split()[0].lower()}_changed"
                count = f"UPDATE change_counters SET changes = changes + 1 WHERE topic = '{topic}'"  # noqa: S608 - constants
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {count}; END")


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for table, _, _ in WATCHED:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
        op.execute("DROP FUNCTION toshav_count_change()")
    else:
        for table, _, events in WATCHED:
            for event in events:
                op.execute(f"DROP TRIGGER {table}_{event.split()[0].lower()}_changed")
    with op.batch_alter_table("parking_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_passes_kid"))
        batch_op.drop_column("kid")
        batch_op.drop_index(batch_op.f("ix_parking_passes_permit_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_parking_passes_permit_id"), ["permit_id"])
    op.drop_table("change_counters")
