"""Enrolment: a resident signs up, with an account of their own, or claims the record the
population registry (or a guardian) made for them. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts import service as accounts
from resident_card.accounts.exceptions import UsernameTaken
from resident_card.accounts.models import Role, User
from resident_card.accounts.repository import UserRepository
from resident_card.audit import service as audit
from resident_card.city.models import Street
from resident_card.residents import events
from resident_card.residents.events import Change
from resident_card.residents.exceptions import ContactRequired, IdentifierTaken, TooYoungToEnrol
from resident_card.residents.identifiers import ProtectedIdentifier, protect
from resident_card.residents.models import ResidencyStatus, Resident
from resident_card.residents.repository import ResidentRepository
from resident_card.residents.service import claims
from resident_card.residents.service.records import (
    Address,
    Person,
    add_resident,
    age_on,
    check_born,
    city_today,
    conflicts_as_errors,
    known_street,
)

MIN_ENROLMENT_AGE = 16


@dataclass(frozen=True)
class Enrolment:
    username: str
    password: str = field(repr=False)
    person: Person
    address: Address
    email: str | None
    phone: str | None
    preferred_language: str | None = None


def enrol(session: Session, settings: Settings, enrolment: Enrolment, now: datetime) -> Resident:
    """A new user and their resident record (pending), or the claim of an imported record.

    Every check runs before anything is written; whatever fails, nothing is kept. An identifier
    another record holds is answered as a new one: the enrolment's record waits, under a stand-in
    hash, for a clerk to decide its claim on the registered identity (``claims``).
    """
    person = enrolment.person
    today = city_today(now, settings)
    check_born(person.date_of_birth, today)
    if age_on(person.date_of_birth, today) < MIN_ENROLMENT_AGE:
        raise TooYoungToEnrol(minimum=MIN_ENROLMENT_AGE)
    if not enrolment.email and not enrolment.phone:
        raise ContactRequired()
    protected = protect(
        settings.id_hash_key.get_secret_value(), person.identifier_kind, person.identifier_value
    )
    street = known_street(session, enrolment.address.street_code)
    accounts.check_password_rules(enrolment.password, settings)
    if UserRepository(session).by_username(accounts.normalise_username(enrolment.username)):
        raise UsernameTaken()

    repository = ResidentRepository(session)
    # Locked, so two people claiming one imported record at once cannot both have it.
    holder = repository.by_identifier_hash(protected.hash, for_update=True)
    try:
        return _write(session, settings, enrolment, protected, street, holder, now)
    except IdentifierTaken:
        # Another enrolment with this identifier committed first: this one claims its record.
        if holder is not None:
            raise
        holder = repository.by_identifier_hash(protected.hash, for_update=True)
        if holder is None:
            raise
        return _write(session, settings, enrolment, protected, street, holder, now)


def _write(
    session: Session,
    settings: Settings,
    enrolment: Enrolment,
    protected: ProtectedIdentifier,
    street: Street,
    holder: Resident | None,
    now: datetime,
) -> Resident:
    """The account and the record, the same work whether the identifier is new or held."""
    person = enrolment.person
    matches = holder is not None and _claims_match(holder, person, street, enrolment)
    claim_id = uuid.uuid4()
    # The checks above can race with another enrolment; the unique constraints settle it.
    with conflicts_as_errors(session):
        user = _create_user(session, settings, enrolment, display_name=person.first_name)
        if holder is not None and holder.user_id is None and matches:
            return _claim(session, holder, user, enrolment)
        resident = add_resident(
            session,
            person=person,
            protected=protected
            if holder is None
            else claims.stand_in(settings, protected, claim_id),
            street=street,
            address=enrolment.address,
            status=ResidencyStatus.pending,
            reason="enrolment",
            actor_id=user.id,
            now=now,
            settings=settings,
            user_id=user.id,
            email=enrolment.email,
            phone=enrolment.phone,
        )
        if holder is not None:
            claims.open_claim(
                session, claim_id=claim_id, claimant=resident, holder=holder, matches_record=matches
            )
    # A new member of a household: its size, a fact the others' rules may read, changed.
    events.announce(session, [resident.id], Change.household, now)
    return resident


def _claims_match(existing: Resident, person: Person, street: Street, enrolment: Enrolment) -> bool:
    """Whether an enrolment may claim a record the registry (or a guardian) made.

    The record is verified already, so more than an ID number must match: the date of birth and the
    registered address (street and house number). A mismatch is answered as a new enrolment, and
    waits for a clerk as a claim on the registered identity.
    """
    return (
        existing.date_of_birth == person.date_of_birth
        and existing.street_id == street.id
        and existing.house_number == enrolment.address.house_number
    )


def _claim(session: Session, resident: Resident, user: User, enrolment: Enrolment) -> Resident:
    """The registry (or a guardian) made this record; its owner now signs in, and it keeps its status."""
    resident.user_id = user.id
    resident.email = enrolment.email or resident.email
    resident.phone = enrolment.phone or resident.phone
    session.flush()
    audit.record(
        session,
        actor_id=user.id,
        action="resident.claim",
        subject_type="resident",
        subject_id=resident.id,
        after={"user_id": str(user.id), "status": resident.status},
    )
    return resident


def _create_user(
    session: Session, settings: Settings, enrolment: Enrolment, *, display_name: str
) -> User:
    user = accounts.create_user(
        session,
        settings,
        username=enrolment.username,
        password=enrolment.password,
        roles=[Role.resident],
        display_name=display_name,
    )
    if enrolment.preferred_language:
        user.preferred_language = enrolment.preferred_language
    return user
