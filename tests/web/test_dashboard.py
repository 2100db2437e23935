"""The city's dashboard in Chromium, over the demo city and one purchase made here: every chart is
drawn, the map has each neighbourhood, the tables hold the figures, Arabic reads right to left, axe
finds nothing and the console stays clean; a resident is refused and a visitor sent to sign in.

One server and one Chromium for the module (``demo_city``), a few page loads in all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from cashback.service import purchases
from resident_card.accounts.repository import UserRepository
from resident_card.city.service import outline_shapes
from resident_card.credentials.service import Keyring
from resident_card.residents.repository import ResidentRepository
from tests.cashback.conftest import card_token
from tests.conftest import LiveServer
from tests.factories import auth_headers
from tests.web.axe import serious_violations
from tests.web.conftest import Account, Browser, Chromium, choose_language, goto, sign_in, texts

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "figures" / "web" / "static" / "vendor" / "chart_js"
# A purchase at the demo's Café Hadar (Herzl 20, Hadar) under its 10 % campaign.
AMOUNT_AGOROT = 12_340
CASHBACK = {"en": "₪12.34", "ar": "12.34"}
CHARTS = (
    "uptake-chart",
    "cashback-months-chart",
    "budgets-chart",
    "flags-chart",
    "inspections-chart",
    "permits-chart",
    "permit-months-chart",
)
DRAWN = "#figures[aria-busy=false]"


def buy_and_inspect(live_server: LiveServer) -> None:
    """The demo resident buys at the demo business, recorded as the till records it, and the demo
    inspector checks her car and another in her zone."""
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as session:
        users = UserRepository(session)
        resident_user, staff = users.by_username("resident"), users.by_username("merchant")
        assert resident_user is not None
        assert staff is not None
        resident = ResidentRepository(session).by_user(resident_user.id)
        assert resident is not None
        token = card_token(session, database.settings, Keyring(database.settings), resident, now)
        purchases.record_purchase(
            session,
            database.settings,
            staff_user_id=staff.id,
            idempotency_key="dashboard-sale",
            card_token=token,
            amount_agorot=AMOUNT_AGOROT,
            receipt="D-1",
            now=now,
        )
        session.commit()
        inspector = users.by_username("inspector")
        assert inspector is not None
        headers = auth_headers(live_server.app, inspector)
    for plate in ("1234567", "7654321"):
        checked = httpx.post(
            f"{live_server.base_url}/api/v1/parking/inspections",
            json={"plate": plate, "zone": "hadar_west"},
            headers=headers,
            timeout=10,
        )
        assert checked.status_code == 200, checked.text


@pytest.fixture(scope="module")
def dashboard_browser(
    chromium: Chromium,
    demo_city: LiveServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Browser]:
    buy_and_inspect(demo_city)
    opened = Browser(chromium, demo_city, tmp_path_factory.mktemp("dashboard"))
    try:
        yield opened
    finally:
        opened.close()
    assert opened.errors == [], "the pages' scripts threw"


def console_errors(page: Page) -> list[str]:
    """The errors the page's console shows from now on (a failed load, a refused style, a throw)."""
    found: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.append(message.text)

    page.on("console", heard)
    return found


def row_of(page: Page, table: str, name: str) -> str:
    return page.locator(f"#{table} tbody tr").filter(has_text=name).inner_text()


@pytest.mark.browser
def test_the_dashboard_draws_its_charts_map_and_tables_in_every_direction(
    dashboard_browser: Browser,
) -> None:
    page = dashboard_browser.open("/signin")
    errors = console_errors(page)
    password = dashboard_browser.server.database.settings.demo_password.get_secret_value()
    choose_language(page, "en")
    sign_in(page, Account("auditor", password), lands_on="/clerk")
    goto(page, "/dashboard")
    expect(page.locator(DRAWN)).to_be_attached()

    # Each chart is drawn: Chart.js holds it and its canvas has pixels that are not blank; a section
    # with nothing in the window (no purchase was flagged) says so in place of its chart.
    drawn = page.evaluate(
        """(ids) => Object.fromEntries(ids.map((id) => {
          const canvas = document.getElementById(id);
          if (!canvas.width || canvas.closest("[hidden]")) return [id, "empty"];
          const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          const chart = globalThis.Chart.getChart(canvas);
          return [id, Boolean(chart) && pixels.some((value) => value !== 0) ? "drawn" : "blank"];
        }))""",
        list(CHARTS),
    )
    assert drawn == {chart: "drawn" for chart in CHARTS} | {"flags-chart": "empty"}
    assert "1 (50%)" in row_of(page, "inspections-table", "Hadar West")
    expect(page.locator("#flag-figures .empty")).to_be_visible()
    # One outline per neighbourhood, the one with the purchase filled and named with its figure.
    expect(page.locator("#neighbourhood-map path")).to_have_count(len(outline_shapes()))
    hadar = page.locator('#neighbourhood-map path[data-code="hadar"] title')
    expect(hadar).to_have_text(f"Hadar HaCarmel: {CASHBACK['en']}")
    assert CASHBACK["en"] in row_of(page, "neighbourhoods-table", "Hadar HaCarmel")
    assert "₪123.40" in row_of(page, "businesses-table", "Café Hadar")
    assert serious_violations(page) == []

    # Arabic: right to left, its own words and names, the same figure in its own writing.
    arabic = texts("ar")
    choose_language(page, "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text(arabic["dashboard.heading"])
    expect(page.locator("#neighbourhoods-table tbody tr").first).to_contain_text("الهدار")
    assert CASHBACK["ar"] in row_of(page, "neighbourhoods-table", "الهدار")
    expect(page.locator("#uptake-table caption")).to_have_text(arabic["dashboard.uptake.caption"])
    assert serious_violations(page) == []

    # Another window: the figures follow it, and a backwards one is refused in words.
    page.get_by_label(arabic["dashboard.from"]).fill("2020-01-01")
    page.get_by_label(arabic["dashboard.to"]).fill("2020-03-31")
    page.get_by_role("button", name=arabic["dashboard.show"]).click()
    expect(page.locator(DRAWN)).to_be_attached()
    expect(page.locator("#uptake-table tbody tr")).to_have_count(3)
    expect(page.locator("#neighbourhoods-table tbody tr").first).not_to_contain_text(CASHBACK["ar"])
    page.get_by_label(arabic["dashboard.from"]).fill("2020-04-01")
    page.get_by_role("button", name=arabic["dashboard.show"]).click()
    expect(page.locator("#status")).to_have_text(arabic["dashboard.backwards"])
    expect(page.get_by_label(arabic["dashboard.from"])).to_have_attribute("aria-invalid", "true")
    assert errors == []


@pytest.mark.browser
def test_a_visitor_signs_in_first_and_a_resident_is_refused(dashboard_browser: Browser) -> None:
    page = dashboard_browser.open("/dashboard")
    page.wait_for_url(re.compile(r"/signin\?next=%2Fdashboard$"))
    password = dashboard_browser.server.database.settings.demo_password.get_secret_value()
    sign_in(page, Account("resident", password), lands_on="/wallet")
    goto(page, "/dashboard")
    hebrew = texts("he")
    expect(page.locator("#status")).to_have_text(hebrew["dashboard.staff_only"])
    expect(page.locator("#figures")).to_be_hidden()


@pytest.mark.browser  # what the browser is given; on the module's server, so SQLite only
def test_the_charting_library_is_served_by_the_app_as_vendored(demo_city: LiveServer) -> None:
    with httpx.Client(base_url=demo_city.base_url, timeout=10) as client:
        script = client.get("/static/vendor/chart_js/chart.umd.min.js")
        assert script.status_code == 200
        readme = (VENDOR / "README.md").read_text()
        assert hashlib.sha256(script.content).hexdigest() in readme
        assert "MIT License" in client.get("/static/vendor/chart_js/LICENSE.md").text
        # The page's policy stays 'self' only: no other origin, no inline script or style, no eval.
        policy = client.get("/dashboard").headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "style-src 'self';" in policy
        assert "unsafe" not in policy
