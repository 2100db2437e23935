"""The wallet's contact details: a phone changed at once, a new email confirmed by its link (signed
in already, or signing in on the way), with axe on each page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kernel.notices import Notice
from tests.web.axe import assert_accessible
from tests.web.conftest import Browser, enrol_by_api, sign_in, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


def confirm_link(notices_posted: list[Notice], email: str) -> str:
    links = [n.link for n in notices_posted if n.email == email and n.email_only and n.link]
    assert len(links) == 1, notices_posted
    return links[0]


def ask_for_new_email(page: Page, words: dict[str, str], email: str) -> None:
    contact = page.locator("#contact")
    contact.get_by_text(words["contact.change_email"]).click()
    contact.get_by_label(words["contact.new_email"]).fill(email)
    contact.get_by_role("button", name=words["contact.email_submit"]).click()
    expect(page.locator("#contact-status")).to_have_text(
        words["contact.email_sent"].replace("{email}", email)
    )


def test_a_resident_changes_phone_and_email_from_the_wallet(
    browser: Browser, notices_posted: list[Notice]
) -> None:
    words = texts("he")
    account = enrol_by_api(browser.server)
    page = browser.open("/", locale="he-IL")
    sign_in(page, account, lands_on="/wallet")
    contact = page.locator("#contact")
    expect(contact.get_by_role("heading", name=words["contact.heading"])).to_be_visible()
    expect(contact.locator("#contact-details")).to_contain_text(account["email"])
    expect(contact.locator("#contact-details")).to_contain_text(words["contact.none"])

    contact.get_by_text(words["contact.change_phone"]).click()
    contact.get_by_label(words["contact.new_phone"]).fill("050-123-4567")
    contact.get_by_role("button", name=words["contact.phone_submit"]).click()
    expect(page.locator("#contact-status")).to_have_text(words["contact.phone_changed"])
    expect(contact.locator("#contact-details")).to_contain_text("0501234567")

    ask_for_new_email(page, words, "yael.new@example.org")
    expect(page.locator("#contact-pending")).to_contain_text("yael.new@example.org")
    expect(contact.locator("#contact-details")).to_contain_text(account["email"])
    assert_accessible(page)

    page.goto(confirm_link(notices_posted, "yael.new@example.org"))
    expect(page.get_by_role("status")).to_have_text(
        words["confirm_email.done"].replace("{email}", "yael.new@example.org")
    )
    assert page.url.endswith("/confirm-email")
    assert_accessible(page)
    page.get_by_role("link", name=words["confirm_email.to_wallet"]).click()
    page.wait_for_url("**/wallet#contact")
    expect(contact.locator("#contact-details")).to_contain_text("yael.new@example.org")
    expect(page.locator("#contact-pending")).to_be_hidden()
    expect(page.locator("#contact-heading")).to_be_focused()


def test_a_link_opened_signed_out_confirms_after_signing_in(
    browser: Browser, notices_posted: list[Notice]
) -> None:
    words = texts("en")
    account = enrol_by_api(browser.server)
    wallet = browser.open("/", locale="en-GB")
    sign_in(wallet, account, lands_on="/wallet")
    ask_for_new_email(wallet, words, "moved@example.org")
    link = confirm_link(notices_posted, "moved@example.org")
    requested: list[str] = []

    # Another browser, as from the mail app: not signed in there.
    page = browser.open("/", locale="en-GB")
    page.on("request", lambda request: requested.append(request.url))
    page.goto(link)
    page.wait_for_url("**/signin?next=%2Fconfirm-email")
    page.locator("#username").fill(account["username"])
    page.locator("#password").fill(account["password"])
    page.locator("#signin-form button[type=submit]").click()

    page.wait_for_url("**/confirm-email")
    expect(page.get_by_role("status")).to_have_text(
        words["confirm_email.done"].replace("{email}", "moved@example.org")
    )
    token = link.split("#token=", 1)[1]
    assert not [url for url in requested if token in url]


def test_another_residents_link_is_refused(browser: Browser, notices_posted: list[Notice]) -> None:
    words = texts("ar")
    owner = enrol_by_api(browser.server)
    other = enrol_by_api(browser.server)
    page = browser.open("/", locale="ar-IL")
    sign_in(page, owner, lands_on="/wallet")
    ask_for_new_email(page, words, "owner.new@example.org")
    link = confirm_link(notices_posted, "owner.new@example.org")

    intruder = browser.open("/", locale="ar-IL")
    sign_in(intruder, other, lands_on="/wallet")
    intruder.goto(link)

    expect(intruder.get_by_role("status")).to_contain_text("البريد")
    expect(intruder.locator("#confirm-next")).to_be_visible()
    assert_accessible(intruder)
    intruder.goto("/wallet")
    expect(intruder.locator("#contact-details")).to_contain_text(other["email"])
    expect(intruder.locator("#contact-pending")).to_be_hidden()
