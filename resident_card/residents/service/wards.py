"""Wards: a guardian adds a minor of their household to their care. Never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.city.models import Street
from resident_card.residents import events
from resident_card.residents.events import Change
from resident_card.residents.exceptions import (
    AlreadyAWard,
    GuardianMustBeAdult,
    GuardianNotActive,
    IdentifierTaken,
    UnknownStreet,
    WardNotMinor,
)
from resident_card.residents.identifiers import protect
from resident_card.residents.models import Guardianship, ResidencyStatus, Resident, WardRelation
from resident_card.residents.repository import ResidentRepository
from resident_card.residents.service.records import (
    ADULT_AGE,
    Address,
    Person,
    add_resident,
    age_on,
    check_born,
    city_today,
    conflicts_as_errors,
)

# A guardian in one of these may add minors; a suspended, moved-out or rejected one may not.
ACTIVE_STATUSES = frozenset({ResidencyStatus.pending, ResidencyStatus.verified})


def add_ward(
    session: Session,
    settings: Settings,
    guardian: Resident,
    *,
    person: Person,
    relation: WardRelation,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> Resident:
    """Add a minor to a guardian's household, in their care.

    A minor already on record (imported from the registry, or added by the other guardian) with
    the same identifier and date of birth, in the same household, is linked instead of duplicated.
    """
    today = city_today(now, settings)
    if age_on(guardian.date_of_birth, today) < ADULT_AGE:
        raise GuardianMustBeAdult()
    if guardian.status not in ACTIVE_STATUSES:
        raise GuardianNotActive()
    check_born(person.date_of_birth, today)
    if age_on(person.date_of_birth, today) >= ADULT_AGE:
        raise WardNotMinor()
    protected = protect(
        settings.id_hash_key.get_secret_value(), person.identifier_kind, person.identifier_value
    )
    repository = ResidentRepository(session)
    existing = repository.by_identifier_hash(protected.hash, for_update=True)
    if existing is not None:
        if (
            existing.date_of_birth != person.date_of_birth
            or existing.household_id != guardian.household_id
            or existing.id == guardian.id
        ):
            raise IdentifierTaken()
        if repository.is_guardian(guardian.id, existing.id):
            raise AlreadyAWard()
        ward = existing
    else:
        street = repository.session.get(Street, guardian.street_id)
        if street is None:  # pragma: no cover - a foreign key keeps the street there
            raise UnknownStreet()
        with conflicts_as_errors(session):
            ward = add_resident(
                session,
                person=person,
                protected=protected,
                street=street,
                address=Address(street.code, guardian.house_number, guardian.apartment),
                status=ResidencyStatus.pending,
                reason="added by guardian",
                actor_id=actor_id,
                now=now,
                settings=settings,
            )
    with conflicts_as_errors(session):
        repository.add(
            Guardianship(guardian_id=guardian.id, ward_id=ward.id, relation=relation.value)
        )
    events.announce(session, [guardian.id, ward.id], Change.household, now)
    return ward


def ward_relations(session: Session, guardian: Resident) -> dict[uuid.UUID, str]:
    return ResidentRepository(session).relations_of(guardian.id)
