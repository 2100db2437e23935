"""The city's notices per neighbourhood: clerks post and withdraw them, anyone reads the current
ones of a neighbourhood, and residents find those of where they live now in their inbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from resident_card.accounts.models import Role, User
from resident_card.audit.models import AuditEntry
from resident_card.city.service import load_city, street_by_code
from tests.factories import auth_headers, create_resident, create_user
from toshav.settings import ServiceSettings

ADMIN = "/api/v1/admin/notices"
PUBLIC = "/api/v1/notices"
INBOX = "/api/v1/messages/me"


@dataclass
class City:
    today: date
    clerk: dict[str, str]
    auditor: dict[str, str]
    hadar: dict[str, str]  # a resident of Hadar (Herzl 10)
    carmel: dict[str, str]  # a resident of Carmel Centre (Moriah 5)
    carmel_id: uuid.UUID


@pytest.fixture
def city(session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock) -> City:
    load_city(session)

    def login(role: Role) -> dict[str, str]:
        return auth_headers(app, create_user(session, settings, role=role))

    def resident(street: str, number: int) -> tuple[uuid.UUID, dict[str, str]]:
        found = street_by_code(session, street)
        assert found is not None
        person = create_resident(session, settings, user=True, street=found, house_number=number)
        user = session.get_one(User, person.user_id)
        return person.id, auth_headers(app, user)

    _, hadar = resident("herzl", 10)
    carmel_id, carmel = resident("moriah", 5)
    today = clock.now().astimezone(ZoneInfo(settings.city_time_zone)).date()
    return City(today, login(Role.admin), login(Role.auditor), hadar, carmel, carmel_id)


def notice(city: City, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": {"he": "עבודות מים ברחוב הרצל", "ar": "أعمال مياه في شارع هرتسل"},
        "body": {"he": "המים ינותקו בין 8 ל-12.", "ar": "ستنقطع المياه بين 8 و12."},
        "neighbourhoods": ["hadar"],
        "first_day": city.today.isoformat(),
        "last_day": (city.today + timedelta(days=7)).isoformat(),
    }
    body.update(overrides)
    return body


def inbox_titles(client: TestClient, headers: dict[str, str]) -> list[str]:
    """The titles of the city's notices in the inbox, newest first."""
    items = client.get(INBOX, headers=headers).json()["items"]
    return [item["title"] for item in items if item["category"] == "notice"]


def test_a_clerk_posts_a_notice_that_its_neighbourhood_reads_publicly_and_in_the_inbox(
    client: TestClient, session: Session, city: City
) -> None:
    posted = client.post(ADMIN, json=notice(city), headers=city.clerk)

    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert body["state"] == "current"
    assert body["whole_city"] is False
    assert body["neighbourhoods"] == [{"code": "hadar", "name": "Hadar HaCarmel"}]
    assert body["title"] == {
        "he": "עבודות מים ברחוב הרצל",
        "ar": "أعمال مياه في شارع هرتسل",
        "en": "",
    }
    # Public, in the caller's language: English left empty is shown in Hebrew.
    english = client.get(PUBLIC, params={"neighbourhood": "hadar"})
    arabic = client.get(
        PUBLIC, params={"neighbourhood": "hadar"}, headers={"Accept-Language": "ar"}
    )
    elsewhere = client.get(PUBLIC, params={"neighbourhood": "carmel_centre"})
    assert english.status_code == 200, english.text
    assert [(n["title"], n["body"]) for n in english.json()] == [
        ("עבודות מים ברחוב הרצל", "המים ינותקו בין 8 ל-12.")
    ]
    assert arabic.json()[0]["title"] == "أعمال مياه في شارع هرتسل"
    assert elsewhere.json() == []
    # The resident of Hadar has it in the inbox, unread; the one of Carmel Centre does not.
    inbox = client.get(INBOX, headers=city.hadar).json()
    [item] = [item for item in inbox["items"] if item["category"] == "notice"]
    assert item["id"] == body["id"]
    assert item["title"] == "עבודות מים ברחוב הרצל"
    assert item["read_at"] is None
    assert (inbox["total"], inbox["unread"]) == (1, 1)
    assert "עבודות מים ברחוב הרצל" not in inbox_titles(client, city.carmel)
    # Opening it marks it read for that resident alone, once.
    read = client.post(f"{INBOX}/{item['id']}/read", headers=city.hadar)
    again = client.post(f"{INBOX}/{item['id']}/read", headers=city.hadar)
    not_theirs = client.post(f"{INBOX}/{item['id']}/read", headers=city.carmel)
    assert read.status_code == 200, read.text
    assert again.json()["read_at"] == read.json()["read_at"] is not None
    assert not_theirs.status_code == 404
    assert client.get(INBOX, headers=city.hadar).json()["unread"] == 0
    # Auditors read the clerks' list; the post is in the audit log.
    listed = client.get(ADMIN, headers=city.auditor)
    assert [n["id"] for n in listed.json()] == [body["id"]]
    [entry] = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "messages.notice.post")
    ).all()
    assert entry.subject_id == body["id"]
    assert entry.after is not None
    assert entry.after["neighbourhoods"] == ["hadar"]


def test_a_resident_who_moves_reads_the_new_neighbourhood_s_notices(
    client: TestClient, city: City, clock: SetClock
) -> None:
    carmel = client.post(
        ADMIN,
        json=notice(city, neighbourhoods=["carmel_centre"], title={"he": "שוק איכרים בכרמל"}),
        headers=city.clerk,
    )
    clock.advance(seconds=1)
    everyone = client.post(
        ADMIN,
        json=notice(city, neighbourhoods=[], whole_city=True, title={"he": "יום ניקיון עירוני"}),
        headers=city.clerk,
    )
    assert carmel.status_code == everyone.status_code == 201, carmel.text

    assert inbox_titles(client, city.carmel) == ["יום ניקיון עירוני", "שוק איכרים בכרמל"]
    assert inbox_titles(client, city.hadar) == ["יום ניקיון עירוני"]
    assert [n["title"] for n in client.get(PUBLIC).json()] == ["יום ניקיון עירוני"]

    moved = client.post(
        f"/api/v1/admin/residents/{city.carmel_id}/address",
        json={"reason": "registry notice", "street_code": "herzl", "house_number": 30},
        headers=city.clerk,
    )
    assert moved.status_code == 200, moved.text
    assert inbox_titles(client, city.carmel) == ["יום ניקיון עירוני"]


def test_a_withdrawn_notice_leaves_the_public_list_and_the_inbox(
    client: TestClient, session: Session, city: City
) -> None:
    notice_id = client.post(ADMIN, json=notice(city), headers=city.clerk).json()["id"]
    path = f"{ADMIN}/{notice_id}/withdraw"

    by_auditor = client.post(path, json={"reason": "sent by mistake"}, headers=city.auditor)
    no_reason = client.post(path, json={"reason": "  "}, headers=city.clerk)
    withdrawn = client.post(path, json={"reason": "sent by mistake"}, headers=city.clerk)
    again = client.post(path, json={"reason": "sent by mistake"}, headers=city.clerk)
    unknown = client.post(
        f"{ADMIN}/{uuid.uuid4()}/withdraw", json={"reason": "x"}, headers=city.clerk
    )

    assert by_auditor.status_code == 403
    assert no_reason.status_code == 422
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    assert withdrawn.json()["withdrawal_reason"] == "sent by mistake"
    assert (again.status_code, again.json()["error"]) == (409, "notice_withdrawn")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "notice_not_found")
    assert client.get(PUBLIC, params={"neighbourhood": "hadar"}).json() == []
    assert client.get(INBOX, headers=city.hadar).json()["total"] == 0
    assert client.post(f"{INBOX}/{notice_id}/read", headers=city.hadar).status_code == 404
    [entry] = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "messages.notice.withdraw")
    ).all()
    assert entry.reason == "sent by mistake"


def test_what_is_refused_posts_nothing(client: TestClient, city: City) -> None:
    today = city.today
    cases: list[tuple[dict[str, Any], int, str]] = [
        (notice(city, neighbourhoods=["atlantis"]), 422, "unknown_neighbourhood"),
        (notice(city, whole_city=True), 422, "notice_audience_unclear"),
        (notice(city, neighbourhoods=[]), 422, "notice_audience_unclear"),
        (notice(city, last_day=(today - timedelta(days=1)).isoformat(),
                first_day=(today - timedelta(days=3)).isoformat()), 422, "notice_days_invalid"),
        (notice(city, first_day=(today + timedelta(days=3)).isoformat(),
                last_day=(today + timedelta(days=2)).isoformat()), 422, "notice_days_invalid"),
        (notice(city, last_day=(today + timedelta(days=400)).isoformat()), 422, "notice_days_invalid"),
        (notice(city, title={"ar": "بلا عبرية"}), 422, "validation_error"),
        (notice(city, title={"he": " "}), 422, "validation_error"),
        (notice(city, role="admin"), 422, "validation_error"),
    ]  # fmt: skip
    for sent, code, error in cases:
        response = client.post(ADMIN, json=sent, headers=city.clerk)
        assert (response.status_code, response.json()["error"]) == (code, error), sent

    assert client.post(ADMIN, json=notice(city), headers=city.auditor).status_code == 403
    assert client.post(ADMIN, json=notice(city), headers=city.hadar).status_code == 403
    assert client.get(ADMIN, headers=city.hadar).status_code == 403
    assert client.get(ADMIN).status_code == 401
    assert client.get(ADMIN, headers=city.clerk).json() == []
    unknown = client.get(PUBLIC, params={"neighbourhood": "atlantis"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "neighbourhood_not_found")
    assert client.get(PUBLIC, params={"neighbourhood": "Hadar!"}).status_code == 422


def test_a_notice_of_days_to_come_is_not_current_yet(client: TestClient, city: City) -> None:
    later = notice(
        city,
        first_day=(city.today + timedelta(days=2)).isoformat(),
        last_day=(city.today + timedelta(days=9)).isoformat(),
    )
    posted = client.post(ADMIN, json=later, headers=city.clerk)

    assert posted.json()["state"] == "upcoming"
    assert client.get(PUBLIC, params={"neighbourhood": "hadar"}).json() == []
    assert client.get(INBOX, headers=city.hadar).json()["total"] == 0
