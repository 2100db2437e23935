"""The year's residents: households at addresses in every neighbourhood, adults and their
children, each enrolled during the year (more each month as word spreads) and verified by a
clerk a few days later, with a card; adults sign in with an account of their own.

Identifiers are made up (valid check digits) and only their keyed hash and last three digits are
written, as enrolment writes them. Every generated account shares one password hash (of the demo
password), made once: hashing fifty thousand passwords would take longer than the whole year.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.cards.models import Card, CardStatus
from resident_card.cards.service import CARD_NUMBER_LENGTH, REFERENCE_BYTES, luhn_check_digit
from resident_card.credentials.jws import b64url
from resident_card.residents.identifiers import IdentifierKind, id_number_check_digit, protect
from resident_card.residents.models import (
    Guardianship,
    Household,
    ResidencyStatus,
    Resident,
    StatusChange,
    WardRelation,
)
from resident_card.residents.service.records import age_on
from toshav.year.calendar import Year, moment_in
from toshav.year.city import CityMap, Place
from toshav.year.inserts import Inserts

NewId = Callable[[], uuid.UUID]

FIRST_NAMES = (
    "Noa", "Yael", "Tamar", "Maya", "Shira", "Avigail", "Michal", "Rina", "Lea", "Hila",
    "Ariel", "Yosef", "David", "Daniel", "Itai", "Omer", "Eitan", "Yonatan", "Amir", "Moshe",
    "Lina", "Rania", "Nour", "Maryam", "Huda", "Samira", "Aya", "Layla", "Dina", "Salma",
    "Ahmad", "Omar", "Yusuf", "Khaled", "Karim", "Samir", "Fadi", "Rami", "Nabil", "Tariq",
    "Olga", "Svetlana", "Irina", "Anna", "Boris", "Igor", "Dmitri", "Sergei", "Elena", "Pavel",
)  # fmt: skip
LAST_NAMES = (
    "Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Dahan", "Avraham", "Friedman", "Katz",
    "Azoulay", "Shapiro", "Ben-David", "Golan", "Rosen", "Halabi", "Khoury", "Haddad", "Nassar",
    "Saleh", "Mansour", "Awad", "Bishara", "Zoabi", "Diab", "Ivanov", "Petrov", "Kogan",
    "Smirnov", "Volkov", "Klein",
)  # fmt: skip
# How many people live in a household, and how often (Israel's households run larger than most).
HOUSEHOLD_SIZES = ((1, 24), (2, 27), (3, 17), (4, 16), (5, 10), (6, 6))
LANGUAGES = (("he", 70), ("ar", 20), ("en", 10))
ADULT = 18
BEFORE_THE_YEAR = 0.4


@dataclass
class Person:
    """A generated resident, as the later stages need them."""

    id: uuid.UUID
    household_id: uuid.UUID
    place: Place
    date_of_birth: date
    enrolled_at: datetime
    verified_at: datetime | None
    user_id: uuid.UUID | None
    disability: bool
    household_size: int = 1

    def age(self, on: date) -> int:
        return age_on(self.date_of_birth, on)


@dataclass
class People:
    residents: list[Person] = field(default_factory=list)
    households: int = 0
    accounts: int = 0


def _id_numbers(rng: random.Random) -> Callable[[], str]:
    seen: set[str] = set()

    def draw() -> str:
        while True:
            first = f"{rng.randrange(10_000_000, 99_999_999):08d}"
            number = first + str(id_number_check_digit(first))
            if number not in seen:
                seen.add(number)
                return number

    return draw


def _card_numbers(rng: random.Random) -> Callable[[], tuple[str, str]]:
    seen: set[str] = set()

    def draw() -> tuple[str, str]:
        while True:
            body = str(
                rng.randrange(10 ** (CARD_NUMBER_LENGTH - 2), 10 ** (CARD_NUMBER_LENGTH - 1))
            )
            number = body + str(luhn_check_digit(body))
            if number not in seen:
                seen.add(number)
                return number, b64url(rng.randbytes(REFERENCE_BYTES))

    return draw


def enrolment_moment(rng: random.Random, year: Year, index: int) -> datetime:
    """When a household enrolled: two in five before the year (the card came first), the rest
    during it, more each month as word spreads; the first few one a month, so that even a small
    city has enrolments in every month."""
    if index >= len(year.months) and rng.random() < BEFORE_THE_YEAR:
        return year.start - timedelta(days=rng.uniform(2, 540), minutes=rng.randrange(1440))
    weights = [1.0 + 0.25 * number for number in range(len(year.months))]
    month = year.months[index] if index < len(year.months) else rng.choices(year.months, weights)[0]
    moment = moment_in(rng, year, month.start, month.end, hours=(7, 23), open_on_saturday=0.6)
    return moment or month.start + timedelta(hours=10)


def make_people(
    rng: random.Random,
    new_id: NewId,
    inserts: Inserts,
    settings: Settings,
    year: Year,
    city: CityMap,
    *,
    scale: int,
    password_hash: str,
    taken_addresses: set[tuple[uuid.UUID, int, str]],
    tick: Callable[[int], None],
) -> People:
    """``scale`` residents in households over every neighbourhood, written through ``inserts``."""
    key = settings.id_hash_key.get_secret_value()
    id_number = _id_numbers(rng)
    card_number = _card_numbers(rng)
    codes = city.populated()
    # Bigger neighbourhoods house more people, some more densely than others; each gets somebody.
    weights = [city.houses(code) * rng.uniform(0.5, 1.5) for code in codes]
    # Apartments per building: enough that a city of this size fits in its streets.
    apartments = max(24, 4 * scale // sum(city.houses(code) for code in codes) + 1)
    addresses = set(taken_addresses)
    people = People()
    today = year.local_date(year.now)
    while len(people.residents) < scale:
        index = people.households
        neighbourhood = codes[index] if index < len(codes) else rng.choices(codes, weights)[0]
        size = min(
            rng.choices([s for s, _ in HOUSEHOLD_SIZES], [w for _, w in HOUSEHOLD_SIZES])[0],
            scale - len(people.residents),
        )
        while True:
            place = city.place_in(rng, neighbourhood)
            apartment = str(rng.randint(1, apartments))
            if (place.street_id, place.house_number, apartment) not in addresses:
                addresses.add((place.street_id, place.house_number, apartment))
                break
        household_id = new_id()
        enrolled = enrolment_moment(rng, year, index)
        inserts.add(
            Household,
            {
                "id": household_id,
                "created_at": enrolled,
                "street_id": place.street_id,
                "house_number": place.house_number,
                "apartment": apartment,
            },
        )
        people.households += 1
        last_name = rng.choice(LAST_NAMES)
        adults = 1 if size == 1 or rng.random() < 0.2 else 2
        first_age = rng.randint(20, 88) if adults == 1 and size == 1 else rng.randint(22, 60)
        household: list[Person] = []
        for member in range(size):
            if member < adults:
                age = max(ADULT, first_age + rng.randint(-4, 4)) if member else first_age
            else:
                age = rng.randint(0, min(17, max(0, first_age - 18)))
            born = today - timedelta(days=age * 365 + rng.randint(30, 330))
            at = enrolled if member == 0 else enrolled + timedelta(minutes=rng.randint(5, 600))
            at = min(at, year.end - timedelta(minutes=1))
            person = _write_resident(
                rng,
                new_id,
                inserts,
                key=key,
                id_number=id_number(),
                first_name=rng.choice(FIRST_NAMES),
                last_name=last_name,
                born=born,
                place=place,
                apartment=apartment,
                household_id=household_id,
                enrolled_at=at,
                year=year,
                adult=age >= ADULT,
                password_hash=password_hash,
                number=len(people.residents) + 1,
            )
            person.household_size = size
            if person.verified_at is not None and age >= ADULT:
                number, reference = card_number()
                inserts.add(
                    Card,
                    {
                        "id": new_id(),
                        "created_at": person.verified_at,
                        "resident_id": person.id,
                        "number": number,
                        "reference": reference,
                        "status": CardStatus.active.value,
                        "issued_at": person.verified_at,
                        "expires_on": _years_later(
                            year.local_date(person.verified_at), settings.card_validity_years
                        ),
                        "revoked_at": None,
                        "revocation_reason": None,
                    },
                )
            if person.user_id is not None:
                people.accounts += 1
            household.append(person)
            people.residents.append(person)
        for guardian in household[:adults]:
            for ward in household[adults:]:
                if ward.age(today) < ADULT:
                    inserts.add(
                        Guardianship,
                        {
                            "id": new_id(),
                            "created_at": ward.enrolled_at,
                            "guardian_id": guardian.id,
                            "ward_id": ward.id,
                            "relation": WardRelation.child.value,
                        },
                    )
        tick(size)
    return people


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _write_resident(
    rng: random.Random,
    new_id: NewId,
    inserts: Inserts,
    *,
    key: str,
    id_number: str,
    first_name: str,
    last_name: str,
    born: date,
    place: Place,
    apartment: str,
    household_id: uuid.UUID,
    enrolled_at: datetime,
    year: Year,
    adult: bool,
    password_hash: str,
    number: int,
) -> Person:
    """One resident: enrolled (an adult, with an account) or added by a guardian, then verified."""
    protected = protect(key, IdentifierKind.israeli_id, id_number)
    resident_id = new_id()
    user_id: uuid.UUID | None = None
    if adult:
        user_id = new_id()
        inserts.add(
            User,
            {
                "id": user_id,
                "created_at": enrolled_at,
                "username": f"toshav{number:06d}",
                "password_hash": password_hash,
                "roles": [Role.resident.value],
                "is_active": True,
                "display_name": f"{first_name} {last_name}",
                "preferred_language": rng.choices(
                    [code for code, _ in LANGUAGES], [w for _, w in LANGUAGES]
                )[0],
            },
        )
    verified_at: datetime | None = enrolled_at + timedelta(hours=rng.uniform(2, 96))
    if verified_at is not None and verified_at >= year.end:
        verified_at = None  # still waiting for a clerk when the year ends
    disability = rng.random() < 0.03
    inserts.add(
        Resident,
        {
            "id": resident_id,
            "created_at": enrolled_at,
            "user_id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "date_of_birth": born,
            "street_id": place.street_id,
            "house_number": place.house_number,
            "apartment": apartment,
            "household_id": household_id,
            "email": f"{first_name}.{last_name}.{number}@example.org".lower() if adult else None,
            "phone": f"05{rng.randrange(10**7, 10**8)}" if adult and rng.random() < 0.7 else None,
            "identifier_kind": protected.kind.value,
            "identifier_hash": protected.hash,
            "identifier_hint": protected.hint,
            "status": (
                ResidencyStatus.verified.value if verified_at else ResidencyStatus.pending.value
            ),
            "verified_at": verified_at,
            "resident_since": (
                year.local_date(enrolled_at) - timedelta(days=rng.randint(60, 365 * 30))
                if verified_at
                else None
            ),
            "disability": disability,
        },
    )
    changes: list[tuple[ResidencyStatus | None, ResidencyStatus, str, datetime]] = [
        (None, ResidencyStatus.pending, "enrolled" if adult else "added by guardian", enrolled_at)
    ]
    if verified_at is not None:
        changes.append(
            (ResidencyStatus.pending, ResidencyStatus.verified, "residency checked", verified_at)
        )
    for before, after, reason, at in changes:
        inserts.add(
            StatusChange,
            {
                "id": new_id(),
                "created_at": at,
                "resident_id": resident_id,
                "from_status": before.value if before else None,
                "to_status": after.value,
                "reason": reason,
                "actor_id": None,
                "at": at,
            },
        )
    return Person(
        resident_id,
        household_id,
        place,
        born,
        enrolled_at,
        verified_at,
        user_id,
        disability,
    )
