"""Demo parking for ``toshav demo load``: the zones of the bundled streets, and for the demo resident
(Dana Levi, Herzl 15) a car, a permit for her zone with its pass, and this month's free minutes.
Running it again changes nothing. ``logins_lines`` adds the pass to ``toshav demo logins``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from parking.models import VehicleRelation
from parking.repository import PermitRepository, VehicleRepository
from parking.schemas import show_plate
from parking.service import calendar, parking_time, permits, vehicles, zones
from parking.settings import parking_settings
from resident_card.accounts.repository import UserRepository
from resident_card.credentials.service import Keyring
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents

DEMO_PLATE = "1234567"


def _demo_resident(session: Session) -> Resident | None:
    user = UserRepository(session).by_username("resident")
    return residents.resident_for_user(session, user.id) if user is not None else None


def load_demo(session: Session, service_settings: Settings, now: datetime) -> list[str]:
    settings = parking_settings(service_settings)
    zone_import = zones.import_demo_zones(session)
    lines = [
        f"parking zones: {zone_import.zones_created} created, "
        f"{zone_import.zones_unchanged + zone_import.zones_updated} already there"
    ]
    resident = _demo_resident(session)
    if resident is None:
        return [*lines, "parking: no demo resident, skipped"]
    vehicle = VehicleRepository(session).registered(DEMO_PLATE)
    if vehicle is None:
        vehicle = vehicles.register_vehicle(
            session,
            settings,
            resident,
            plate=DEMO_PLATE,
            relation=VehicleRelation.owner,
            now=now,
        )
    if not PermitRepository(session).in_force_of_vehicle(vehicle.id, now):
        view = permits.apply_for_permit(
            session, settings, Keyring(settings), resident, plate=DEMO_PLATE, now=now
        )
        lines.append(f"parking permit for {show_plate(DEMO_PLATE)}: {view.state}")
    else:
        lines.append("parking permit: already there")
    granted = parking_time.grant_free_minutes(session, resident, now=now, settings=settings)
    lines.append(
        f"parking free minutes {granted.period}: "
        f"{'granted' if granted.granted else 'already there'}"
    )
    return lines


def logins_lines(session: Session, settings: Settings, now: datetime) -> list[str]:
    """The demo resident's parking pass, for the logins ``make run`` prints."""
    resident = _demo_resident(session)
    if resident is None:
        return []
    lines = []
    for view in permits.my_permits(session, resident, now=now):
        if view.state == "active" and view.zone is not None and view.permit.valid_to is not None:
            until = calendar.last_valid_day(view.permit.valid_to, settings)
            lines.append(
                f"  resident's parking pass: plate {show_plate(view.permit.plate)}, "
                f"zone {view.zone.code} ({view.zone.name_en}), valid until {until:%Y-%m-%d}"
            )
    return lines
