"""Benefits that follow the clerk's click, and appeals, in a real browser: the clerk verifies a new
resident at /clerk and the wallet shows the month's free minutes with no command run; a refused
benefit is appealed from the wallet and decided at the clerk's desk, in Hebrew, Arabic and English."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from benefits.eligibility.service.programme_files import load_programmes
from resident_card.accounts.models import Role
from tests.conftest import LiveServer
from tests.web.axe import assert_accessible
from tests.web.conftest import Browser, enrol_by_api, make_staff, sign_in, texts
from tests.web.test_wallet_parking import TWO_HOURS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city", "programmes")]
DESK: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 800}
ZONE = ZoneInfo("Asia/Jerusalem")
LOCALES = {"he": "he-IL", "ar": "ar", "en": "en-GB"}


@pytest.fixture
def programmes(live_server: LiveServer) -> None:
    with live_server.database.session() as session:
        load_programmes(session, now=datetime.now(UTC), zone=ZONE)
        session.commit()


def minutes_line(page: Page) -> Locator:
    return page.locator("#balance-list > li[data-account='parking_free_minutes'] .balance-amount")


def verify_at_the_desk(desk: Page, words: dict[str, str], name: str) -> None:
    desk.get_by_role("button", name=name).click()
    desk.get_by_label(words["status.verified"]).check()
    desk.get_by_label(words["clerk.reason"], exact=True).fill("Arnona bill checked")
    desk.get_by_role("button", name=words["clerk.change"]).click()
    expect(desk.locator("#resident-status")).to_have_text(words["status.verified"])


def test_the_clerk_verifies_and_the_wallet_shows_the_free_minutes(
    browser: Browser, live_server: LiveServer
) -> None:
    english = texts("en")
    newcomer = enrol_by_api(live_server, first_name="Maya", last_name="Azoulay")
    wallet = browser.open("/", locale="en-GB", viewport=PHONE)
    sign_in(wallet, newcomer, lands_on="/wallet")
    expect(wallet.locator("#residency-status")).to_have_text(english["status.pending"])
    expect(wallet.locator("#balance-list > li[data-account='parking_free_minutes']")).to_have_count(
        0
    )

    desk = browser.open("/", locale="en-GB", viewport=DESK)
    sign_in(desk, make_staff(live_server, Role.admin), lands_on="/clerk")
    verify_at_the_desk(desk, english, "Maya Azoulay")

    wallet.reload()
    expect(wallet.locator("html")).to_have_attribute("data-ready", "true")
    expect(minutes_line(wallet)).to_have_text("2 hours")


@pytest.mark.parametrize(
    ("language", "outcome"), [("he", "granted"), ("ar", "refused"), ("en", "granted")]
)
def test_a_refused_benefit_is_appealed_from_the_wallet_and_decided_at_the_desk(
    browser: Browser, live_server: LiveServer, language: str, outcome: str
) -> None:
    words = texts(language)
    # Enrolled and not yet verified: the month's free minutes are refused, and the refusal stored.
    newcomer = enrol_by_api(live_server, first_name="Lina", last_name="Haddad")
    wallet = browser.open("/", locale=LOCALES[language], viewport=PHONE)
    sign_in(wallet, newcomer, lands_on="/wallet")
    minutes = wallet.locator("#benefit-list > li[data-programme='parking_free_minutes']")
    expect(minutes).to_contain_text(words["benefits.not_eligible"])
    appeal = minutes.get_by_role("button", name=words["appeal.open"])
    expect(appeal).to_be_visible()
    assert_accessible(wallet)

    appeal.click()
    dialog = wallet.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text(words["appeal.title"].split("{")[0])
    assert_accessible(wallet)
    # A message is required: without it nothing is sent.
    dialog.get_by_role("button", name=words["appeal.send"]).click()
    expect(dialog.locator("#appeal-status")).to_have_text(words["appeal.message_needed"])
    dialog.get_by_label(words["appeal.message"]).fill(
        "I moved here in March; my lease is attached."
    )
    dialog.get_by_role("button", name=words["appeal.send"]).click()
    expect(dialog).to_be_hidden()
    expect(minutes.locator(".appeal-state .badge")).to_have_text(words["appeal.status.submitted"])
    expect(minutes.get_by_role("button", name=words["appeal.open"])).to_have_count(0)
    assert_accessible(wallet)

    desk = browser.open("/", locale=LOCALES[language], viewport=DESK)
    sign_in(desk, make_staff(live_server, Role.admin), lands_on="/clerk")
    listed = desk.locator("#appeals-list li")
    expect(listed).to_have_count(1)
    listed.get_by_role("button").click()
    expect(desk.locator("#appeal")).to_be_focused()
    expect(desk.locator("#appeal-details")).to_contain_text("my lease is attached")
    assert_accessible(desk)
    choice = words["clerk.appeal_grant"] if outcome == "granted" else words["clerk.appeal_refuse"]
    desk.get_by_label(choice).check()
    desk.get_by_label(words["clerk.appeal_reason"]).fill("Lease seen at the desk")
    desk.get_by_role("button", name=words["clerk.appeal_decide"]).click()
    expect(desk.locator("#appeal-state")).to_have_text(words[f"appeal.status.{outcome}"])
    expect(desk.locator("#appeal-form")).to_be_hidden()
    expect(desk.locator("#appeals-count")).to_have_text(words["clerk.appeals_empty"])

    wallet.reload()
    expect(wallet.locator("html")).to_have_attribute("data-ready", "true")
    expect(minutes.locator(".appeal-state .badge")).to_have_text(words[f"appeal.status.{outcome}"])
    expect(minutes).to_contain_text("Lease seen at the desk")
    if outcome == "granted":
        expect(minutes_line(wallet)).to_have_text(TWO_HOURS[language])
    else:
        # Refused, the resident may appeal once more.
        expect(minutes.get_by_role("button", name=words["appeal.open"])).to_be_visible()
    assert_accessible(wallet)
