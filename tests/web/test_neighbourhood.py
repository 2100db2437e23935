"""A neighbourhood's public page over the demo city, in a real Chromium: from the list to Hadar,
its figures from the open data as tables, the café in the scheme, its parking zones, and no
error in the console. (The sweep in test_every_page.py checks its words, fit and axe.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cashback.demo import DEMO_BUSINESS
from tests.web.conftest import Browser
from tests.web.every_page import LOCALES

pytestmark = pytest.mark.browser


def test_a_neighbourhood_shows_its_figures_businesses_and_zones(demo_browser: Browser) -> None:
    errors: list[str] = []
    page = demo_browser.open("/neighbourhoods", locale=LOCALES["en"])
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    expect(page.locator("#neighbourhood-list li").first).to_be_attached()
    page.get_by_role("link", name="Hadar HaCarmel").click()

    expect(page).to_have_url("/neighbourhoods/hadar")
    expect(page.locator("h1")).to_have_text("Hadar HaCarmel")
    tables = page.locator("#figure-tables table")
    expect(tables).to_have_count(4)
    expect(page.get_by_role("region", name="Cashback purchases")).to_be_visible()
    expect(tables.first.locator("tbody tr")).to_have_count(12)
    expect(page.locator("#figures-explain")).to_contain_text("fewer than 10 people")
    expect(page.locator("#neighbourhood-business-list")).to_contain_text(DEMO_BUSINESS)
    expect(page.locator("#neighbourhood-zone-list")).to_contain_text("Hadar West")
    assert errors == []
