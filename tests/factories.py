"""Builders of test data: ``create_user(session, settings, **overrides)`` and friends."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cache
from unittest import mock

from fastapi import FastAPI
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts import service as accounts
from resident_card.accounts.models import Role, User
from resident_card.accounts.passwords import hash_password
from resident_card.accounts.runtime import Sessions
from resident_card.accounts.tokens import issue_access_token, load_access_token_keys
from resident_card.city.models import Street
from resident_card.residents.identifiers import IdentifierKind, id_number_check_digit, protect
from resident_card.residents.models import ResidencyStatus, Resident
from resident_card.residents.service import records as residents

DEFAULT_PASSWORD = "correct-horse-battery"


def create_user(
    session: Session,
    settings: Settings,
    *,
    role: Role | str = Role.resident,
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    **overrides: object,
) -> User:
    # Users made here with the test password share one real argon2id hash of it (its salt too),
    # made once per process: a hash costs 40 ms of CPU, a fifth of some test files' time, and no
    # test reads two users' hashes. Any other password is hashed as the service always does.
    with mock.patch.object(accounts, "hash_password", _hash_once_for_the_test_password):
        user = accounts.create_user(
            session,
            settings,
            username=username or f"user-{uuid.uuid4().hex[:8]}",
            password=password,
            roles=[Role(role)],
        )
    for name, value in overrides.items():
        setattr(user, name, value)
    session.flush()
    return user


@cache
def _test_password_hash() -> str:
    return hash_password(DEFAULT_PASSWORD)


def _hash_once_for_the_test_password(password: str) -> str:
    return _test_password_hash() if password == DEFAULT_PASSWORD else hash_password(password)


def auth_headers(app: FastAPI, user: User, *, now: datetime | None = None) -> dict[str, str]:
    """A bearer header for a user, minted as the app would, without the cost of a password hash."""
    runtime = getattr(app.state, "runtime", None)  # while served; else what it will run with
    if runtime is not None:
        keys, settings = runtime.part(Sessions).access_keys, runtime.settings
        clock = runtime.clock
    else:
        recipe = app.state.recipe
        keys, settings = load_access_token_keys(recipe.settings), recipe.settings
        clock = recipe.clock
    token = issue_access_token(keys, settings, user_id=user.id, now=now or clock.now())
    return {"Authorization": f"Bearer {token}"}


def israeli_id(seed: int) -> str:
    """A valid Israeli ID number (9 digits, check digit right) made from a seed; distinct seeds below 10**8 give distinct numbers."""
    first_eight = f"{(seed * 7_919 + 10_000_007) % 10**8:08d}"
    return first_eight + str(id_number_check_digit(first_eight))


def create_street(session: Session, **overrides: object) -> Street:
    """A street of the city's list (code and names in he/ar/en); names and code may be overridden."""
    tag = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "code": f"st-{tag}",
        "name_he": f"רחוב {tag}",
        "name_ar": f"شارع {tag}",
        "name_en": f"Street {tag}",
    }
    values.update(overrides)
    street = Street(**values)
    session.add(street)
    session.flush()
    return street


_identifier_seeds = itertools.count(uuid.uuid4().int % 10**7)


def create_resident(
    session: Session,
    settings: Settings,
    *,
    status: ResidencyStatus | str = "verified",
    user: User | bool | None = None,
    **overrides: object,
) -> Resident:
    """A resident, written as the service writes one (hashed identifier, household, first status).

    ``user=True`` makes a resident user for them; ``user=<User>`` links that one. Overrides:
    ``street`` (a Street), ``house_number``, ``apartment``, ``first_name``, ``last_name``,
    ``date_of_birth``, ``identifier_kind``, ``identifier`` (clear; hashed here), ``email``, ``phone``,
    ``resident_since``, ``disability``, ``verified_at``, ``now`` (default: a day ago).
    """
    # A day back unless told: whatever the test then does (on its own clock) comes after.
    now = overrides.pop("now", None) or datetime.now(UTC) - timedelta(days=1)
    assert isinstance(now, datetime)
    street = overrides.pop("street", None) or create_street(session)
    assert isinstance(street, Street)
    kind = IdentifierKind(str(overrides.pop("identifier_kind", IdentifierKind.israeli_id)))
    value = overrides.pop("identifier", None)
    if value is None:
        seed = next(_identifier_seeds)
        value = israeli_id(seed) if kind is IdentifierKind.israeli_id else f"REF{seed:08d}"
    date_of_birth = overrides.pop("date_of_birth", date(1985, 6, 15))
    assert isinstance(date_of_birth, date)
    person = residents.Person(
        first_name=str(overrides.pop("first_name", "Dana")),
        last_name=str(overrides.pop("last_name", "Levi")),
        date_of_birth=date_of_birth,
        identifier_kind=kind,
        identifier_value=str(value),
    )
    if user is True:
        user = create_user(session, settings, role=Role.resident)
    apartment = overrides.pop("apartment", None)
    resident = residents.add_resident(
        session,
        person=person,
        protected=protect(settings.id_hash_key.get_secret_value(), kind, str(value)),
        street=street,
        address=residents.Address(
            street.code,
            int(str(overrides.pop("house_number", 10))),
            str(apartment) if apartment is not None else None,
        ),
        status=ResidencyStatus(status),
        reason="test data",
        actor_id=None,
        now=now,
        settings=settings,
        user_id=user.id if isinstance(user, User) else None,
        email=str(overrides.pop("email", "dana@example.org")),
        phone=None,
    )
    for name, override in overrides.items():
        setattr(resident, name, override)
    session.flush()
    return resident
