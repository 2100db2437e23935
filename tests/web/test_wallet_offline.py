"""The installable wallet: its manifest, and the wallet opening with no network as it last was."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from kernel.clock import SetClock
from tests.conftest import LiveServer
from tests.web import test_wallet_parking as parking_wallet
from tests.web.axe import assert_accessible
from tests.web.conftest import PAGES, SHELL, Browser, choose_language, sign_in, texts
from tests.web.test_wallet_parking import SMALL_PHONE, make_driver

# The parking wallet's live app: its domains, its held clock, its zones and signing key.
modules = parking_wallet.modules
fresh_database = parking_wallet.fresh_database
clock = parking_wallet.clock
parking_city = parking_wallet.parking_city

PLATE = "12-345-67"


@pytest.mark.parametrize(("language", "direction"), [("he", "rtl"), ("ar", "rtl"), ("en", "ltr")])
def test_the_manifest_installs_the_wallet_in_the_visitors_language(
    client: TestClient, language: str, direction: str
) -> None:
    if language == "he":
        del client.headers["Accept-Language"]  # by default: Hebrew, right to left
    else:
        client.headers["Accept-Language"] = language
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == manifest["short_name"] == texts(language)["app.name"]
    assert (manifest["lang"], manifest["dir"]) == (language, direction)
    assert manifest["start_url"] == "/wallet"
    assert manifest["display"] == "standalone"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        picture = client.get(icon["src"])
        assert picture.status_code == 200
        assert picture.headers["content-type"] == "image/png"
        width = int.from_bytes(picture.content[16:20], "big")  # the PNG's IHDR
        assert f"{width}x{width}" == icon["sizes"]


def test_every_page_links_the_manifest() -> None:
    for page in PAGES:
        markup = SHELL.render(page, "he")
        assert '<link rel="manifest" href="/manifest.webmanifest">' in markup, page.path


def test_the_wallets_worker_is_served_from_the_root_with_its_shell(client: TestClient) -> None:
    response = client.get("/wallet-worker.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    source = response.text
    version = re.search(r'const VERSION = "([^"]+)";', source)
    assert version is not None
    assert version.group(1).startswith("0.1.0-")
    for kept in (
        "/wallet",
        "/static/js/wallet.js",
        "/static/js/wallet-permits.js",
        "/static/js/api.js",
        "/static/i18n/ar.json",
        "/static/icons/icon-192.png",
    ):
        assert f'"{kept}"' in source
    for url in re.findall(r'"(/static/[^"]+)"', source):
        assert client.get(url).status_code == 200, url


def wallet_kept_offline(browser: Browser, live_server: LiveServer, clock: SetClock) -> Page:
    driver = make_driver(live_server, clock, plate=PLATE, permit=True)
    page = browser.open("/", locale="he-IL", viewport=SMALL_PHONE)
    sign_in(page, driver.account, lands_on="/wallet")
    # The first visit only: the worker, taking charge, keeps what the wallet read before it did.
    expect(page.locator("html")).to_have_attribute("data-kept-offline", "true")
    expect(page.locator("#permit-list img.pass-qr")).to_be_visible()
    expect(page.locator("#balances")).to_be_visible()
    expect(page.locator("#offline-note")).to_be_hidden()
    return page


@pytest.mark.browser
@pytest.mark.usefixtures("city")
def test_offline_the_wallet_shows_the_card_the_pass_and_the_balances_as_of_then(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None
) -> None:
    page = wallet_kept_offline(browser, live_server, clock)
    number = page.locator("#card-number").inner_text()
    assert number.strip()

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-ready", "true")

    expect(page.locator("section#card")).to_be_visible()
    expect(page.locator("#card-number")).to_have_text(number)
    expect(page.locator("#permit-list img.pass-qr")).to_be_visible()
    expect(page.locator("#balances")).to_be_visible()
    note = page.locator("#offline-note")
    for language in ("he", "ar", "en"):
        if language != "he":
            choose_language(page, language)
            expect(page.locator("html")).to_have_attribute("lang", language)
        opening = texts(language)["offline.as_of"].split("{time}")[0]
        expect(note).to_be_visible()
        expect(note).to_contain_text(opening)
        assert not re.search(r"\d{4}-\d{2}-\d{2}", note.inner_text())  # a date as people write it
        assert_accessible(page)


@pytest.mark.browser
@pytest.mark.usefixtures("city")
def test_after_signing_out_the_wallet_offline_shows_nobodys_card(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None
) -> None:
    page = wallet_kept_offline(browser, live_server, clock)

    page.get_by_role("button", name=texts("he")["nav.signout"]).click()
    page.wait_for_url(lambda url: url.endswith("/"))
    expect(page.locator("#nav-signin")).to_be_visible()
    kept = page.evaluate("() => caches.keys()")
    assert [name for name in kept if name.startswith("toshav-data")] == []
    assert any(name.startswith("toshav-wallet-") for name in kept)  # the shell stays: no one's data

    page.context.set_offline(True)
    page.goto("/wallet", wait_until="commit")
    page.wait_for_timeout(1500)
    expect(page.locator("#card-number")).to_have_count(0)
    assert httpx.get(f"{live_server.base_url}/healthz").status_code == 200  # the server was up
