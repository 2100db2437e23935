"""A permit's last valid day on the pages, in a browser far from the city (Los Angeles): the wallet
and the scanner say the day the API gives, never a day worked out from an instant."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kernel.clock import SetClock
from resident_card.accounts.models import Role
from tests.conftest import LiveServer
from tests.web.conftest import Browser, make_staff, sign_in, texts
from tests.web.test_wallet_parking import api_as, make_driver

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city", "parking_city")]
FAR_AWAY = "America/Los_Angeles"

# The fixtures the wallet's tests set the live app up with.
from tests.web.test_wallet_parking import (  # noqa: E402
    clock,  # noqa: F401
    fresh_database,  # noqa: F401
    modules,  # noqa: F401
    parking_city,  # noqa: F401
)


def written(page: Page, day: str, language: str) -> str:
    """The day as the page's own Intl writes a calendar date in the language."""
    locales = {"he": "he-IL", "ar": "ar-IL-u-nu-latn", "en": "en-GB"}
    return str(
        page.evaluate(
            """([day, locale]) => new Intl.DateTimeFormat(locale,
                 { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" })
                 .format(new Date(day + "T12:00:00Z"))""",
            [day, locales[language]],
        )
    )


def test_the_wallet_and_the_scanner_say_the_apis_last_day_far_from_the_city(
    browser: Browser,
    live_server: LiveServer,
    clock: SetClock,  # noqa: F811
) -> None:
    driver = make_driver(live_server, clock, plate="1234567", permit=True)
    listed = api_as(live_server, driver).get("/parking/permits/me").json()
    day = listed[0]["last_valid_day"]
    assert day is not None

    page = browser.open("/", locale="he-IL", timezone_id=FAR_AWAY)
    assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == FAR_AWAY
    sign_in(page, driver.account, lands_on="/wallet")
    permit = page.locator(f'li.permit[data-permit="{listed[0]["id"]}"]')
    ends = texts("he")["parking.step.ends"].format(date=written(page, day, "he"))
    expect(permit.locator(".steps li").nth(3)).to_have_text(ends)
    until = permit.locator("dl time").nth(1)
    expect(until).to_have_attribute("datetime", day)
    expect(until).to_have_text(written(page, day, "he"))

    officer = make_staff(live_server, Role.inspector)
    scanner = browser.open("/inspect", locale="en-GB", timezone_id=FAR_AWAY)
    scanner.wait_for_url("**/signin?next=%2Finspect")
    expect(scanner.locator("html")).to_have_attribute("data-ready", "true")
    scanner.locator("#username").fill(officer.username)
    scanner.locator("#password").fill(officer.password)
    scanner.locator("#signin-form button[type=submit]").click()
    scanner.wait_for_url("**/inspect")
    expect(scanner.locator("html")).to_have_attribute("data-ready", "true")
    english = texts("en")
    scanner.get_by_label(english["inspect.zone"]).select_option(label="Hadar West")
    scanner.get_by_label(english["inspect.plate"]).fill("12-345-67")
    scanner.get_by_role("button", name=english["inspect.check"]).click()
    verdict = scanner.locator("#verdict")
    expect(verdict).to_have_attribute("data-allowed", "true")
    expect(verdict).to_have_attribute("data-last-valid-day", day)
    expect(scanner.locator("#verdict-until")).to_have_text(
        english["inspect.until"].format(date=written(scanner, day, "en"))
    )
