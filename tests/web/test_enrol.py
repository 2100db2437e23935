"""Enrolling through the form, in Hebrew, on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from resident_card.residents.exceptions import InvalidIdNumber
from tests.factories import israeli_id
from tests.web.conftest import STRONG_PASSWORD, Browser, access_token, refresh_cookie, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


def fill_enrolment(page: Page, *, username: str, id_number: str) -> None:
    page.get_by_label("שם משתמש").fill(username)
    page.locator("#password").fill(STRONG_PASSWORD)
    page.get_by_label("שם פרטי").fill("נועה")
    page.get_by_label("שם משפחה").fill("ברק")
    page.get_by_label("תאריך לידה").fill("1991-03-08")
    page.get_by_label("מספר תעודת זהות ישראלית").check()
    page.get_by_label("מספר המסמך").fill(id_number)
    # The street is chosen from the city's list, by keyboard, as the combobox offers it.
    street = page.get_by_role("combobox", name="רחוב")
    street.press_sequentially("הרצ")
    expect(page.get_by_role("option", name="הרצל")).to_be_visible()
    street.press("ArrowDown")
    expect(street).to_have_attribute("aria-activedescendant", "street-options-0")
    street.press("Enter")
    expect(street).to_have_value("הרצל")
    page.get_by_label("מספר בית").fill("12")
    page.get_by_label("דירה").fill("3")
    page.get_by_label("טלפון נייד").fill("052-1234567")


def test_a_new_resident_enrols_in_hebrew_and_lands_on_their_pending_wallet(
    browser: Browser,
) -> None:
    hebrew = texts("he")
    page = browser.open("/enrol", locale="he-IL")

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "he")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text(hebrew["enrol.heading"])
    expect(page.get_by_role("button", name=hebrew["enrol.submit"])).to_be_visible()

    fill_enrolment(page, username="noa.barak", id_number=israeli_id(4242))
    page.get_by_role("button", name=hebrew["enrol.submit"]).click()

    page.wait_for_url("**/wallet")
    expect(page.get_by_role("heading", level=1)).to_have_text("שלום, נועה")
    expect(page.locator("#residency-status")).to_have_text(hebrew["status.pending"])
    expect(page.locator("#residency-explain")).to_have_text(hebrew["status.pending.explain"])
    expect(page.locator("#history li")).to_have_count(1)
    expect(page.locator("#history li .what")).to_have_text(hebrew["history.enrolled"])
    expect(page.locator("#address")).to_contain_text("הרצל 12 / 3")
    # The ID number never comes back in full: only its last three digits.
    expect(page.locator("#my-details")).to_contain_text(israeli_id(4242)[-3:])
    expect(page.locator("#my-details")).not_to_contain_text(israeli_id(4242))
    assert access_token(page)
    assert refresh_cookie(page)


def test_a_bad_id_number_shows_the_apis_words_and_keeps_what_was_typed(
    browser: Browser,
) -> None:
    page = browser.open("/enrol", locale="he-IL")
    good = israeli_id(4343)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)  # the check digit is off by one
    fill_enrolment(page, username="noa.barak", id_number=bad)

    page.get_by_role("button", name=texts("he")["enrol.submit"]).click()

    status = page.get_by_role("status").filter(has_text=InvalidIdNumber.message["he"])
    expect(status).to_have_text(InvalidIdNumber.message["he"])
    expect(page.locator("#status")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#status")).to_have_attribute("data-tone", "error")
    expect(page.get_by_label("מספר המסמך")).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith("/enrol")
    # Nothing typed is lost.
    expect(page.get_by_label("מספר המסמך")).to_have_value(bad)
    expect(page.get_by_label("שם משתמש")).to_have_value("noa.barak")
    expect(page.get_by_label("שם פרטי")).to_have_value("נועה")
    expect(page.get_by_label("תאריך לידה")).to_have_value("1991-03-08")
    expect(page.get_by_role("combobox", name="רחוב")).to_have_value("הרצל")
    expect(page.locator("#password")).to_have_value(STRONG_PASSWORD)

    # Corrected, the same form goes through.
    page.get_by_label("מספר המסמך").fill(good)
    page.get_by_role("button", name=texts("he")["enrol.submit"]).click()
    page.wait_for_url("**/wallet")


def test_the_form_names_what_is_missing_in_the_pages_language(browser: Browser) -> None:
    page = browser.open("/enrol", locale="en-GB")

    page.get_by_role("button", name=texts("en")["enrol.submit"]).click()

    status = page.locator("#status")
    expect(status).to_contain_text("Please fill in: Username, Password, First name")
    expect(page.get_by_label("Username")).to_be_focused()
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
