"""The inspector's scanner in a real Chromium: a typed plate and a scanned pass judged at a glance, in
the inspector's language, with the camera allowed on this page only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from benefits.eligibility.service.programme_files import load_programmes
from parking.models import VehicleRelation
from parking.service import permits, vehicles, zones
from parking.service.inspections import InspectionDesk
from resident_card.accounts.models import Role
from resident_card.city.service import street_by_code
from resident_card.credentials import service as credentials
from resident_card.credentials.service import Keyring
from tests.conftest import LiveServer
from tests.factories import create_resident
from tests.web.conftest import (
    PAGES,
    Browser,
    choose_language,
    goto,
    make_staff,
    sign_in,
    static_file,
    texts,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]

# A browser that reads QR codes, pointed at a pass: what a phone's camera would hand the page.
FAKE_CAMERA = """
(() => {
  const token = %r;
  window.BarcodeDetector = class {
    static async getSupportedFormats() { return ["qr_code"]; }
    async detect() { return [{ rawValue: token, format: "qr_code" }]; }
  };
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 64;
    canvas.getContext("2d").fillRect(0, 0, 64, 64);
    return canvas.captureStream(5);
  };
})();
"""


@pytest.fixture
def parked(live_server: LiveServer) -> dict[str, Any]:
    """A resident of Herzl 15 (Hadar West) with a permit for 12-345-67, and its pass."""
    database = live_server.database
    settings = database.settings
    now = datetime.now(UTC)
    with database.session() as db:
        zones.import_demo_zones(db)
        load_programmes(db, now=now)
        credentials.rotate_key(db, settings, now=now - timedelta(minutes=1))
        street = street_by_code(db, "herzl")
        resident = create_resident(db, settings, street=street, house_number=15)
        vehicles.register_vehicle(
            db, settings, resident, plate="1234567", relation=VehicleRelation.owner, now=now
        )
        view = permits.apply_for_permit(
            db, settings, Keyring(settings), resident, plate="1234567", now=now
        )
        assert view.parking_pass is not None
        db.commit()
        return {"token": view.parking_pass.token}


def test_an_inspector_checks_a_plate_and_a_scanned_pass_at_a_glance(
    browser: Browser, live_server: LiveServer, parked: dict[str, Any]
) -> None:
    english, hebrew = texts("en"), texts("he")
    officer = make_staff(live_server, Role.inspector)
    page = browser.open("/inspect", locale="en-GB")
    # Not signed in: to the sign-in page, and back to the scanner after it.
    page.wait_for_url("**/signin?next=%2Finspect")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    page.locator("#username").fill(officer.username)
    page.locator("#password").fill(officer.password)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_url("**/inspect")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    expect(page.get_by_role("heading", level=1)).to_have_text(english["inspect.heading"])
    expect(page.locator("#nav-inspect")).to_be_visible()

    page.get_by_label(english["inspect.zone"]).select_option(label="Hadar West")
    page.get_by_label(english["inspect.plate"]).fill("12-345-67")
    page.get_by_role("button", name=english["inspect.check"]).click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-allowed", "true")
    expect(page.locator("#verdict-word")).to_have_text(english["inspect.allowed"])
    expect(page.locator("#verdict-reason")).to_have_text(english["inspect.reason.valid_permit"])
    expect(page.locator("#verdict-zone")).to_have_text("Zone: Hadar West")
    expect(verdict).to_have_css("background-color", "rgb(11, 93, 30)")
    # The verdict follows a switch of language.
    choose_language(page, "he")
    expect(page.locator("#verdict-word")).to_have_text(hebrew["inspect.allowed"])
    expect(page.locator("#verdict-zone")).to_have_text("אזור: הדר מערב")
    choose_language(page, "en")

    page.get_by_role("button", name=english["inspect.clear"]).click()
    expect(verdict).to_be_hidden()
    page.get_by_label(english["inspect.plate"]).fill("9999999")
    page.get_by_role("button", name=english["inspect.check"]).click()
    expect(verdict).to_have_attribute("data-allowed", "false")
    expect(page.locator("#verdict-word")).to_have_text(english["inspect.not_allowed"])
    expect(page.locator("#verdict-reason")).to_have_text(english["inspect.reason.unknown_vehicle"])
    expect(verdict).to_have_css("background-color", "rgb(140, 10, 31)")

    # A pass scanned in the Carmel: signed, but for another zone.
    page.context.add_init_script(FAKE_CAMERA % parked["token"])
    goto(page, "/inspect")
    page.get_by_label(english["inspect.zone"]).select_option(label="Carmel Centre")
    scan = page.get_by_role("button", name=english["inspect.scan"])
    expect(scan).to_be_visible()
    scan.click()
    expect(page.locator("#verdict-reason")).to_have_text(english["inspect.reason.wrong_zone"])
    expect(page.locator("#verdict-zone")).to_have_text("Zone: Hadar West")
    expect(page.locator("#pass")).to_have_value(parked["token"])
    expect(page.locator("#camera")).to_be_hidden()

    # Every check was recorded, with the inspector and the place.
    log = live_server.app.state.runtime.part(InspectionDesk).log
    log.flush()
    with live_server.database.session() as db:
        from sqlalchemy import select

        from parking.models import Inspection

        rows = db.scalars(select(Inspection).order_by(Inspection.created_at)).all()
        assert [(r.method, r.zone_code, r.reason) for r in rows] == [
            ("plate", "hadar_west", "valid_permit"),
            ("plate", "hadar_west", "unknown_vehicle"),
            ("pass", "carmel", "wrong_zone"),
        ]


def test_a_browser_without_a_camera_is_told_to_type(
    browser: Browser, live_server: LiveServer, parked: dict[str, Any]
) -> None:
    """Without a QR reader the scanner still scans (tests/web/test_scan.py); with no camera at
    all, it says to type."""
    officer = make_staff(live_server, Role.inspector)
    page = browser.open("/signin", locale="ar")
    page.context.add_init_script(
        "Object.defineProperty(navigator, 'mediaDevices', { value: undefined });"
    )
    sign_in(page, officer, lands_on="/inspect")

    expect(page.locator("#scan")).to_be_hidden()
    expect(page.locator("#pass-hint")).to_have_text(texts("ar")["inspect.pass_hint_no_camera"])
    page.get_by_role("button", name=texts("ar")["inspect.check"]).click()
    expect(page.locator("#status")).to_have_text(texts("ar")["inspect.need_input"])


def test_only_the_scanners_may_ask_for_the_camera(live_server: LiveServer) -> None:
    for page in PAGES:
        policy = httpx.get(f"{live_server.base_url}{page.path}").headers["permissions-policy"]
        if page.path == "/inspect":
            assert "camera=(self)" in policy
            assert "geolocation=(self)" in policy
        elif page.path == "/till":  # the merchant's till scans the card, and needs no location
            assert "camera=(self)" in policy
            assert "geolocation=()" in policy
        elif page.path == "/wallet":  # parking: the zone the resident stands in, if allowed
            assert "camera=()" in policy
            assert "geolocation=(self)" in policy
        else:
            assert "camera=()" in policy
            assert "geolocation=()" in policy
        assert "microphone=()" in policy


def test_someone_else_is_told_the_scanner_is_for_inspectors(
    browser: Browser, live_server: LiveServer, parked: dict[str, Any]
) -> None:
    page = browser.open("/signin", locale="he-IL")
    shop = make_staff(live_server, Role.merchant)
    sign_in(page, shop, lands_on="/till")
    goto(page, "/inspect")

    expect(page.locator("#inspect-gate")).to_have_text(texts("he")["inspect.inspectors_only"])
    expect(page.locator("#inspect-tool")).to_be_hidden()


def test_the_verdict_colours_read_in_sun_and_rain() -> None:
    from tests.web.test_pages import _contrast

    css = static_file("css/toshav.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))

    # White on the verdict's ground: at least 7:1 (WCAG AAA), far above the 4.5:1 of the rest.
    assert _contrast("#ffffff", colours["go"]) >= 7
    assert _contrast("#ffffff", colours["stop"]) >= 7
