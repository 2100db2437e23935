"""The owner manages the business's staff logins on /business, in a real Chromium on a phone:
adds a resident's login and a new login (with its one-time link, which the new cashier uses to
choose a password and reach the till), and removes them; staff cannot manage. axe-clean in he, ar
and en."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cashback.repository.merchants import MerchantRepository
from resident_card.accounts.models import Role
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.web.axe import assert_accessible
from tests.web.cashback_support import open_shop
from tests.web.conftest import Account, Browser, enrol_by_api, goto, sign_in, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]
LOCALES = {"he": "he-IL", "ar": "ar-IL", "en": "en-GB"}


def owner_of_shop(live_server: LiveServer) -> Account:
    shop = open_shop(live_server)
    return Account(shop.staff.username, DEFAULT_PASSWORD)


def test_the_owner_adds_and_removes_staff_logins(browser: Browser, live_server: LiveServer) -> None:
    owner = owner_of_shop(live_server)
    cashier = enrol_by_api(live_server)
    page = browser.open("/", locale="en-GB")
    sign_in(page, owner, lands_on="/till")
    page.locator("#till-staff a").click()
    page.wait_for_url("**/business")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    expect(page.locator("#staff-list li")).to_have_count(1)

    page.locator("#staff_username").fill(cashier["username"])
    page.locator("#add-form button[type=submit]").click()
    expect(page.locator("#status")).to_have_text(f"{cashier['username']} added to the staff.")
    expect(page.locator(f"#staff-list li[data-username='{cashier['username']}']")).to_be_visible()
    expect(page.locator("#invite")).to_be_hidden()

    page.locator("input[name=how][value=new]").check()
    page.locator("#staff_username").fill("new.cashier")
    page.locator("#display_name").fill("Noa")
    page.locator("#add-form button[type=submit]").click()
    expect(page.locator("#invite")).to_be_visible()
    link = page.locator("#invite-link").input_value()
    assert "/reset-password#token=" in link
    expect(page.locator("#staff-list li")).to_have_count(3)

    newcomer = browser.open("/", locale="en-GB")
    goto(newcomer, link.removeprefix(live_server.base_url))
    newcomer.locator("input[type=password]").first.fill("the-cashier-passphrase")
    newcomer.locator("form button[type=submit]").click()
    expect(newcomer.locator("#reset-signin")).to_be_visible()
    sign_in(newcomer, Account("new.cashier", "the-cashier-passphrase"), lands_on="/till")
    expect(newcomer.locator("#till-form")).to_be_visible()
    expect(newcomer.locator("#till-staff")).to_be_hidden()  # staff do not manage staff

    # A new login's invitation can go by email instead of being shown.
    page.locator("input[name=how][value=new]").check()
    page.locator("#staff_username").fill("mailed.cashier")
    page.locator("#staff_email").fill("mailed@example.org")
    page.locator("#add-form button[type=submit]").click()
    expect(page.locator("#status")).to_have_text(
        "mailed.cashier added to the staff; the invitation went to mailed@example.org."
    )
    expect(page.locator("#invite")).to_be_hidden()
    expect(page.locator("#email-field")).to_be_hidden()  # the form starts again as "existing"
    expect(page.locator("#staff-list li")).to_have_count(4)
    page.get_by_role("button", name="Remove mailed.cashier").click()
    expect(page.locator("#staff-list li")).to_have_count(3)

    page.get_by_role("button", name="Remove new.cashier").click()
    expect(page.locator("#status")).to_have_text(
        "new.cashier removed. Their access to the till has ended."
    )
    expect(page.locator("#staff-list li")).to_have_count(2)
    newcomer.reload()
    expect(newcomer.locator("html")).to_have_attribute("data-ready", "true")
    expect(newcomer.locator("#till-form")).to_be_hidden()
    page.get_by_role("button", name=f"Remove {cashier['username']}").click()
    expect(page.locator("#staff-list li")).to_have_count(1)


def test_staff_are_told_only_the_owner_manages(browser: Browser, live_server: LiveServer) -> None:
    shop = open_shop(live_server)
    with live_server.database.session() as session:
        cashier = create_user(session, live_server.database.settings, role=Role.merchant)
        repository = MerchantRepository(session)
        merchant = repository.merchant_of_staff(shop.staff.id)
        assert merchant is not None
        repository.add_staff_if_absent(merchant.id, cashier.id)
        session.commit()
    page = browser.open("/", locale="en-GB")
    sign_in(page, Account(cashier.username, DEFAULT_PASSWORD), lands_on="/till")
    goto(page, "/business")
    expect(page.locator("#status")).to_have_text(texts("en")["business.owner_only"])
    expect(page.locator("#staff")).to_be_hidden()


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_business_page_is_accessible(
    browser: Browser, live_server: LiveServer, language: str
) -> None:
    owner = owner_of_shop(live_server)
    page = browser.open("/", locale=LOCALES[language])
    sign_in(page, owner, lands_on="/till")
    goto(page, "/business")
    expect(page.locator("#staff-list li")).to_have_count(1)
    page.locator("input[name=how][value=new]").check()
    page.locator("#staff_username").fill("someone.new")
    page.locator("#add-form button[type=submit]").click()
    expect(page.locator("#invite")).to_be_visible()
    assert page.locator("html").get_attribute("dir") == ("ltr" if language == "en" else "rtl")
    assert_accessible(page)
