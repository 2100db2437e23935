"""parking zones, vehicles, permits, passes, sessions and inspections

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 18:06:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parking_zones",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_he", sa.String(length=120), nullable=False),
        sa.Column("name_ar", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "kind IN ('residential', 'lot')", name=op.f("ck_parking_zones_kind_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_zones")),
        sa.UniqueConstraint("code", name=op.f("uq_parking_zones_code")),
    )
    op.create_table(
        "parking_inspections",
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=6), nullable=False),
        sa.Column("plate", sa.String(length=8), nullable=True),
        sa.Column("pass_id", sa.String(length=16), nullable=True),
        sa.Column("zone_code", sa.String(length=32), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('pass', 'plate')", name=op.f("ck_parking_inspections_method_known")
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_parking_inspections_inspector_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_inspections")),
    )
    with op.batch_alter_table("parking_inspections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_inspections_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_parking_inspections_inspector_id"), ["inspector_id"], unique=False
        )

    op.create_table(
        "parking_zone_ranges",
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("from_number", sa.Integer(), nullable=False),
        sa.Column("to_number", sa.Integer(), nullable=False),
        sa.Column("parity", sa.String(length=4), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "parity IN ('all', 'odd', 'even')", name=op.f("ck_parking_zone_ranges_parity_known")
        ),
        sa.CheckConstraint(
            "from_number >= 1 AND from_number <= to_number",
            name=op.f("ck_parking_zone_ranges_numbers_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["streets.id"], name=op.f("fk_parking_zone_ranges_street_id_streets")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["parking_zones.id"],
            name=op.f("fk_parking_zone_ranges_zone_id_parking_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_zone_ranges")),
        sa.UniqueConstraint(
            "street_id",
            "from_number",
            "to_number",
            "parity",
            name=op.f("uq_parking_zone_ranges_street_id_from_number_to_number_parity"),
        ),
    )
    with op.batch_alter_table("parking_zone_ranges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parking_zone_ranges_street_id"), ["street_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_parking_zone_ranges_zone_id"), ["zone_id"], unique=False
        )

    op.create_table(
        "parking_vehicles",
        sa.Column("plate", sa.String(length=8), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("relation", sa.String(length=10), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "relation IN ('owner', 'user')", name=op.f("ck_parking_vehicles_relation_known")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_parking_vehicles_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_vehicles")),
    )
    with op.batch_alter_table("parking_vehicles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_vehicles_plate"), ["plate"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_parking_vehicles_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            "uq_parking_vehicles_plate_registered",
            ["plate"],
            unique=True,
            sqlite_where=sa.text("removed_at IS NULL"),
            postgresql_where=sa.text("removed_at IS NULL"),
        )

    op.create_table(
        "parking_permits",
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=True),
        sa.Column("plate", sa.String(length=8), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('refused', 'granted', 'cancelled', 'ended')",
            name=op.f("ck_parking_permits_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["eligibility_decisions.id"],
            name=op.f("fk_parking_permits_decision_id_eligibility_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_parking_permits_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["parking_vehicles.id"],
            name=op.f("fk_parking_permits_vehicle_id_parking_vehicles"),
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["parking_zones.id"], name=op.f("fk_parking_permits_zone_id_parking_zones")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_permits")),
    )
    with op.batch_alter_table("parking_permits", schema=None) as batch_op:
        batch_op.create_index("ix_parking_permits_plate_status", ["plate", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_parking_permits_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_parking_permits_vehicle_id"), ["vehicle_id"], unique=False
        )

    op.create_table(
        "parking_sessions",
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sa.String(length=8), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("free_minutes", sa.Integer(), nullable=True),
        sa.Column("paid_minutes", sa.Integer(), nullable=True),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stopped_at IS NULL OR (minutes >= 0 AND free_minutes >= 0 AND paid_minutes >= 0 AND free_minutes + paid_minutes = minutes)",
            name=op.f("ck_parking_sessions_minutes_add_up"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_parking_sessions_resident_id_residents"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_parking_sessions_transaction_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["parking_vehicles.id"],
            name=op.f("fk_parking_sessions_vehicle_id_parking_vehicles"),
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["parking_zones.id"],
            name=op.f("fk_parking_sessions_zone_id_parking_zones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_sessions")),
    )
    with op.batch_alter_table("parking_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parking_sessions_plate"), ["plate"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_parking_sessions_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            "uq_parking_sessions_plate_running",
            ["plate"],
            unique=True,
            sqlite_where=sa.text("stopped_at IS NULL"),
            postgresql_where=sa.text("stopped_at IS NULL"),
        )

    op.create_table(
        "parking_passes",
        sa.Column("pass_id", sa.String(length=16), nullable=False),
        sa.Column("permit_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sa.String(length=8), nullable=False),
        sa.Column("zone_code", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=2000), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["permit_id"],
            ["parking_permits.id"],
            name=op.f("fk_parking_passes_permit_id_parking_permits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_passes")),
        sa.UniqueConstraint("pass_id", name=op.f("uq_parking_passes_pass_id")),
        sa.UniqueConstraint("permit_id", name=op.f("uq_parking_passes_permit_id")),
    )
    with op.batch_alter_table("parking_passes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parking_passes_revoked_at"), ["revoked_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("parking_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_passes_revoked_at"))

    op.drop_table("parking_passes")
    with op.batch_alter_table("parking_sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_parking_sessions_plate_running",
            sqlite_where=sa.text("stopped_at IS NULL"),
            postgresql_where=sa.text("stopped_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_parking_sessions_resident_id"))
        batch_op.drop_index(batch_op.f("ix_parking_sessions_plate"))

    op.drop_table("parking_sessions")
    with op.batch_alter_table("parking_permits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_permits_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_parking_permits_resident_id"))
        batch_op.drop_index("ix_parking_permits_plate_status")

    op.drop_table("parking_permits")
    with op.batch_alter_table("parking_vehicles", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_parking_vehicles_plate_registered",
            sqlite_where=sa.text("removed_at IS NULL"),
            postgresql_where=sa.text("removed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_parking_vehicles_resident_id"))
        batch_op.drop_index(batch_op.f("ix_parking_vehicles_plate"))

    op.drop_table("parking_vehicles")
    with op.batch_alter_table("parking_zone_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_zone_ranges_zone_id"))
        batch_op.drop_index(batch_op.f("ix_parking_zone_ranges_street_id"))

    op.drop_table("parking_zone_ranges")
    with op.batch_alter_table("parking_inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parking_inspections_inspector_id"))
        batch_op.drop_index(batch_op.f("ix_parking_inspections_at"))

    op.drop_table("parking_inspections")
    op.drop_table("parking_zones")
