"""The clerk's desk: verifying a new resident, and an auditor who may only look."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import ViewportSize, expect

from resident_card.accounts.models import Role
from tests.conftest import LiveServer
from tests.factories import israeli_id
from tests.web.axe import assert_accessible
from tests.web.conftest import Browser, enrol_by_api, goto, make_staff, sign_in, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]
DESK: ViewportSize = {"width": 1280, "height": 900}


def test_a_clerk_verifies_a_new_resident_who_then_sees_it(
    browser: Browser, live_server: LiveServer
) -> None:
    hebrew, arabic = texts("he"), texts("ar")
    clerk = make_staff(live_server, Role.admin)
    newcomer = enrol_by_api(live_server, first_name="יעל", last_name="כהן")
    resident = browser.open("/", locale="he-IL")
    sign_in(resident, newcomer, lands_on="/wallet")
    expect(resident.locator("#residency-status")).to_have_text(hebrew["status.pending"])

    desk = browser.open("/", locale="ar", viewport=DESK)
    sign_in(desk, clerk, lands_on="/clerk")
    expect(desk.locator("html")).to_have_attribute("dir", "rtl")
    expect(desk.get_by_role("heading", level=1)).to_have_text(arabic["clerk.heading"])
    expect(desk.locator("#readonly-note")).to_be_hidden()
    desk.get_by_role("button", name="יעל כהן").click()
    expect(desk.get_by_role("heading", level=2, name="יעל כהן")).to_be_visible()
    expect(desk.locator("#resident")).to_be_focused()
    expect(desk.locator("#resident-status")).to_have_text(arabic["status.pending"])

    # The reason is required: without it nothing is sent.
    desk.get_by_label(arabic["status.verified"]).check()
    desk.get_by_role("button", name=arabic["clerk.change"]).click()
    expect(desk.locator("#change-status")).to_have_text(arabic["clerk.reason_needed"])
    expect(desk.locator("#resident-status")).to_have_text(arabic["status.pending"])

    desk.get_by_label(arabic["clerk.reason"], exact=True).fill("Arnona bill for Herzl 12 checked")
    desk.get_by_role("button", name=arabic["clerk.change"]).click()
    expect(desk.locator("#change-status")).to_contain_text(arabic["status.verified"])
    expect(desk.locator("#resident-status")).to_have_text(arabic["status.verified"])
    expect(desk.locator("#resident-history li")).to_have_count(2)
    # Verified, the resident leaves the queue of pending enrolments.
    expect(desk.locator("#queue-count")).to_have_text(arabic["clerk.queue_empty"])
    expect(desk.get_by_role("button", name="יעל כהן")).to_have_count(0)

    resident.reload()
    expect(resident.locator("html")).to_have_attribute("data-ready", "true")
    expect(resident.locator("#residency-status")).to_have_text(hebrew["status.verified"])
    expect(resident.locator("#residency-explain")).to_have_text(hebrew["status.verified.explain"])
    history = resident.locator("#history li")
    expect(history).to_have_count(2)
    expect(history.nth(0).locator(".what")).to_have_text(hebrew["history.enrolled"])
    expect(history.nth(1).locator(".what")).to_have_text(hebrew["status.verified"])
    expect(history.nth(1)).to_contain_text("Arnona bill for Herzl 12 checked")


def test_an_auditor_sees_everything_and_no_change_button(
    browser: Browser, live_server: LiveServer
) -> None:
    english = texts("en")
    auditor = make_staff(live_server, Role.auditor)
    enrol_by_api(live_server, first_name="Omar", last_name="Haddad")
    enrol_by_api(live_server, first_name="Rina", last_name="Peretz")
    page = browser.open("/", locale="en-GB", viewport=DESK)

    sign_in(page, auditor, lands_on="/clerk")
    expect(page.locator("#readonly-note")).to_have_text(english["clerk.readonly"])
    expect(page.locator("#queue-list li")).to_have_count(2)
    page.get_by_label(english["clerk.search"]).fill("hadd")
    page.get_by_label(english["clerk.search"]).press("Enter")
    expect(page.locator("#queue-list li")).to_have_count(1)
    expect(page.locator("#queue-count")).to_have_text("Showing 1 of 1")
    page.get_by_role("button", name="Omar Haddad").click()

    expect(page.get_by_role("heading", level=2, name="Omar Haddad")).to_be_visible()
    expect(page.locator("#resident-details")).to_contain_text(english["identifier.israeli_id"])
    expect(page.locator("#status-form")).to_be_hidden()
    expect(page.get_by_role("button", name=english["clerk.change"])).to_have_count(0)
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.locator("#resident button")).to_have_count(0)


def test_a_resident_is_not_let_onto_the_desk(browser: Browser, live_server: LiveServer) -> None:
    newcomer = enrol_by_api(live_server)
    page = browser.open("/", locale="en-GB")
    sign_in(page, newcomer, lands_on="/wallet")

    goto(page, "/clerk")

    expect(page.locator("#status")).to_have_text(texts("en")["clerk.staff_only"])
    expect(page.locator("#desk")).to_be_hidden()


def test_a_clerk_refuses_a_claim_on_a_registered_identity(
    browser: Browser, live_server: LiveServer
) -> None:
    english = texts("en")
    clerk = make_staff(live_server, Role.admin)
    number = israeli_id(8_801)
    enrol_by_api(live_server, first_name="Rina", last_name="Peretz", identifier=_id(number))
    # The same ID number again: answered as any enrolment, and queued as a claim.
    claiming = enrol_by_api(live_server, first_name="Tal", last_name="Ben", identifier=_id(number))
    assert claiming["status"] == "pending"
    page = browser.open("/", locale="en-GB", viewport=DESK)
    sign_in(page, clerk, lands_on="/clerk")

    claimed = page.locator("#queue-list li", has_text="Tal Ben")
    expect(claimed).to_contain_text(english["clerk.claim_mark"])
    expect(page.locator("#queue-list li", has_text="Rina Peretz")).not_to_contain_text(
        english["clerk.claim_mark"]
    )
    page.get_by_role("button", name="Tal Ben").click()
    expect(page.get_by_role("heading", level=3, name=english["clerk.claim"])).to_be_visible()
    expect(page.locator("#claim-details")).to_contain_text(english["clerk.claim_state.open"])
    expect(page.locator("#claim-details")).to_contain_text(english["clerk.claim_matches.yes"])
    expect(page.locator("#status-form")).to_be_hidden()

    page.get_by_role("button", name=english["clerk.claim_holder"]).click()
    expect(page.get_by_role("heading", level=2, name="Rina Peretz")).to_be_visible()
    expect(page.locator("#claim-desk")).to_be_hidden()
    expect(page.locator("#status-form")).to_be_visible()

    page.get_by_role("button", name="Tal Ben").click()
    page.get_by_label(english["clerk.claim_refuse"]).check()
    page.get_by_label(english["clerk.claim_reason"]).fill("The ID number is Rina Peretz's.")
    page.get_by_role("button", name=english["clerk.claim_button"]).click()
    expect(page.locator("#claim-status")).to_contain_text(english["clerk.claim_state.refused"])
    expect(page.locator("#resident-status")).to_have_text(english["status.rejected"])
    expect(page.locator("#claim-form")).to_be_hidden()
    expect(page.get_by_role("button", name="Tal Ben")).to_have_count(0)


def _id(number: str) -> dict[str, str]:
    return {"kind": "israeli_id", "value": number}


def test_a_clerk_grants_an_erasure_and_the_person_signs_in_no_more(
    browser: Browser, live_server: LiveServer
) -> None:
    hebrew = texts("he")
    person = enrol_by_api(live_server, first_name="רינה", last_name="גולן")
    signing_in = {"username": person["username"], "password": person["password"]}
    with httpx.Client(base_url=live_server.base_url) as api:
        token = api.post("/api/v1/auth/token", data=signing_in).json()["access_token"]
        asked = api.post(
            "/api/v1/me/erasure",
            json={"reason": "I am leaving the city"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert asked.status_code == 202, asked.text

    desk = browser.open("/", locale="he-IL", viewport=DESK)
    sign_in(desk, make_staff(live_server, Role.admin), lands_on="/clerk")
    erasures = desk.locator("#erasures")
    erasures.get_by_role("button", name="רינה גולן").click()
    expect(desk.locator("#erasure")).to_be_focused()
    expect(desk.locator("#erasure-state")).to_have_text(hebrew["erasure.status.submitted"])
    expect(desk.locator("#erasure-details")).to_contain_text("I am leaving the city")
    form = desk.locator("#erasure-form")
    form.get_by_role("button", name=hebrew["clerk.erasure_decide"]).click()
    expect(desk.locator("#erasure-change")).to_have_text(hebrew["clerk.erasure_outcome_needed"])
    form.get_by_label(hebrew["clerk.erasure_grant"]).check()
    form.get_by_label(hebrew["clerk.erasure_reason"]).fill("No record of hers must be kept")
    form.get_by_role("button", name=hebrew["clerk.erasure_decide"]).click()
    expect(desk.locator("#erasure-change")).to_have_text(
        f"רינה גולן: {hebrew['erasure.status.granted']}."
    )
    expect(desk.locator("#erasure-state")).to_have_text(hebrew["erasure.status.granted"])
    expect(form).to_be_hidden()
    expect(desk.locator("#erasures-count")).to_have_text(hebrew["clerk.erasures_empty"])
    assert_accessible(desk)

    with httpx.Client(base_url=live_server.base_url) as api:
        assert api.post("/api/v1/auth/token", data=signing_in).status_code == 401
