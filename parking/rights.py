"""Parking's part of a person's file and of their erasure: vehicles, permits and their passes,
parking sessions, and the inspections of their vehicles.

Inspections are the inspectors' records: a person's file holds those of their passes, and of their
plates while each was registered to them, without the inspector. Erased, the plates go from every
row (vehicles, permits, passes, sessions, those inspections) and a pass's signed token with them; a
running session is stopped first, so its minutes are counted as any stopped session's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from parking.models import Inspection, ParkingPass, Vehicle
from parking.repository.rights import ParkingRecords
from parking.service.parking_time import stop_session
from resident_card.residents.service import records
from resident_card.rights.sections import Erased, ErasureStep, ExportSection, Holder, Json, record

# The inspector is another person; the pass's token is the credential, kept in the file.
NOT_THEIRS = ("inspector_id",)
# Why a pass was revoked when its holder was erased.
PASS_ERASED = "erased"  # noqa: S105 - a reason, not a secret


def _inspections_of(
    parking: ParkingRecords, vehicles: Sequence[Vehicle], passes: Sequence[ParkingPass]
) -> list[Inspection]:
    """The inspections of the person's passes, and of their plates while each was registered to
    them (a plate checked before or after was someone else's)."""
    held = [(v.plate, v.created_at, v.removed_at) for v in vehicles if v.plate]
    pass_ids = {parking_pass.pass_id for parking_pass in passes}
    return [
        row
        for row in parking.inspections(sorted({plate for plate, _, _ in held}), sorted(pass_ids))
        if row.pass_id in pass_ids
        or any(
            row.plate == plate and since <= row.at and (until is None or row.at < until)
            for plate, since, until in held
        )
    ]


def _export(session: Session, holder: Holder) -> Mapping[str, Json]:
    parking = ParkingRecords(session)
    vehicles = parking.vehicles(holder.resident_ids)
    permits = parking.permits(holder.resident_ids)
    passes = parking.passes([permit.id for permit in permits])
    inspections = _inspections_of(parking, vehicles, passes)
    return {
        "vehicles": [record(vehicle) for vehicle in vehicles],
        "permits": [record(permit) for permit in permits],
        "parking_passes": [record(parking_pass) for parking_pass in passes],
        "parking_sessions": [record(row) for row in parking.sessions(holder.resident_ids)],
        "inspections": [record(row, leave_out=NOT_THEIRS) for row in inspections],
    }


def _erase(session: Session, erased: Erased) -> None:
    if erased.resident_id is None:
        return
    resident = records.get_resident(session, erased.resident_id)
    assert resident is not None  # a foreign key keeps it there
    parking = ParkingRecords(session)
    for row in parking.sessions([resident.id]):
        if row.stopped_at is None:
            stop_session(session, resident, row.id, now=erased.now)
    vehicles = parking.vehicles([resident.id])
    permits = parking.permits([resident.id])
    passes = parking.passes([permit.id for permit in permits])
    inspections = _inspections_of(parking, vehicles, passes)
    parking.forget_inspections([row.id for row in inspections], erased.now)
    for vehicle in vehicles:
        vehicle.plate = ""
        if vehicle.removed_at is None:
            vehicle.removed_at = erased.now
    for permit in permits:
        permit.plate = ""
    for parking_pass in passes:
        parking_pass.plate = ""
        parking_pass.token = ""
        if parking_pass.revoked_at is None:
            parking_pass.revoked_at = erased.now
            parking_pass.revoked_reason = PASS_ERASED
    for row in parking.sessions([resident.id]):
        # As the retention rule leaves a session: whose minutes, where and when, no vehicle.
        row.plate = None
        row.vehicle_id = None
        row.anonymised_at = erased.now
    session.flush()


EXPORT = ExportSection(export=_export)
ERASURE = ErasureStep(erase=_erase)
