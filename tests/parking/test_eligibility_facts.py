"""Parking's facts reach every decision about a resident: ``/benefits/me`` judges the parking
programmes with the zone, the household's vehicles and its permits, not with "missing fact"."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.settings import Settings
from tests.parking.conftest import Person, person, register

PERMIT = "resident_parking_permit"
VEHICLE_FACT = {
    "he": "הרכב רשום לתושב או למשק הבית",
    "ar": "المركبة مسجلة للمقيم أو لأسرته",
    "en": "vehicle registered to the resident or household",
}
# The permit programme's sentence for it (benefits/eligibility/programmes), values filled in.
VEHICLE_NOT_THE_HOUSEHOLDS = {
    "he": "תו חניה ניתן רק לרכב הרשום על שמכם או על שם אחד מבני משק הבית שלכם, ורכב זה אינו רשום כך.",
    "ar": "يُمنح التصريح فقط لمركبة مسجّلة باسمكم أو باسم أحد أفراد أسرتكم، وهذه المركبة ليست كذلك.",
    "en": "A permit is only for a vehicle registered to you or to someone in your household, "
    "and this one is not.",
}

pytestmark = pytest.mark.usefixtures("parking_ready")


def permit_benefit(client: TestClient, who: Person, language: str = "en") -> dict[str, Any]:
    response = client.get(
        "/api/v1/benefits/me", headers={**who.headers, "Accept-Language": language}
    )
    assert response.status_code == 200, response.text
    found = [b for b in response.json()["benefits"] if b["programme"]["code"] == PERMIT]
    assert len(found) == 1, response.json()
    benefit: dict[str, Any] = found[0]
    return benefit


def outcomes(benefit: dict[str, Any]) -> dict[str, str]:
    return {r["fact"]: r["outcome"] for r in benefit["reasons"] if r["fact"] is not None}


def test_a_resident_with_a_vehicle_sees_the_permit_eligible_because_of_parking_facts(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    dana = person(session, settings, app)
    register(client, dana, "12-345-67")

    benefit = permit_benefit(client, dana)

    assert benefit["eligible"] is True
    assert outcomes(benefit) == {
        "residency_status": "pass",
        "parking_zone": "pass",
        "vehicle_in_household": "pass",
        "household_parking_permits": "pass",
    }


def test_a_resident_without_a_vehicle_is_told_that_is_why(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    dana = person(session, settings, app)

    benefit = permit_benefit(client, dana)

    assert benefit["eligible"] is False
    assert outcomes(benefit)["vehicle_in_household"] == "fail"
    assert "missing" not in outcomes(benefit).values()


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_the_parking_reasons_are_named_in_the_residents_language(
    language: str, client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    dana = person(session, settings, app)

    benefit = permit_benefit(client, dana, language)

    reason = next(r for r in benefit["reasons"] if r["fact"] == "vehicle_in_household")
    assert VEHICLE_FACT[language] in reason["expression"]
    assert reason["text"] == VEHICLE_NOT_THE_HOUSEHOLDS[language]


def test_a_household_at_its_cap_of_permits_is_not_offered_another(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    dana = person(session, settings, app)
    for plate in ("12-345-67", "123-45-678"):
        register(client, dana, plate)
        granted = client.post(
            "/api/v1/parking/permits", json={"plate": plate}, headers=dana.headers
        )
        assert granted.json()["status"] == "active", granted.text

    benefit = permit_benefit(client, dana)

    assert benefit["eligible"] is False
    assert outcomes(benefit)["household_parking_permits"] == "fail"


def test_a_resident_whose_address_is_in_no_zone_is_told_so(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    dana = person(session, settings, app, street="herzl", house_number=500)  # not zoned
    register(client, dana, "12-345-67")

    benefit = permit_benefit(client, dana)

    assert benefit["eligible"] is False
    assert outcomes(benefit)["parking_zone"] == "fail"
