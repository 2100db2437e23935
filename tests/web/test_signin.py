"""Signing in and out: by keyboard alone, with a refused password, a lockout, a token run out."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Route, expect

from resident_card.accounts.exceptions import InvalidCredentials
from tests.conftest import LiveServer
from tests.web.conftest import (
    Browser,
    access_token,
    enrol_by_api,
    goto,
    refresh_cookie,
    sign_in,
    spoil_access_token,
    texts,
    wait_for_held,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


def test_signing_in_with_the_keyboard_alone(browser: Browser, live_server: LiveServer) -> None:
    newcomer = enrol_by_api(live_server, first_name="Rami")
    page = browser.open("/signin", locale="en-GB")

    # The first Tab reaches the skip link, shown and ringed while it has the focus.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=texts("en")["app.skip"])
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    expect(skip).to_have_css("outline-style", "solid")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    username = page.get_by_label("Username")
    for _ in range(10):
        page.keyboard.press("Tab")
        if username.evaluate("field => field === document.activeElement"):
            break
    expect(username).to_be_focused()
    expect(username).to_have_css("outline-style", "solid")
    page.keyboard.type(newcomer["username"])
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(newcomer["password"])
    page.keyboard.press("Enter")

    page.wait_for_url("**/wallet")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Rami")


def test_a_wrong_password_is_told_in_the_live_region(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server)
    page = browser.open("/signin", locale="ar")

    page.locator("#username").fill(newcomer["username"])
    page.locator("#password").fill("not-the-password")
    page.locator("#signin-form button[type=submit]").click()

    expect(page.get_by_role("status")).to_have_text(InvalidCredentials.message["ar"])
    assert page.url.endswith("/signin")
    expect(page.locator("#username")).to_have_value(newcomer["username"])


def test_a_slowed_down_sign_in_shows_how_long_to_wait(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server)
    settings = live_server.database.settings
    for _ in range(settings.login_max_failures):
        httpx.post(
            f"{live_server.base_url}/api/v1/auth/token",
            data={"username": newcomer["username"], "password": "wrong-wrong-wrong"},
        )
    page = browser.open("/signin", locale="he-IL")

    page.locator("#username").fill(newcomer["username"])
    page.locator("#password").fill(newcomer["password"])
    page.locator("#signin-form button[type=submit]").click()

    # The seconds to wait after the latest failure, fewer by the time the page took.
    expect(page.locator("#status")).to_contain_text(re.compile(r"נסו שוב בעוד \d+ שניות"))
    assert page.url.endswith("/signin")


def test_a_run_out_access_token_is_refreshed_and_sign_out_ends_the_session(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server, first_name="Lina")
    page = browser.open("/", locale="en-GB")
    sign_in(page, newcomer, lands_on="/wallet")
    # Once the wallet has its answers: a call still on its way when the token is swapped would
    # refresh it from a page being left, and the rotated token's answer would be lost with it.
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    first_access, first_refresh = access_token(page), refresh_cookie(page)

    spoil_access_token(page)
    page.evaluate("() => import('/static/js/api.js').then((api) => api.call('/me'))")

    assert access_token(page) not in ("expired.or.forged", first_access)
    refreshed = refresh_cookie(page)
    assert refreshed != first_refresh

    page.get_by_role("button", name=texts("en")["nav.signout"]).click()
    page.wait_for_url(lambda url: url.endswith("/"))
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    assert refresh_cookie(page) is None
    assert access_token(page) is None
    expect(page.locator("#nav-signin")).to_be_visible()
    expect(page.locator("#guest-actions")).to_be_visible()
    after = httpx.post(
        f"{live_server.base_url}/api/v1/auth/refresh", json={"refresh_token": refreshed}
    )
    assert after.status_code == 401

    # Signed out, the wallet sends the visitor to sign in, and back to it afterwards.
    goto(page, "/wallet")
    page.wait_for_url("**/signin?next=%2Fwallet")


def test_a_refresh_whose_answer_was_lost_with_the_page_left_does_not_sign_out(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server, first_name="Lina")
    page = browser.open("/", locale="en-GB")
    lost: list[Route] = []

    def lose_the_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        # The server rotates the token; its answer (and the new cookie) never reach the browser.
        sent = {k: v for k, v in route.request.all_headers().items() if not k.startswith(":")}
        httpx.post(route.request.url, headers=sent)
        lost.append(route)

    sign_in(page, newcomer, lands_on="/wallet")
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    page.route("**/api/v1/auth/session/refresh", lose_the_first_answer)
    before = refresh_cookie(page)

    # The access token runs out, the wallet asks for a new one, and the resident moves on.
    spoil_access_token(page)
    page.evaluate("() => { import('/static/js/api.js').then((api) => api.call('/me')); }")
    wait_for_held(page, lost)
    assert refresh_cookie(page) == before
    goto(page, "/wallet")

    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lina")
    after = refresh_cookie(page)
    assert after != before
    assert page.evaluate("() => localStorage.getItem('toshav.refresh_retry')") is None
    renewed = httpx.post(
        f"{live_server.base_url}/api/v1/auth/refresh", json={"refresh_token": after}
    )
    assert renewed.status_code == 200, renewed.text
