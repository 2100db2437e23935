"""What the residents, households and city tests share: a loaded street list, enrolment bodies, row counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resident_card.accounts.models import User
from resident_card.audit.models import AuditEntry
from resident_card.city.service import load_city
from resident_card.residents.models import Guardianship, Household, Resident, StatusChange
from tests.factories import israeli_id

STRONG_PASSWORD = "a-long-enough-passphrase"


def with_city(session: Session) -> None:
    """The bundled Haifa-like street list."""
    load_city(session)


def enrolment_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": "dana.levi",
        "password": STRONG_PASSWORD,
        "first_name": "Dana",
        "last_name": "Levi",
        "date_of_birth": "1988-04-12",
        "street_code": "herzl",
        "house_number": 15,
        "apartment": "4",
        "email": "dana@example.org",
        "identifier": {"kind": "israeli_id", "value": israeli_id(1)},
        "preferred_language": "en",
    }
    body.update(overrides)
    return body


def row_counts(session: Session) -> dict[str, int]:
    """How many rows the residents' tables hold: a failed request must leave these as they were."""
    session.expire_all()
    return {
        model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (User, Resident, Household, StatusChange, Guardianship, AuditEntry)
    }
