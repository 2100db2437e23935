"""The wallet's "My requests", in a real Chromium on a small phone: a resident still waiting for
verification sees that first, with their enrolment's steps and what happens next; a verified one
sees the timelines of their enrolment and their permit; a business not approved shows its owner its
application on the till. In Hebrew, Arabic and English, checked by axe."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from benefits.eligibility.service.programme_files import load_programmes
from cashback.models import MerchantStatus
from cashback.service import merchants
from kernel.i18n import LANGUAGES
from parking.models import VehicleRelation
from parking.service import vehicles, zones
from parking.service.permits import apply_for_permit
from resident_card.credentials import service as credentials
from resident_card.credentials.service import Keyring
from resident_card.residents.service import records
from tests.cashback.conftest import make_business
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD
from tests.web.axe import assert_accessible
from tests.web.conftest import Browser, choose_language, enrol_by_api, sign_in, texts
from tests.web.test_wallet import verify

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
CITY = ZoneInfo("Asia/Jerusalem")

# The id of the first section a person meets in the page's main part, among those shown.
FIRST_SHOWN = """() => {
  const shown = [...document.querySelectorAll("#main section")].filter((s) => s.offsetParent !== null);
  return shown.length ? shown[0].id : null;
}"""


def api_requests(live_server: LiveServer, account: dict[str, Any], language: str) -> list[Any]:
    """What the API says of the person's requests, in a language: the page must show the same."""
    api = f"{live_server.base_url}/api/v1"
    token = httpx.post(
        f"{api}/auth/token",
        data={"username": account["username"], "password": account["password"]},
        timeout=10,
    ).json()["access_token"]
    answer = httpx.get(
        f"{api}/requests/me",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body: list[Any] = answer.json()
    return body


def expect_steps(steps: Locator, request: dict[str, Any]) -> None:
    """An ordered list of the request's steps: each one's words, its <time>, and its note."""
    timeline = request["timeline"]
    expect(steps.locator("> li")).to_have_count(len(timeline))
    for index, step in enumerate(timeline):
        item = steps.locator("> li").nth(index)
        expect(item.locator(".what")).to_have_text(step["status_text"])
        moment = datetime.fromisoformat(step["at"])
        expect(item.locator("time")).to_have_attribute(
            "datetime", re.compile(moment.strftime("%Y-%m-%dT%H:%M"))
        )
        if step["note"]:
            expect(item.locator(".step-note")).to_have_text(step["note"])
        else:
            expect(item.locator(".step-note")).to_have_count(0)
    expect(steps.locator("> li").last).to_have_attribute("aria-current", "step")


def switch_to(page: Page, language: str) -> None:
    choose_language(page, language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", "ltr" if language == "en" else "rtl")


def test_a_resident_waiting_for_verification_sees_that_first(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server, first_name="Maya")
    page = browser.open("/", locale="he-IL", viewport=SMALL_PHONE)
    sign_in(page, newcomer, lands_on="/wallet")

    for language in LANGUAGES:
        words = texts(language)
        switch_to(page, language)
        waiting = page.locator("section#waiting")
        expect(waiting).to_be_visible()
        expect(waiting.get_by_role("heading", level=2)).to_have_text(
            words["requests.waiting.heading"]
        )
        expect(waiting).to_contain_text(words["requests.waiting.next"])
        [enrolment] = api_requests(live_server, newcomer, language)
        assert enrolment["status"] == "waiting"
        expect_steps(page.locator("#waiting-steps"), enrolment)
        # Before anything else on the wallet; and not listed a second time below.
        assert page.evaluate(FIRST_SHOWN) == "waiting"
        expect(page.locator("section#requests")).to_be_visible()
        expect(page.locator("#request-list > li")).to_have_count(0)
        expect(page.locator("#requests-empty")).to_have_text(words["requests.none"])
        assert_accessible(page)


@pytest.fixture
def parking_city(live_server: LiveServer) -> None:
    """The city's parking zones, the shipped programmes, and a key that signs passes."""
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as db:
        zones.import_demo_zones(db)
        load_programmes(db, now=now, zone=CITY)
        credentials.rotate_key(
            db, database.settings, now=now - timedelta(days=2), activate_in=timedelta(0)
        )
        db.commit()


def grant_permit(live_server: LiveServer, resident_id: uuid.UUID, plate: str) -> None:
    database = live_server.database
    settings = database.settings
    now = datetime.now(UTC)
    with database.session() as db:
        resident = records.get_resident(db, resident_id)
        assert resident is not None
        vehicles.register_vehicle(
            db, settings, resident, plate=plate, relation=VehicleRelation.owner, now=now
        )
        view = apply_for_permit(db, settings, Keyring(settings), resident, plate=plate, now=now)
        assert view.state == "active"
        db.commit()


def test_a_verified_resident_sees_the_timelines_of_their_enrolment_and_permit(
    browser: Browser, live_server: LiveServer, parking_city: None
) -> None:
    newcomer = enrol_by_api(live_server, first_name="Noa", house_number=15)
    verify(live_server, newcomer["id"], "Lease checked at the service centre")
    grant_permit(live_server, uuid.UUID(newcomer["id"]), "1234567")
    page = browser.open("/", locale="he-IL", viewport=SMALL_PHONE)
    sign_in(page, newcomer, lands_on="/wallet")

    for language in LANGUAGES:
        words = texts(language)
        switch_to(page, language)
        expect(page.locator("section#waiting")).to_be_hidden()
        section = page.locator("section#requests")
        expect(section.get_by_role("heading", level=2)).to_have_text(words["requests.heading"])
        permit, enrolment = api_requests(live_server, newcomer, language)
        assert (permit["kind"], enrolment["kind"]) == ("permit", "enrolment")
        assert [s["status"] for s in enrolment["timeline"]] == ["submitted", "waiting", "verified"]
        items = page.locator("#request-list > li")
        expect(items).to_have_count(2)
        # Newest first: the permit, then the enrolment, each under its heading.
        for item, request, kind in (
            (items.nth(0), permit, "requests.kind.permit"),
            (items.nth(1), enrolment, "requests.kind.enrolment"),
        ):
            expect(item.get_by_role("heading", level=3)).to_have_text(words[kind])
            expect(item.locator(".request-state")).to_have_text(request["status_text"])
            steps = item.get_by_role("list", name=words["requests.steps"])
            expect_steps(steps, request)
        expect(items.nth(1).locator("li").last.locator(".step-note")).to_have_text(
            "Lease checked at the service centre"
        )
        assert_accessible(page)


def test_a_business_not_approved_shows_its_application_on_the_till(
    browser: Browser, live_server: LiveServer
) -> None:
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as db:
        merchant, owner = make_business(
            db, database.settings, now=now, status=MerchantStatus.pending, name="Café Hadar"
        )
        for status, reason in (
            (MerchantStatus.approved, "Papers checked"),
            (MerchantStatus.suspended, "Complaints from residents"),
        ):
            merchants.change_status(
                db, merchant.id, to=status, reason=reason, actor_id=None, now=now
            )
        db.commit()
        account = {"username": owner.username, "password": DEFAULT_PASSWORD}
    page = browser.open("/", locale="he-IL", viewport=SMALL_PHONE)
    sign_in(page, account, lands_on="/till")

    for language in LANGUAGES:
        words = texts(language)
        switch_to(page, language)
        section = page.get_by_role("region", name=words["till.application_heading"])
        expect(section).to_be_visible()
        [application] = api_requests(live_server, account, language)
        assert [s["status"] for s in application["timeline"]] == [
            "submitted",
            "approved",
            "suspended",
        ]
        expect(section.locator("#application-state")).to_have_text(application["status_text"])
        expect_steps(section.locator("#application-steps"), application)
        expect(section.locator("li").last.locator(".step-note")).to_have_text(
            "Complaints from residents"
        )
        assert_accessible(page)
