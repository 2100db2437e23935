"""A clerk's change of a resident's address within the city: the resident, and the minors in
their care who live with them, leave their household for the one at the new address (made when
nobody lives there yet). Other domains follow in the same transaction: ``Change.moved`` for who
moved, ``Change.household`` for everyone whose household changed. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.audit import service as audit
from resident_card.city import service as city
from resident_card.city.models import Street
from resident_card.residents import events, notices
from resident_card.residents.events import Change
from resident_card.residents.exceptions import (
    AddressOutsideCity,
    NotAResidentToMove,
    ResidentNotFound,
    SameAddress,
)
from resident_card.residents.models import ResidencyStatus, Resident
from resident_card.residents.repository import ResidentRepository
from resident_card.residents.service.records import (
    Address,
    city_today,
    household_at,
    known_street,
    minors_born_after,
)

# Who has an address the city keeps: a moved-out or rejected resident has none to change.
MOVABLE = frozenset({ResidencyStatus.pending, ResidencyStatus.verified})


def _address_of(resident: Resident, street: Street) -> dict[str, object]:
    return {
        "street_code": street.code,
        "house_number": resident.house_number,
        "apartment": resident.apartment,
    }


def change_address(
    session: Session,
    settings: Settings,
    *,
    resident_id: uuid.UUID,
    address: Address,
    reason: str,
    actor_id: uuid.UUID,
    now: datetime,
) -> Resident:
    """Move a resident (and the minors in their care at their address) to a new address in the
    city; written to the audit log. Every check runs before anything is written."""
    repository = ResidentRepository(session)
    resident = repository.get_for_update(resident_id)
    if resident is None:
        raise ResidentNotFound()
    if ResidencyStatus(resident.status) not in MOVABLE:
        raise NotAResidentToMove()
    street = known_street(session, address.street_code)
    if city.neighbourhood_for(session, street, address.house_number) is None:
        raise AddressOutsideCity()
    apartment = address.apartment or None
    if (resident.street_id, resident.house_number, resident.apartment or None) == (
        street.id,
        address.house_number,
        apartment,
    ):
        raise SameAddress()

    old_street = session.get(Street, resident.street_id)
    assert old_street is not None  # a foreign key keeps it there
    before = _address_of(resident, old_street)
    old_household_id = resident.household_id
    wards = [
        ward
        for ward in repository.wards_of(
            resident.id, born_after=minors_born_after(city_today(now, settings))
        )
        if ward.household_id == old_household_id and ward.status in MOVABLE
    ]
    household = household_at(session, street, address.house_number, apartment)
    moving = [resident, *wards]
    for person in moving:
        person.street_id = street.id
        person.house_number = address.house_number
        person.apartment = apartment
        person.household_id = household.id
    session.flush()
    after = _address_of(resident, street)
    for person in moving:
        audit.record(
            session,
            actor_id=actor_id,
            action="resident.address",
            subject_type="resident",
            subject_id=person.id,
            before=before,
            after=after,
            reason=reason,
        )

    moved_ids = [person.id for person in moving]
    stayed = [r.id for r in repository.household_members(old_household_id)]
    joined = [r.id for r in repository.household_members(household.id)]
    # What follows (benefits re-evaluated, permits of another zone ended) commits with the move.
    events.announce(session, moved_ids, Change.moved, now)
    events.announce(session, list(dict.fromkeys([*stayed, *joined])), Change.household, now)
    number = f"{address.house_number}" + (f"/{apartment}" if apartment else "")
    for person in moving:
        notices.address_changed(session, person, street.names, number)
    return resident
