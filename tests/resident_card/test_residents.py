"""Residents: enrolment, what a resident sees, residency status, and the facts other packages read."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from resident_card.city.models import HouseNumberRange, Neighbourhood
from resident_card.residents import service
from resident_card.settings import Settings
from tests.factories import create_resident, create_street


def test_facts_of_a_verified_adult(session: Session, settings: Settings) -> None:
    street = create_street(session)
    centre = Neighbourhood(
        code="carmel", name_he="מרכז הכרמל", name_ar="مركز الكرمل", name_en="Carmel Centre"
    )
    session.add(centre)
    session.flush()
    session.add(
        HouseNumberRange(
            street_id=street.id, from_number=1, to_number=99, neighbourhood_id=centre.id
        )
    )
    resident = create_resident(
        session,
        settings,
        street=street,
        house_number=12,
        date_of_birth=date(1990, 3, 10),
        resident_since=date(2024, 1, 31),
    )
    create_resident(session, settings, street=street, house_number=12, status="pending")
    create_resident(session, settings, street=street, house_number=12, status="moved_out")

    facts = service.resident_facts(session, resident, date(2026, 2, 28))

    assert facts == {
        "age": 35,
        "residency_status": "verified",
        "months_of_residency": 25,
        "neighbourhood": "carmel",
        "household_size": 2,
        "is_minor": False,
        "identifier_kind": "israeli_id",
        "disability": False,
    }


def test_facts_of_a_pending_minor_count_no_residency(session: Session, settings: Settings) -> None:
    resident = create_resident(
        session,
        settings,
        status="pending",
        date_of_birth=date(2010, 3, 1),
        identifier_kind="foster_care",
    )
    facts = service.resident_facts(session, resident, date(2026, 2, 28))
    assert facts["age"] == 15
    assert facts["is_minor"] is True
    assert facts["months_of_residency"] == 0
    assert facts["neighbourhood"] is None
    assert facts["identifier_kind"] == "foster_care"


def test_resident_for_user_finds_the_record(session: Session, settings: Settings) -> None:
    resident = create_resident(session, settings, user=True)
    assert resident.user_id is not None
    assert service.resident_for_user(session, resident.user_id) is resident
    other = create_resident(session, settings, user=True)
    assert other.user_id is not None
    assert service.resident_for_user(session, other.user_id) is other
    assert service.can_act_for(session, resident, resident.id)
    assert not service.can_act_for(session, resident, other.id)
    assert service.wards_of(session, resident) == []
