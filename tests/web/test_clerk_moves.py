"""The clerk's change of address: a street chosen from the city's list, a required reason, and the
resident's record redrawn at the new address."""

from __future__ import annotations

import pytest
from playwright.sync_api import ViewportSize, expect

from resident_card.accounts.models import Role
from tests.conftest import LiveServer
from tests.web.axe import assert_accessible
from tests.web.conftest import Browser, enrol_by_api, make_staff, sign_in, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]
DESK: ViewportSize = {"width": 1280, "height": 900}


def test_a_clerk_changes_a_residents_address(browser: Browser, live_server: LiveServer) -> None:
    english = texts("en")
    clerk = make_staff(live_server, Role.admin)
    enrol_by_api(live_server, first_name="Omar", last_name="Haddad")
    page = browser.open("/", locale="en-GB", viewport=DESK)
    sign_in(page, clerk, lands_on="/clerk")
    page.get_by_role("button", name="Omar Haddad").click()
    expect(page.get_by_role("heading", level=3, name=english["clerk.move"])).to_be_visible()

    street = page.get_by_role("combobox", name=english["field.street"])
    street.press_sequentially("Mori")
    expect(page.locator("#move-street-options [role=option]").first).to_be_visible()
    street.press("ArrowDown")
    street.press("Enter")
    expect(street).to_have_value("Moriah Blvd")
    page.get_by_label(english["field.house_number"]).fill("50")
    # The reason is required: without it nothing is sent.
    page.get_by_role("button", name=english["clerk.move_button"]).click()
    expect(page.locator("#move-status")).to_have_text(english["clerk.reason_needed"])
    expect(page.locator("#move-reason")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.locator("#move-reason").fill("Registry: moved within the city")
    page.get_by_role("button", name=english["clerk.move_button"]).click()

    expect(page.locator("#move-status")).to_contain_text("Omar Haddad now lives at Moriah Blvd 50")
    expect(page.locator("#resident-details")).to_contain_text("Moriah Blvd 50")
    expect(street).to_have_value("")
    # The same address again is refused, and said so.
    street.press_sequentially("Moriah Blvd")
    expect(page.locator("#move-street-options [role=option]").first).to_be_visible()
    street.press("ArrowDown")
    street.press("Enter")
    page.get_by_label(english["field.house_number"]).fill("50")
    page.locator("#move-reason").fill("again")
    page.get_by_role("button", name=english["clerk.move_button"]).click()
    expect(page.locator("#move-status")).to_have_text("The resident already lives at this address.")
    assert_accessible(page)
