"""Parking zones and their streets, vehicles, resident permits and their passes, parking sessions,
and inspections."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin
from resident_card.city.models import NamedInThreeLanguages


class ZoneKind(StrEnum):
    residential = "residential"  # residents of the zone park there with a permit
    lot = "lot"  # a municipal car park: parking sessions, no permits


class ParkingZone(RecordMixin, NamedInThreeLanguages, Base):
    """An area where residents of its streets may park; or a municipal car park."""

    __tablename__ = "parking_zones"
    __table_args__ = (CheckConstraint("kind IN ('residential', 'lot')", name="kind_known"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default=ZoneKind.residential.value)
    # Its outline as a GeoJSON geometry (a Polygon or MultiPolygon of [longitude, latitude]), if drawn.
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ZoneStreetRange(RecordMixin, Base):
    """House numbers ``from_number``..``to_number`` (inclusive) of a street lie in a parking zone.

    A separate mapping from the city's neighbourhoods: zones follow the parking authority's lines.
    """

    __tablename__ = "parking_zone_ranges"
    __table_args__ = (
        UniqueConstraint("street_id", "from_number", "to_number", "parity"),
        CheckConstraint("from_number >= 1 AND from_number <= to_number", name="numbers_ordered"),
        CheckConstraint("parity IN ('all', 'odd', 'even')", name="parity_known"),
    )

    zone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parking_zones.id", ondelete="CASCADE"), index=True
    )
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    from_number: Mapped[int]
    to_number: Mapped[int]
    parity: Mapped[str] = mapped_column(String(4), default="all")


class VehicleRelation(StrEnum):
    """What the resident declared about the vehicle."""

    owner = "owner"
    user = "user"  # a company car, a leased car, a family member's car they drive


class Vehicle(RecordMixin, Base):
    """A vehicle a resident registered; it counts for their household. One household per plate."""

    __tablename__ = "parking_vehicles"
    __table_args__ = (
        CheckConstraint("relation IN ('owner', 'user')", name="relation_known"),
        # A plate is registered to one resident at a time; a removed registration frees it.
        Index(
            "uq_parking_vehicles_plate_registered",
            "plate",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )

    plate: Mapped[str] = mapped_column(String(8), index=True)  # digits only
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    relation: Mapped[str] = mapped_column(String(10))
    removed_at: Mapped[datetime | None]


class PermitStatus(StrEnum):
    """A permit application's stored state; ``active`` and ``expired`` are read from its dates."""

    refused = "refused"
    granted = "granted"
    cancelled = "cancelled"  # by the resident
    ended = "ended"  # by a change: the resident moved, or the vehicle was removed


class PermitEnd(StrEnum):
    cancelled = "cancelled"
    moved = "moved"  # the resident's address is no longer in the permit's zone
    residency = "residency"  # the resident's residency is no longer verified
    vehicle_removed = "vehicle_removed"


class Permit(RecordMixin, Base):
    """One application for a resident parking permit: refused, or granted for a zone and a vehicle."""

    __tablename__ = "parking_permits"
    __table_args__ = (
        CheckConstraint(
            "status IN ('refused', 'granted', 'cancelled', 'ended')", name="status_known"
        ),
        Index("ix_parking_permits_plate_status", "plate", "status"),
    )

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parking_vehicles.id"), index=True
    )
    plate: Mapped[str] = mapped_column(String(8))
    zone_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parking_zones.id"))
    status: Mapped[str] = mapped_column(String(12))
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("eligibility_decisions.id"))
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))


class ParkingPass(RecordMixin, Base):
    """The signed pass of a granted permit: what the QR behind the windscreen carries."""

    __tablename__ = "parking_passes"
    # Inspection reads the passes made since it last looked (``InspectionCache.vouch_for_issued``).
    __table_args__ = (Index("ix_parking_passes_created_at", "created_at"),)

    pass_id: Mapped[str] = mapped_column(String(16), unique=True)
    # A permit's pass may be re-issued (under a new signing key): the old one is revoked first.
    permit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parking_permits.id"), index=True)
    plate: Mapped[str] = mapped_column(String(8))
    zone_code: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(2000))
    kid: Mapped[str] = mapped_column(String(16), index=True)  # of the key that signed it
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(20))


class ParkingSession(RecordMixin, Base):
    """Parking time a resident started for a vehicle in a zone or a municipal lot, and stopped."""

    __tablename__ = "parking_sessions"
    __table_args__ = (
        CheckConstraint(
            "stopped_at IS NULL OR (minutes >= 0 AND free_minutes >= 0 AND paid_minutes >= 0"
            " AND free_minutes + paid_minutes = minutes)",
            name="minutes_add_up",
        ),
        # One running session per plate.
        Index(
            "uq_parking_sessions_plate_running",
            "plate",
            unique=True,
            sqlite_where=text("stopped_at IS NULL"),
            postgresql_where=text("stopped_at IS NULL"),
        ),
    )

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    # The vehicle and its plate: removed after the retention period (``anonymised_at``), when the
    # session keeps only whose minutes they were, where and when.
    vehicle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parking_vehicles.id"))
    plate: Mapped[str | None] = mapped_column(String(8), index=True)
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parking_zones.id"))
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    minutes: Mapped[int | None]
    free_minutes: Mapped[int | None]  # taken from the resident's free-minute allowance
    paid_minutes: Mapped[int | None]  # beyond the allowance: the resident pays for these
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    anonymised_at: Mapped[datetime | None]


class InspectionMethod(StrEnum):
    scanned_pass = "pass"  # noqa: S105 - a method, not a secret
    plate = "plate"


class Inspection(RecordMixin, Base):
    """One check by an inspector: who, when, where, which plate, and the verdict.

    After the retention period the plate (and the pass id, which leads to it) is removed.
    """

    __tablename__ = "parking_inspections"
    __table_args__ = (CheckConstraint("method IN ('pass', 'plate')", name="method_known"),)

    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    method: Mapped[str] = mapped_column(String(6))
    plate: Mapped[str | None] = mapped_column(String(8))
    pass_id: Mapped[str | None] = mapped_column(String(16))
    zone_code: Mapped[str | None] = mapped_column(String(32))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    allowed: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(20))
    anonymised_at: Mapped[datetime | None]
