"""The card in the wallet shows the resident's benefit balances, named by their programmes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from benefits.eligibility.service.allowances import grant_allowance
from benefits.eligibility.service.programme_files import load_programmes
from benefits.eligibility.service.programmes import get_programme
from kernel.clock import SetClock
from kernel.settings import Settings
from tests.factories import auth_headers
from tests.resident_card.credentials_support import resident_user, signing_key

ZONE = ZoneInfo("Asia/Jerusalem")


def test_card_shows_this_months_free_minutes(
    app: FastAPI, client: TestClient, session: Session, settings: Settings, clock: SetClock
) -> None:
    now = clock.now()
    signing_key(session, settings, now)
    load_programmes(session, now=now, zone=ZONE)
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)

    before = client.get("/api/v1/cards/me", headers=headers)
    assert before.status_code == 200, before.text
    assert before.json()["benefits"] == []

    period = now.astimezone(ZONE).strftime("%Y-%m")
    grant_allowance(
        session, programme_code="parking_free_minutes", period=period, now=now, zone=ZONE
    )
    after = client.get("/api/v1/cards/me", headers={**headers, "Accept-Language": "he"}).json()[
        "benefits"
    ]
    minutes = [line for line in after if line["code"] == "parking_free_minutes"]
    assert len(minutes) == 1
    assert minutes[0]["balance"] == 120
    assert minutes[0]["unit"] == "PARKING_MIN"
    programme = get_programme(session, "parking_free_minutes")
    assert minutes[0]["label"] == programme.names
