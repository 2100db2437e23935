"""Answers more than one of parking's resources give: a zone, a vehicle, a permit, an offer."""

from __future__ import annotations

import uuid

from kernel.i18n import Language
from parking.models import ParkingZone, Vehicle, VehicleRelation, ZoneKind
from parking.schemas import (
    DecisionReasonOut,
    Names,
    OfferOut,
    PermitOut,
    VehicleOut,
    ZoneOut,
    show_plate,
)
from parking.service import permits
from parking.service.calendar import last_valid_day
from parking.settings import ParkingSettings

# Answers that are the caller's alone or change by the minute: no cache keeps them.
NO_STORE = {"Cache-Control": "no-store"}


def zone_names(zone: ParkingZone) -> Names:
    return Names(**zone.names)


def zone_out(zone: ParkingZone) -> ZoneOut:
    return ZoneOut(
        code=zone.code, kind=ZoneKind(zone.kind), names=zone_names(zone), geometry=zone.geometry
    )


def vehicle_out(vehicle: Vehicle, caller_resident_id: uuid.UUID) -> VehicleOut:
    return VehicleOut(
        id=vehicle.id,
        plate=show_plate(vehicle.plate),
        relation=VehicleRelation(vehicle.relation),
        registered_at=vehicle.created_at,
        registered_by_me=vehicle.resident_id == caller_resident_id,
    )


def permit_out(
    view: permits.PermitView, language: Language, settings: ParkingSettings
) -> PermitOut:
    permit = view.permit
    active = view.state == "active" and view.parking_pass is not None
    return PermitOut(
        id=permit.id,
        status=view.state,
        end_reason=permit.end_reason,
        plate=show_plate(permit.plate),
        zone=view.zone.code if view.zone else None,
        zone_name=view.zone.name(language) if view.zone else None,
        valid_from=permit.valid_from,
        valid_until=permit.valid_to,
        last_valid_day=last_valid_day(permit.valid_to, settings) if permit.valid_to else None,
        pass_id=view.parking_pass.pass_id if view.parking_pass else None,
        pass_token=view.parking_pass.token if active and view.parking_pass else None,
        applied_at=permit.created_at,
        decision_id=view.decision.id,
        reasons=[
            DecisionReasonOut(
                kind=reason.kind,
                outcome=reason.outcome,
                fact=reason.fact,
                text=reason.text[language],
                expression=reason.expressed[language],
            )
            for reason in view.decision.reason_list()
        ],
    )


def offer_out(offer: permits.Offer | None, language: Language) -> OfferOut | None:
    if offer is None:
        return None
    return OfferOut(
        zone=offer.zone.code,
        zone_name=offer.zone.name(language),
        plates=[show_plate(plate) for plate in offer.plates],
    )
