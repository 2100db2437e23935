"""Parking tells the permit's holder: granted, refused (why), about to end (a daily job, once per
permit), revoked by a change, and a pass issued afresh; a refused request tells no one."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision
from kernel.clock import SetClock
from kernel.i18n import LANGUAGES
from kernel.notices import Category, Notice
from kernel.schedule import JobContext
from parking import notices as parking_notices
from parking.manifest import MANIFEST
from parking.models import ParkingPass, Permit
from parking.service import permits
from parking.service.calendar import last_valid_day
from parking.settings import parking_settings
from resident_card.city.service import street_by_code
from resident_card.credentials import service as credentials
from resident_card.credentials.service import Keyring
from tests.parking.conftest import apply, permit_holder, person, register
from toshav.settings import ServiceSettings

pytestmark = pytest.mark.usefixtures("parking_ready")

ZONE = {"he": "הדר מערב", "ar": "غرب الهدار", "en": "Hadar West"}


def _assert_notice(
    notice: Notice, account_id: uuid.UUID | None, category: Category, *details: str
) -> None:
    assert (notice.account_id, notice.category, notice.link) == (
        account_id,
        category,
        "/wallet#parking",
    )
    for language in LANGUAGES:
        assert notice.title[language].strip()
        assert notice.body[language].strip()
        for detail in details:
            assert detail in notice.body[language], (language, notice.body[language])
        assert ZONE[language] in notice.body[language] or category == Category.permits


def _assert_names_what_failed(
    session: Session, permit: dict[str, Any], notice: Notice, fact: str
) -> None:
    """The notice names, in each language, the condition the application failed."""
    decision = session.get(Decision, uuid.UUID(permit["decision_id"]))
    assert decision is not None
    failed = [r for r in decision.reason_list() if r.kind == "compare" and not r.passed]
    assert [r.fact for r in failed] == [fact]
    for language in LANGUAGES:
        assert failed[0].text[language] in notice.body[language]


def test_a_granted_permit_tells_its_holder_the_plate_zone_and_last_day(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    notices_posted: list[Notice],
) -> None:
    holder, permit = permit_holder(client, session, settings, app)

    [notice] = notices_posted
    row = session.get(Permit, uuid.UUID(permit["id"]))
    assert row is not None
    assert row.valid_to is not None
    until = last_valid_day(row.valid_to, settings).strftime("%d.%m.%Y")
    _assert_notice(notice, holder.user.id, Category.permits, "12-345-67", until)
    for language in LANGUAGES:
        assert ZONE[language] in notice.body[language]
    assert notice.title["en"] == "Parking permit granted"
    assert notice.key is None


def test_a_refused_permit_tells_the_applicant_why(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    notices_posted: list[Notice],
) -> None:
    applicant = person(session, settings, app, status="pending")
    register(client, applicant, "7654321")

    refused = apply(client, applicant, "76-543-21")

    assert refused["status"] == "refused"
    [notice] = notices_posted
    _assert_notice(notice, applicant.user.id, Category.permits, "76-543-21")
    assert notice.title["en"] == "Parking permit refused"
    _assert_names_what_failed(session, refused, notice, "residency_status")


def test_an_application_for_no_zone_says_so(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    notices_posted: list[Notice],
) -> None:
    applicant = person(session, settings, app, street="herzl", house_number=500)
    register(client, applicant, "7654321")

    refused = apply(client, applicant, "7654321")

    assert refused["status"] == "refused"
    [notice] = notices_posted
    _assert_notice(notice, applicant.user.id, Category.permits, "76-543-21")
    _assert_names_what_failed(session, refused, notice, "parking_zone")


def test_a_failed_request_tells_no_one(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    notices_posted: list[Notice],
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    notices_posted.clear()

    bad_plate = client.post("/api/v1/parking/permits", json={"plate": "12"}, headers=holder.headers)
    again = client.post(
        "/api/v1/parking/permits", json={"plate": "1234567"}, headers=holder.headers
    )
    stranger = person(session, settings, app, house_number=17)
    not_theirs = client.post(
        f"/api/v1/parking/permits/{permit['id']}/cancel", headers=stranger.headers
    )

    assert (bad_plate.status_code, again.status_code, not_theirs.status_code) == (422, 409, 404)
    assert notices_posted == []


def test_cancelling_ones_own_permit_tells_no_one(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    notices_posted: list[Notice],
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    notices_posted.clear()

    cancelled = client.post(
        f"/api/v1/parking/permits/{permit['id']}/cancel", headers=holder.headers
    )

    assert cancelled.status_code == 200
    assert notices_posted == []


def test_moving_revokes_the_permit_and_says_why(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    notices_posted: list[Notice],
) -> None:
    holder, _permit = permit_holder(client, session, settings, app)
    notices_posted.clear()
    moriah = street_by_code(session, "moriah")
    assert moriah is not None
    holder.resident.street_id = moriah.id
    holder.resident.house_number = 50
    session.flush()

    assert client.post("/api/v1/parking/me/moved", headers=holder.headers).status_code == 200

    [notice] = notices_posted
    _assert_notice(notice, holder.user.id, Category.revocations, "12-345-67")
    assert notice.title["en"] == "Parking permit revoked"
    assert "no longer in that zone" in notice.body["en"]


def test_removing_the_vehicle_revokes_the_permit(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    notices_posted: list[Notice],
) -> None:
    holder, _permit = permit_holder(client, session, settings, app)
    vehicle = client.get("/api/v1/parking/vehicles/me", headers=holder.headers).json()[0]
    notices_posted.clear()

    removed = client.delete(f"/api/v1/parking/vehicles/{vehicle['id']}", headers=holder.headers)

    assert removed.status_code == 204
    [notice] = notices_posted
    _assert_notice(notice, holder.user.id, Category.revocations, "12-345-67")
    assert "removed from the household" in notice.body["en"]


def test_the_nightly_reconcile_revokes_the_permit_of_one_no_longer_verified(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    holder, _permit = permit_holder(client, session, settings, app)
    notices_posted.clear()
    holder.resident.status = "moved_out"
    session.flush()

    assert permits.reconcile_everyone(session, now=clock.now()) == 1

    [notice] = notices_posted
    _assert_notice(notice, holder.user.id, Category.revocations, "12-345-67")
    assert "no longer verified" in notice.body["en"]


def test_a_pass_issued_afresh_tells_its_holder(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    kid = _kid(session, permit)
    credentials.rotate_key(
        session, settings, now=clock.now() - timedelta(minutes=1), activate_in=timedelta(0)
    )
    notices_posted.clear()

    assert (
        permits.reissue_passes(
            session, parking_settings(settings), Keyring(settings), kid=kid, now=clock.now()
        )
        == 1
    )

    [notice] = notices_posted
    _assert_notice(notice, holder.user.id, Category.revocations, "12-345-67")
    assert notice.title["en"] == "A new parking pass"


def _kid(session: Session, permit: dict[str, object]) -> str:
    parking_pass = session.scalar(
        select(ParkingPass).where(ParkingPass.pass_id == permit["pass_id"])
    )
    assert parking_pass is not None
    return parking_pass.kid


def test_the_daily_job_reminds_once_per_permit_ending_within_the_days(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    soon_holder, soon = permit_holder(client, session, settings, app)
    _later_holder, later = permit_holder(
        client, session, settings, app, plate="7654321", house_number=3
    )
    _gone_holder, gone = permit_holder(
        client, session, settings, app, plate="1111111", house_number=5
    )
    for permit_id, days in ((soon["id"], 10), (later["id"], 30), (gone["id"], 5)):
        row = session.get(Permit, uuid.UUID(permit_id))
        assert row is not None
        row.valid_to = clock.now() + timedelta(days=days)
    session.flush()
    cancelled = client.post(
        f"/api/v1/parking/permits/{gone['id']}/cancel", headers=_gone_holder.headers
    )
    assert cancelled.status_code == 200
    notices_posted.clear()
    assert parking_notices.EXPIRING_PERMITS in MANIFEST.jobs
    assert parking_notices.EXPIRING_PERMITS.name == "parking.expiring_permits"
    assert parking_notices.EXPIRING_PERMITS.cadence.kind == "daily"

    def run(days_later: int) -> dict[str, int]:
        now = clock.now() + timedelta(days=days_later)
        key, start = parking_notices.EXPIRING_PERMITS.cadence.period(now)
        context = JobContext(
            settings=settings,
            now=now,
            period_key=key,
            period_start=start,
            transactions=lambda work: work(session),
        )
        return dict(parking_notices.EXPIRING_PERMITS.run(context))

    assert run(0) == {"reminded": 1}
    assert run(1) == {"reminded": 1}  # found again the next night: the same key

    assert {(n.account_id, n.key) for n in notices_posted} == {
        (soon_holder.user.id, f"parking.permit_expiring:{soon['id']}")
    }
    notice = notices_posted[0]
    row = session.get(Permit, uuid.UUID(soon["id"]))
    assert row is not None
    assert row.valid_to is not None
    _assert_notice(
        notice,
        soon_holder.user.id,
        Category.permits,
        "12-345-67",
        last_valid_day(row.valid_to, settings).strftime("%d.%m.%Y"),
    )
    assert notice.title["en"] == "Your parking permit ends soon"
    # The holder's inbox keeps one reminder, in their language.
    inbox = client.get(
        "/api/v1/messages/me", headers={**soon_holder.headers, "Accept-Language": "en"}
    ).json()["items"]
    reminders = [m for m in inbox if m["title"] == "Your parking permit ends soon"]
    assert [(m["category"], m["link"]) for m in reminders] == [("permits", "/wallet#parking")]
    assert "12-345-67" in reminders[0]["body"]


def test_the_reminder_reads_its_days_from_the_settings(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    assert parking_settings(settings).parking_permit_reminder_days == 14
    _holder, permit = permit_holder(client, session, settings, app)
    row = session.get(Permit, uuid.UUID(permit["id"]))
    assert row is not None
    row.valid_to = clock.now() + timedelta(days=30)
    session.flush()
    notices_posted.clear()

    month = settings.model_copy(update={"parking_permit_reminder_days": 31})
    found, after = parking_notices.remind_expiring(session, month, now=clock.now())
    assert (found, after) == (1, None)
    assert len(notices_posted) == 1
