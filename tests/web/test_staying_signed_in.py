"""Signed in until signing out: a new tab, a browser restarted, and signing out on a shared phone."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.web.conftest import Browser, enrol_by_api, goto, refresh_cookie, sign_in, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


def test_a_new_tab_and_a_restarted_browser_open_the_wallet_signed_in(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server, first_name="Rami")
    page = browser.open("/", locale="en-GB")
    with page.expect_response("**/api/v1/auth/session") as signing_in:
        sign_in(page, newcomer, lands_on="/wallet")
    set_cookie = signing_in.value.all_headers()["set-cookie"]
    refresh_header = next(
        line for line in set_cookie.split("\n") if line.startswith("toshav_refresh=")
    )
    attributes = {part.strip().lower() for part in refresh_header.split(";")}
    assert {"httponly", "samesite=strict", "path=/api/v1/auth/session/"} <= attributes
    assert "secure" not in attributes  # plain HTTP here; over HTTPS it is Secure

    tab = page.context.new_page()
    goto(tab, "/wallet")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Hello, Rami")
    # No script can read the refresh token, and nothing of the session is in the page's storage.
    assert "toshav_refresh" not in tab.evaluate("() => document.cookie")
    assert tab.evaluate("() => Object.keys(sessionStorage)") == []

    restarted = browser.open("/wallet", locale="en-GB", cookies=page.context.cookies())
    expect(restarted.get_by_role("heading", level=1)).to_have_text("Hello, Rami")
    expect(restarted.locator("#nav-signout")).to_be_visible()


def test_signing_out_ends_the_session_in_every_tab_and_on_the_server(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server, first_name="Rami")
    page = browser.open("/", locale="he-IL")
    sign_in(page, newcomer, lands_on="/wallet")
    kept = page.context.cookies()
    token = refresh_cookie(page)

    page.get_by_role("button", name=texts("he")["nav.signout"]).click()
    page.wait_for_url(lambda url: url.endswith("/"))
    expect(page.locator("#nav-signin")).to_be_visible()

    assert refresh_cookie(page) is None
    tab = page.context.new_page()
    tab.goto("/wallet")
    tab.wait_for_url("**/signin?next=%2Fwallet")
    refused = httpx.post(
        f"{live_server.base_url}/api/v1/auth/refresh", json={"refresh_token": token}
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_refresh_token"
    # A copy of the cookies taken before signing out opens nothing either.
    copied = browser.open("/", locale="he-IL", cookies=kept)
    copied.goto("/wallet")
    copied.wait_for_url("**/signin?next=%2Fwallet")


def test_a_cookie_refresh_from_another_site_is_refused(
    browser: Browser, live_server: LiveServer
) -> None:
    newcomer = enrol_by_api(live_server)
    page = browser.open("/", locale="en-GB")
    sign_in(page, newcomer, lands_on="/wallet")
    token = refresh_cookie(page)

    # What a form on another site could send: the cookie, but not the same-site header.
    forged = httpx.post(
        f"{live_server.base_url}/api/v1/auth/session/refresh",
        cookies={"toshav_refresh": token or ""},
        headers={"Sec-Fetch-Site": "cross-site", "Accept-Language": "ar"},
    )

    assert forged.status_code == 403
    assert forged.json()["error"] == "cross_site_refused"
    assert forged.json()["detail"] == "رُفض الطلب: لم يُرسل من صفحات الخدمة نفسها."
    goto(page, "/wallet")  # the session is untouched
    expect(page.locator("#nav-signout")).to_be_visible()
