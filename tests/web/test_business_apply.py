"""A business joins by itself, in a real Chromium on a phone: a resident applies from the page with
the login they have, sees the application in "My requests", and after the clerk's approval the same
login opens the till; a person without a login makes one on the way. axe-clean in he, ar and en."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from resident_card.accounts.models import Role
from tests.cashback.conftest import registry_number
from tests.conftest import LiveServer
from tests.web.axe import assert_accessible
from tests.web.conftest import (
    STRONG_PASSWORD,
    Browser,
    enrol_by_api,
    goto,
    make_staff,
    sign_in,
    texts,
)
from tests.web.test_wallet import verify

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]
LOCALES = {"he": "he-IL", "ar": "ar-IL", "en": "en-GB"}


def approve_all(live_server: LiveServer) -> None:
    """The clerk approves every business waiting (through the API the clerk's desk uses)."""
    clerk = make_staff(live_server, Role.admin)
    api = f"{live_server.base_url}/api/v1"
    token = httpx.post(
        f"{api}/auth/token", data={"username": clerk.username, "password": clerk.password}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    waiting = httpx.get(f"{api}/admin/cashback/merchants?status=pending", headers=headers).json()
    assert waiting
    for business in waiting:
        answer = httpx.post(
            f"{api}/admin/cashback/merchants/{business['id']}/approve",
            json={"reason": "Registration checked"},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text


def fill_business(page: Page, number: str, name: str = "Falafel HaNevi'im") -> None:
    page.locator("#registry_number").fill(number)
    page.locator("#name").fill(name)
    page.locator("#category").select_option("restaurant")
    page.locator("#street").fill("Herzl")
    page.locator("#street-options [role=option]").first.click()
    page.locator("#house_number").fill("12")


def test_a_resident_applies_and_the_same_login_opens_the_till(
    browser: Browser, live_server: LiveServer
) -> None:
    resident = enrol_by_api(live_server)
    verify(live_server, resident["id"], "Lease checked")
    page = browser.open("/", locale="en-GB")
    sign_in(page, resident, lands_on="/wallet")
    expect(page.locator("#my-business-apply")).to_be_visible()
    page.locator("#my-business-apply a").click()
    page.wait_for_url("**/business/apply")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    expect(page.locator("#applying-as")).to_contain_text(resident["username"])
    expect(page.locator("#new-account")).to_be_hidden()

    number = registry_number()
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    fill_business(page, wrong)
    page.locator("#apply-form button[type=submit]").click()
    en = texts("en")
    expect(page.locator("#status")).to_have_text(en["business_apply.registry_check_digit"])
    expect(page.locator("#registry_number")).to_have_attribute("aria-invalid", "true")

    page.locator("#registry_number").fill(number)
    page.locator("#apply-form button[type=submit]").click()
    page.wait_for_url("**/wallet")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    application = page.locator("#request-list li[data-kind=business_application]")
    expect(application).to_have_attribute("data-status", "submitted")
    expect(application).to_contain_text("Joining the cashback scheme")
    expect(application).to_contain_text("Application received; waiting for the city's decision")
    expect(page.locator("#my-business-name")).to_have_text(
        "Falafel HaNevi'im: Waiting for approval"
    )
    expect(page.locator("#my-business-till")).to_be_hidden()
    expect(page.locator("#my-business-apply")).to_be_hidden()

    approve_all(live_server)

    page.reload()
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    expect(application).to_have_attribute("data-status", "approved")
    expect(page.locator("#my-business-name")).to_have_text("Falafel HaNevi'im: Approved")
    page.locator("#my-business-till").click()
    page.wait_for_url("**/till")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    expect(page.locator("#till-form")).to_be_visible()
    expect(page.locator("#till-staff")).to_be_visible()
    expect(page.locator("#nav-wallet")).to_be_visible()  # the till links back to the wallet


def test_a_person_without_a_login_makes_one_while_applying(browser: Browser) -> None:
    page = browser.open("/business/apply", locale="he-IL")
    expect(page.locator("#new-account")).to_be_visible()
    he = texts("he")
    page.locator("#apply-form button[type=submit]").click()
    expect(page.locator("#status")).to_contain_text(he["business_apply.registry_number"])

    page.locator("#username").fill("shop.owner")
    page.locator("#password").fill(STRONG_PASSWORD)
    fill_business(page, registry_number(), name="מאפיית הדר")
    page.locator("#apply-form button[type=submit]").click()
    page.wait_for_url("**/till")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    expect(page.locator("#application")).to_be_visible()
    expect(page.locator("#application-state")).to_have_text(
        "הבקשה להצטרף לתוכנית התקבלה וממתינה להחלטת העירייה"
    )


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_apply_page_is_accessible_signed_out_and_signed_in(
    browser: Browser, live_server: LiveServer, language: str
) -> None:
    page = browser.open("/business/apply", locale=LOCALES[language])
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == ("ltr" if language == "en" else "rtl")
    assert_accessible(page)
    resident: dict[str, Any] = enrol_by_api(live_server)
    sign_in(page, resident, lands_on="/wallet")
    expect(page.locator("#my-business")).to_be_visible()
    assert_accessible(page)
    goto(page, "/business/apply")
    expect(page.locator("#applying-as")).to_be_visible()
    assert_accessible(page)
