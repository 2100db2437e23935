"""The rules of residents: enrolment, residency status, households and wards, registry import.

Never commits: the request (or the command) does. Identifiers are protected on the way in and
never logged; only their keyed hash and last characters reach the database.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.i18n import Named
from kernel.settings import Settings
from resident_card.accounts import service as accounts
from resident_card.accounts.exceptions import UsernameTaken
from resident_card.accounts.models import Role, User
from resident_card.accounts.repository import UserRepository
from resident_card.audit import service as audit
from resident_card.city import service as city
from resident_card.city.models import Neighbourhood, Street
from resident_card.residents.exceptions import (
    AlreadyAWard,
    ContactRequired,
    DateOfBirthInFuture,
    GuardianMustBeAdult,
    GuardianNotActive,
    IdentifierTaken,
    InvalidImportField,
    InvalidTransition,
    ResidentNotFound,
    TooYoungToEnrol,
    UnknownStreet,
    WardNotMinor,
)
from resident_card.residents.identifiers import IdentifierKind, ProtectedIdentifier, protect
from resident_card.residents.models import (
    Guardianship,
    Household,
    ResidencyStatus,
    Resident,
    StatusChange,
    WardRelation,
)
from resident_card.residents.repository import ResidentRepository
from resident_card.residents.schemas import normalise_name, normalise_phone

MIN_ENROLMENT_AGE = 16
ADULT_AGE = 18
MAX_HOUSE_NUMBER = 9999

# What a clerk may do to a residency status; anything else is an invalid transition.
TRANSITIONS: Mapping[ResidencyStatus, frozenset[ResidencyStatus]] = {
    ResidencyStatus.pending: frozenset({ResidencyStatus.verified, ResidencyStatus.rejected}),
    ResidencyStatus.verified: frozenset({ResidencyStatus.suspended, ResidencyStatus.moved_out}),
    ResidencyStatus.suspended: frozenset({ResidencyStatus.verified, ResidencyStatus.moved_out}),
    ResidencyStatus.moved_out: frozenset(),
    ResidencyStatus.rejected: frozenset(),
}
# A guardian in one of these may add minors; a suspended, moved-out or rejected one may not.
ACTIVE_STATUSES = frozenset({ResidencyStatus.pending, ResidencyStatus.verified})


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
    neighbourhood = city.neighbourhood_for(session, resident.street_id, resident.house_number)
    return {
        "age": age,
        "residency_status": resident.status,
        "months_of_residency": months,
        "neighbourhood": (
            Named(neighbourhood.code, neighbourhood.names) if neighbourhood is not None else None
        ),
        "household_size": ResidentRepository(session).household_size(resident.household_id),
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


def _street(session: Session, code: str) -> Street:
    street = city.street_by_code(session, code)
    if street is None:
        raise UnknownStreet()
    return street


def _check_born(date_of_birth: date, today: date) -> None:
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


# --- enrolment ----------------------------------------------------------------------------------


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

    Every check runs before anything is written; whatever fails, nothing is kept.
    """
    person = enrolment.person
    today = city_today(now, settings)
    _check_born(person.date_of_birth, today)
    if age_on(person.date_of_birth, today) < MIN_ENROLMENT_AGE:
        raise TooYoungToEnrol(minimum=MIN_ENROLMENT_AGE)
    if not enrolment.email and not enrolment.phone:
        raise ContactRequired()
    protected = protect(
        settings.id_hash_key.get_secret_value(), person.identifier_kind, person.identifier_value
    )
    street = _street(session, enrolment.address.street_code)
    accounts.check_password_rules(enrolment.password, settings)
    if UserRepository(session).by_username(accounts.normalise_username(enrolment.username)):
        raise UsernameTaken()

    repository = ResidentRepository(session)
    # Locked, so two people claiming one imported record at once cannot both have it.
    existing = repository.by_identifier_hash(protected.hash, for_update=True)
    if existing is not None and (
        existing.user_id is not None or not _claims_match(existing, person, street, enrolment)
    ):
        raise IdentifierTaken()

    # The checks above can race with another enrolment; the unique constraints settle it.
    with _conflicts_as_errors(session):
        user = _create_user(session, settings, enrolment, display_name=person.first_name)
        if existing is not None:
            return _claim(session, existing, user, enrolment)
        return add_resident(
            session,
            person=person,
            protected=protected,
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


def _claims_match(existing: Resident, person: Person, street: Street, enrolment: Enrolment) -> bool:
    """Whether an enrolment may claim a record the registry (or a guardian) made.

    The record is verified already, so more than an ID number must match: the date of birth and the
    registered address (street and house number). A mismatch is answered like a taken identifier,
    so a guess learns nothing about which part was wrong.
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


@contextmanager
def _conflicts_as_errors(session: Session) -> Iterator[None]:
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


# --- wards --------------------------------------------------------------------------------------


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
    _check_born(person.date_of_birth, today)
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
        with _conflicts_as_errors(session):
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
    with _conflicts_as_errors(session):
        repository.add(
            Guardianship(guardian_id=guardian.id, ward_id=ward.id, relation=relation.value)
        )
    return ward


def ward_relations(session: Session, guardian: Resident) -> dict[uuid.UUID, str]:
    return ResidentRepository(session).relations_of(guardian.id)


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


# --- what a clerk does --------------------------------------------------------------------------


def change_status(
    session: Session,
    settings: Settings,
    *,
    resident_id: uuid.UUID,
    status: ResidencyStatus,
    reason: str,
    actor_id: uuid.UUID,
    now: datetime,
) -> Resident:
    """Move a resident's residency status along an allowed transition; written to the audit log."""
    repository = ResidentRepository(session)
    resident = repository.get_for_update(resident_id)
    if resident is None:
        raise ResidentNotFound()
    before = ResidencyStatus(resident.status)
    if status not in TRANSITIONS[before]:
        raise InvalidTransition(before=before.value, after=status.value)
    resident.status = status.value
    if status == ResidencyStatus.verified:
        if resident.verified_at is None:
            resident.verified_at = now
        if resident.resident_since is None:
            resident.resident_since = city_today(now, settings)
    repository.add(
        StatusChange(
            resident_id=resident.id,
            from_status=before.value,
            to_status=status.value,
            reason=reason,
            actor_id=actor_id,
            at=now,
        )
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="resident.status",
        subject_type="resident",
        subject_id=resident.id,
        before={"status": before.value},
        after={"status": status.value},
        reason=reason,
    )
    return resident


def set_disability(
    session: Session, *, resident_id: uuid.UUID, disability: bool, reason: str, actor_id: uuid.UUID
) -> Resident:
    """Set or clear the disability flag a clerk keeps on a resident; written to the audit log."""
    resident = ResidentRepository(session).get_for_update(resident_id)
    if resident is None:
        raise ResidentNotFound()
    before = resident.disability
    resident.disability = disability
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="resident.disability",
        subject_type="resident",
        subject_id=resident.id,
        before={"disability": before},
        after={"disability": disability},
        reason=reason,
    )
    return resident


def search(
    session: Session, *, status: ResidencyStatus | None, text: str | None, limit: int, offset: int
) -> tuple[Sequence[Resident], int]:
    cleaned = " ".join(text.split()) if text else None
    return ResidentRepository(session).search(
        status=status.value if status is not None else None,
        text=cleaned,
        limit=limit,
        offset=offset,
    )


def admin_resident(session: Session, resident_id: uuid.UUID) -> Resident:
    resident = ResidentRepository(session).get(resident_id)
    if resident is None:
        raise ResidentNotFound()
    return resident


def lookup(
    session: Session,
    settings: Settings,
    *,
    kind: IdentifierKind,
    value: str,
    actor_id: uuid.UUID,
) -> Resident:
    """The resident holding an identifier (by its keyed hash); the look-up is written to the audit log."""
    protected = protect(settings.id_hash_key.get_secret_value(), kind, value)
    resident = ResidentRepository(session).by_identifier_hash(protected.hash)
    if resident is None:
        raise ResidentNotFound()
    audit.record(
        session,
        actor_id=actor_id,
        action="resident.lookup",
        subject_type="resident",
        subject_id=resident.id,
        after={"identifier_kind": protected.kind.value},
    )
    return resident


# --- the population registry's export -----------------------------------------------------------

IMPORT_COLUMNS = (
    "identifier_kind",
    "identifier",
    "first_name",
    "last_name",
    "date_of_birth",
    "street_code",
    "house_number",
    "apartment",
    "email",
    "phone",
    "resident_since",
)


def _text(row: Mapping[str, str], column: str, *, max_length: int) -> str | None:
    raw = row.get(column) or ""
    if not raw.strip():
        return None
    try:
        value = normalise_name(raw)
    except ValueError:
        raise InvalidImportField(problem=column) from None
    if len(value) > max_length:
        raise InvalidImportField(problem=column)
    return value


def _required_text(row: Mapping[str, str], column: str, *, max_length: int) -> str:
    value = _text(row, column, max_length=max_length)
    if value is None:
        raise InvalidImportField(problem=column)
    return value


def _date(row: Mapping[str, str], column: str) -> date | None:
    value = (row.get(column) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidImportField(problem=column) from None


def import_row(
    session: Session, settings: Settings, row: Mapping[str, str], now: datetime
) -> Literal["created", "unchanged"]:
    """One resident from the registry's export: created verified, or left as is if already known.

    A row that cannot be taken raises a ToshavError saying why; nothing of it is written.
    """
    try:
        kind = IdentifierKind((row.get("identifier_kind") or "").strip() or "israeli_id")
    except ValueError:
        raise InvalidImportField(problem="identifier_kind") from None
    protected = protect(settings.id_hash_key.get_secret_value(), kind, row.get("identifier") or "")
    if ResidentRepository(session).by_identifier_hash(protected.hash) is not None:
        return "unchanged"

    first_name = _required_text(row, "first_name", max_length=100)
    last_name = _required_text(row, "last_name", max_length=100)
    date_of_birth = _date(row, "date_of_birth")
    if date_of_birth is None:
        raise InvalidImportField(problem="date_of_birth")
    today = city_today(now, settings)
    _check_born(date_of_birth, today)
    street = _street(session, (row.get("street_code") or "").strip())
    try:
        house_number = int((row.get("house_number") or "").strip())
    except ValueError:
        raise InvalidImportField(problem="house_number") from None
    if not 1 <= house_number <= MAX_HOUSE_NUMBER:
        raise InvalidImportField(problem="house_number")
    apartment = _text(row, "apartment", max_length=10)
    email = _text(row, "email", max_length=254)
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise InvalidImportField(problem="email") from None
    phone = _text(row, "phone", max_length=30)
    if phone is not None:
        phone = normalise_phone(phone)
        if phone is None:
            raise InvalidImportField(problem="phone")
    resident_since = _date(row, "resident_since")
    if resident_since is not None and not date_of_birth <= resident_since <= today:
        raise InvalidImportField(problem="resident_since")

    add_resident(
        session,
        person=Person(first_name, last_name, date_of_birth, kind, ""),
        protected=protected,
        street=street,
        address=Address(street.code, house_number, apartment),
        status=ResidencyStatus.verified,
        reason="population registry import",
        actor_id=None,
        now=now,
        settings=settings,
        email=email,
        phone=phone,
        resident_since=resident_since,
    )
    return "created"


def record_import(
    session: Session, *, counts: Mapping[str, int], source: str, actor_id: uuid.UUID | None = None
) -> None:
    """One audit entry for a whole registry import: what came in, not who."""
    audit.record(
        session,
        actor_id=actor_id,
        action="residents.import",
        subject_type="registry_import",
        subject_id=uuid.uuid4(),
        after={"source": source[:200], **counts},
    )
