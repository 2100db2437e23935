"""A refused permit in the wallet's parking section: shown with its appeal, not offered again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kernel.clock import SetClock
from tests.conftest import LiveServer
from tests.web.axe import assert_accessible
from tests.web.conftest import Browser, texts
from tests.web.test_wallet_parking import (
    clock,  # noqa: F401 - the live app's clock, held still
    isolated,
    make_driver,
    open_parking,
    parking_city,  # noqa: F401 - zones, programmes and a signing key
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("parking_city")]


def test_a_refused_permit_shows_its_appeal_and_is_not_offered_again(
    browser: Browser,
    live_server: LiveServer,
    clock: SetClock,  # noqa: F811
) -> None:
    english = texts("en")
    driver = make_driver(live_server, clock, house_number=500, plate="7654321")  # in no zone
    page = open_parking(browser, driver, locale="en-GB")
    page.locator("#permit-form").get_by_role("button", name=english["parking.apply"]).click()
    expect(page.locator("#permit-status")).to_have_text(
        english["parking.refused"].format(plate=isolated("76-543-21"))
    )
    permit = page.locator("li.permit").first
    expect(permit.locator(".permit-state")).to_have_text(english["parking.state.refused"])
    # The refused plate is no longer offered: the refusal and its appeal are shown instead.
    expect(page.locator("#permit-form")).to_be_hidden()
    appeal = permit.get_by_role("button", name=english["appeal.open"])
    expect(appeal).to_be_visible()

    appeal.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text(
        english["appeal.title"].format(name=english["appeal.permit_name"].format(plate="76-543-21"))
    )
    dialog.get_by_label(english["appeal.message"]).fill("My street is in Hadar West.")
    dialog.get_by_role("button", name=english["appeal.send"]).click()
    expect(dialog).to_be_hidden()
    expect(permit.locator(".appeal-state .badge")).to_have_text(english["appeal.status.submitted"])
    expect(permit.locator(".appeal-state")).to_be_focused()
    expect(page.locator("#permit-form")).to_be_hidden()
    assert_accessible(page)
