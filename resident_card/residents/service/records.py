"""A resident's record as every package reads it: who a signed-in user is, their age on the city's
calendar, the facts eligibility rules read, whom they may act for; and writing a new record into
the household at its address.

Never commits: the request (or the command) does. Identifiers are protected on the way in and
never logged; only their keyed hash and last characters reach the database.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.i18n import Named
from kernel.settings import Settings
from resident_card.accounts.exceptions import UsernameTaken
from resident_card.city import service as city
from resident_card.city.models import Neighbourhood, Street
from resident_card.residents.exceptions import (
    AlreadyAWard,
    DateOfBirthInFuture,
    IdentifierTaken,
    ResidentNotFound,
    UnknownStreet,
)
from resident_card.residents.identifiers import IdentifierKind, ProtectedIdentifier
from resident_card.residents.models import Household, ResidencyStatus, Resident, StatusChange
from resident_card.residents.repository import ResidentRepository

ADULT_AGE = 18

# --- dates --------------------------------------------------------------------------------------


def city_today(now: datetime, settings: Settings) -> date:
    """Today's date on the city's calendar."""
    return now.astimezone(ZoneInfo(settings.city_time_zone)).date()


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years of age on a date (someone born on 29 February turns a year older on 1 March)."""
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def whole_months_between(start: date, end: date) -> int:
    """Whole months from start to end; 31 January to 28 February is one month. Never negative."""
    months = (end.year - start.year) * 12 + end.month - start.month
    last_day = calendar.monthrange(end.year, end.month)[1]
    if end.day < start.day and end.day != last_day:
        months -= 1
    return max(0, months)


# --- the contract other packages call -----------------------------------------------------------


def resident_for_user(session: Session, user_id: uuid.UUID) -> Resident | None:
    """The resident record of a signed-in user, if they have one."""
    return ResidentRepository(session).by_user(user_id)


def get_resident(session: Session, resident_id: uuid.UUID) -> Resident | None:
    return ResidentRepository(session).get(resident_id)


def resident_facts(session: Session, resident: Resident, on: date) -> dict[str, object]:
    """The facts eligibility rules read about a resident on a date."""
    age = age_on(resident.date_of_birth, on)
    months = 0
    if resident.status == ResidencyStatus.verified:
        start = resident.resident_since or (
            resident.verified_at.date() if resident.verified_at is not None else None
        )
        months = whole_months_between(start, on) if start is not None else 0
    neighbourhood, household_size = ResidentRepository(session).address_facts(resident)
    return {
        "age": age,
        "residency_status": resident.status,
        "months_of_residency": months,
        "neighbourhood": (
            Named(neighbourhood.code, neighbourhood.names) if neighbourhood is not None else None
        ),
        "household_size": household_size,
        "is_minor": age < ADULT_AGE,
        "identifier_kind": resident.identifier_kind,
        "disability": resident.disability,
    }


def minors_born_after(today: date) -> date:
    """The last birth date of an adult today: whoever was born after it is a minor.

    Someone born on 29 February comes of age on 1 March, as ``age_on`` counts it.
    """
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # today is 29 February, and that year had none
        return today.replace(year=today.year - ADULT_AGE, day=28)


def wards_of(session: Session, resident: Resident, *, today: date) -> list[Resident]:
    """The minors this resident looks after and acts for; a ward who has come of age is not one."""
    return list(
        ResidentRepository(session).wards_of(resident.id, born_after=minors_born_after(today))
    )


def can_act_for(session: Session, actor: Resident, resident_id: uuid.UUID, *, today: date) -> bool:
    """Whether a resident may act for a resident id: their own, or a minor's in their care.

    Guardianship ends when the ward comes of age: from their 18th birthday they act for themselves.
    """
    if actor.id == resident_id:
        return True
    return ResidentRepository(session).is_guardian(
        actor.id, resident_id, born_after=minors_born_after(today)
    )


def resident_visible_to(
    session: Session, actor: Resident, resident_id: uuid.UUID, *, today: date
) -> Resident:
    """A resident the actor may see (self or a minor in their care); anyone else is not found."""
    if not can_act_for(session, actor, resident_id, today=today):
        raise ResidentNotFound()
    resident = ResidentRepository(session).get(resident_id)
    if resident is None:
        raise ResidentNotFound()
    return resident


def own_resident(session: Session, user_id: uuid.UUID) -> Resident:
    resident = resident_for_user(session, user_id)
    if resident is None:
        raise ResidentNotFound()
    return resident


# --- building a resident ------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Who a new resident is, already checked for shape (the schemas or the import did that)."""

    first_name: str
    last_name: str
    date_of_birth: date
    identifier_kind: IdentifierKind
    identifier_value: str = field(repr=False)


@dataclass(frozen=True)
class Address:
    street_code: str
    house_number: int
    apartment: str | None = None


def known_street(session: Session, code: str) -> Street:
    """The street with this code; an unknown code is refused (``UnknownStreet``)."""
    street = city.street_by_code(session, code)
    if street is None:
        raise UnknownStreet()
    return street


def check_born(date_of_birth: date, today: date) -> None:
    """Refuse a date of birth after today."""
    if date_of_birth > today:
        raise DateOfBirthInFuture()


def household_at(
    session: Session, street: Street, house_number: int, apartment: str | None
) -> Household:
    """The household at an address, made when it is the first resident there."""
    repository = ResidentRepository(session)
    key = apartment or ""
    household = repository.household_at(street.id, house_number, key)
    if household is None:
        household = repository.add_household(
            Household(street_id=street.id, house_number=house_number, apartment=key)
        )
    return household


def add_resident(
    session: Session,
    *,
    person: Person,
    protected: ProtectedIdentifier,
    street: Street,
    address: Address,
    status: ResidencyStatus,
    reason: str,
    actor_id: uuid.UUID | None,
    now: datetime,
    settings: Settings,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    phone: str | None = None,
    resident_since: date | None = None,
) -> Resident:
    """Write a resident (already checked) into the household at their address, with its first status."""
    repository = ResidentRepository(session)
    household = household_at(session, street, address.house_number, address.apartment)
    verified = status == ResidencyStatus.verified
    resident = Resident(
        user_id=user_id,
        first_name=person.first_name,
        last_name=person.last_name,
        date_of_birth=person.date_of_birth,
        street_id=street.id,
        house_number=address.house_number,
        apartment=address.apartment or None,
        household_id=household.id,
        email=email,
        phone=phone,
        identifier_kind=protected.kind.value,
        identifier_hash=protected.hash,
        identifier_hint=protected.hint,
        status=status.value,
        verified_at=now if verified else None,
        resident_since=(resident_since or city_today(now, settings))
        if verified
        else resident_since,
        disability=False,
    )
    repository.add(resident)
    repository.add(
        StatusChange(
            resident_id=resident.id,
            from_status=None,
            to_status=status.value,
            reason=reason,
            actor_id=actor_id,
            at=now,
        )
    )
    return resident


@contextmanager
def conflicts_as_errors(session: Session) -> Iterator[None]:
    """Run writes in a savepoint; a unique constraint another transaction won becomes a 409."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        text = str(exc.orig)
        if "username" in text:
            raise UsernameTaken() from None
        if "identifier_hash" in text or "user_id" in text:
            raise IdentifierTaken() from None
        if "guardian_id" in text:
            raise AlreadyAWard() from None
        raise


# --- what a resident (or a clerk) sees ----------------------------------------------------------


@dataclass(frozen=True)
class ResidentDetails:
    resident: Resident
    street: Street
    neighbourhood: Neighbourhood | None
    household_size: int
    history: Sequence[StatusChange]
    wards: list[tuple[Resident, str]]


def details(session: Session, resident: Resident, *, today: date) -> ResidentDetails:
    repository = ResidentRepository(session)
    street = session.get(Street, resident.street_id)
    assert street is not None  # a foreign key keeps it there
    relations = repository.relations_of(resident.id)
    return ResidentDetails(
        resident=resident,
        street=street,
        neighbourhood=city.neighbourhood_for(session, street, resident.house_number),
        household_size=repository.household_size(resident.household_id),
        history=repository.status_history(resident.id),
        wards=[
            (ward, relations[ward.id])
            for ward in repository.wards_of(resident.id, born_after=minors_born_after(today))
        ],
    )
