"""Demo residents: the demo resident (Dana Levi, Herzl 15, Hadar) and her son, for ``toshav demo load``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts.repository import UserRepository
from resident_card.city import service as city
from resident_card.residents.identifiers import IdentifierKind, protect
from resident_card.residents.models import ResidencyStatus, WardRelation
from resident_card.residents.service import records, wards

# Demo identifiers: valid check digits, made up.
DEMO_ID_NUMBER = "123456782"
DEMO_CHILD_ID_NUMBER = "000000018"


def load_demo(session: Session, settings: Settings, now: datetime) -> list[str]:
    user = UserRepository(session).by_username("resident")
    if user is None:
        return ["residents: no demo resident user, skipped"]
    if records.resident_for_user(session, user.id) is not None:
        return ["residents: already there"]
    street = city.street_by_code(session, "herzl")
    if street is None:
        return ["residents: the city's streets are not loaded, skipped"]
    key = settings.id_hash_key.get_secret_value()
    dana = records.add_resident(
        session,
        person=records.Person("Dana", "Levi", date(1988, 4, 12), IdentifierKind.israeli_id, ""),
        protected=protect(key, IdentifierKind.israeli_id, DEMO_ID_NUMBER),
        street=street,
        address=records.Address(street.code, 15, "4"),
        status=ResidencyStatus.verified,
        reason="demo data",
        actor_id=None,
        now=now,
        settings=settings,
        user_id=user.id,
        email="dana@example.org",
        resident_since=date(2019, 9, 1),
    )
    wards.add_ward(
        session,
        settings,
        dana,
        person=records.Person(
            "Noam", "Levi", date(2016, 2, 3), IdentifierKind.israeli_id, DEMO_CHILD_ID_NUMBER
        ),
        relation=WardRelation.child,
        actor_id=None,
        now=now,
    )
    return ["residents: Dana Levi (Herzl 15, Hadar) and her son Noam"]
