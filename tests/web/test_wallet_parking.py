"""The resident's parking in the wallet, in a real Chromium on a small phone: vehicles, permits with
the steps they went through and the pass to show an inspector, free parking time, and a move.

The pass's QR code is read back from a screenshot of the page, as an inspector's scanner would read
the phone's screen, and must be the very pass the API lists for the permit.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from benefits.eligibility.service.programme_files import load_programmes
from kernel.clock import SetClock
from kernel.i18n import LANGUAGES
from parking.models import VehicleRelation
from parking.service import parking_time, vehicles, zones
from parking.service.permits import apply_for_permit
from resident_card.accounts.models import Role
from resident_card.city.service import street_by_code
from resident_card.credentials import service as credentials
from resident_card.credentials.service import Keyring
from resident_card.residents.service import records as residents
from tests.conftest import FreshDatabase, LiveServer
from tests.factories import DEFAULT_PASSWORD, create_resident, create_user
from tests.resident_card.credentials_support import decode_qr_png
from tests.web.conftest import Account, Browser, choose_language, sign_in, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]
CITY = ZoneInfo("Asia/Jerusalem")
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
ZONE_NAMES = {
    "hadar_west": {"he": "הדר מערב", "ar": "غرب الهدار", "en": "Hadar West"},
    "hadar_east": {"he": "הדר מזרח", "ar": "شرق الهدار", "en": "Hadar East"},
}


@pytest.fixture
def modules() -> list[str]:
    """The domains the live app runs; a test may parametrize fewer."""
    return ["parking", "cashback"]


@pytest.fixture
def fresh_database(fresh_database: FreshDatabase, modules: list[str]) -> FreshDatabase:
    fresh_database.settings = fresh_database.settings.model_copy(update={"modules": modules})
    return fresh_database


def steady_now() -> datetime:
    """Now, or two hours on when the next hour would cross into another month in the city: the
    month's free minutes must not run out in the middle of a test run late on the month's last day.
    (Forward only: the access tokens signed at this time are checked against the real time.)"""
    now = datetime.now(UTC).replace(microsecond=0)
    later = now + timedelta(hours=1)
    if later.astimezone(CITY).month != now.astimezone(CITY).month:
        now += timedelta(hours=2)
    return now


@pytest.fixture
def clock(live_server: LiveServer) -> SetClock:
    """The live app's clock, held still so a session's minutes are exactly what the test says."""
    held = SetClock(steady_now())
    live_server.app.state.runtime.clock = held
    return held


@pytest.fixture
def parking_city(live_server: LiveServer, clock: SetClock, city: None) -> None:
    """The city's parking zones, the shipped programmes, and a key that signs passes and cards."""
    database = live_server.database
    with database.session() as db:
        zones.import_demo_zones(db)
        load_programmes(db, now=clock.now(), zone=CITY)
        credentials.rotate_key(
            db, database.settings, now=clock.now() - timedelta(days=2), activate_in=timedelta(0)
        )
        db.commit()


@dataclass(frozen=True)
class Driver:
    account: Account
    resident_id: uuid.UUID


def make_driver(
    live_server: LiveServer,
    clock: SetClock,
    *,
    house_number: int = 15,
    plate: str | None = None,
    permit: bool = False,
    minutes: bool = True,
) -> Driver:
    """A verified resident of Herzl (15 is Hadar West), who can sign in; with this month's free
    minutes, and if told a registered vehicle and a permit for it."""
    database = live_server.database
    settings = database.settings
    now = clock.now()
    with database.session() as db:
        user = create_user(db, settings, role=Role.resident)
        resident = create_resident(
            db,
            settings,
            user=user,
            street=street_by_code(db, "herzl"),
            house_number=house_number,
            first_name="Noa",
        )
        if minutes:
            parking_time.grant_free_minutes(db, resident, now=now, settings=settings)
        if plate:
            vehicles.register_vehicle(
                db, settings, resident, plate=plate, relation=VehicleRelation.owner, now=now
            )
        if plate and permit:
            view = apply_for_permit(db, settings, Keyring(settings), resident, plate=plate, now=now)
            assert view.state == "active"
        db.commit()
        return Driver(Account(user.username, DEFAULT_PASSWORD), resident.id)


def api_as(live_server: LiveServer, driver: Driver) -> httpx.Client:
    """The API as the driver, to compare the page with what the API says."""
    api = httpx.Client(base_url=f"{live_server.base_url}/api/v1", timeout=10)
    token = api.post(
        "/auth/token",
        data={"username": driver.account.username, "password": driver.account.password},
    ).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    return api


def open_parking(browser: Browser, driver: Driver, *, locale: str = "he-IL") -> Page:
    page = browser.open("/", locale=locale, viewport=SMALL_PHONE)
    sign_in(page, driver.account, lands_on="/wallet")
    expect(page.locator("section#parking")).to_be_visible()
    return page


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


# Two hours as each language says them (Intl's plural forms: Arabic and Hebrew have a dual).
TWO_HOURS = {"he": "שעתיים", "ar": "ساعتان", "en": "2 hours"}


def hours_minutes(language: str, minutes: int) -> str:
    assert minutes == 120, "the tests here give two hours"
    return TWO_HOURS[language]


# Every visible button, link, field and summary of the section, with its height.
TARGETS = """(root) => [...document.querySelectorAll(
    root + " button, " + root + " select, " + root + " input, " + root + " summary")]
  .filter((e) => e.offsetParent !== null && e.type !== "radio")
  .map((e) => [e.id || e.textContent.trim(), e.getBoundingClientRect().height])"""
TAP = 44  # px: the smallest target a finger should have to hit (WCAG 2.5.5, IS 5568)


def isolated(plate: str) -> str:
    return f"\u2066{plate}\u2069"


# --- vehicles, a permit and its pass --------------------------------------------------------------


def test_a_resident_registers_a_vehicle_applies_and_shows_the_pass_an_inspector_scans(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None, tmp_path: Path
) -> None:
    hebrew = texts("he")
    driver = make_driver(live_server, clock)
    page = open_parking(browser, driver)
    section = page.locator("section#parking")

    expect(page.locator("#parking-zone")).to_have_text(
        hebrew["parking.zone_is"].format(zone="הדר מערב")
    )
    expect(page.locator("#parking-minutes")).to_have_text(hours_minutes("he", 120))
    expect(page.locator("#vehicles-empty")).to_have_text(hebrew["parking.no_vehicles"])
    expect(page.locator("#session-needs-vehicle")).to_be_visible()

    # A plate that is not one: the API says no, and the page says why in the resident's language.
    page.get_by_text(hebrew["parking.add_vehicle"]).click()
    form = page.locator("#vehicle-form")
    form.get_by_label(hebrew["parking.plate"]).fill("12-34")
    form.get_by_role("button", name=hebrew["parking.register"]).click()
    expect(page.locator("#vehicle-status")).to_have_text(hebrew["parking.error.invalid_plate"])
    expect(form.get_by_label(hebrew["parking.plate"])).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#vehicle-list li")).to_have_count(0)

    # Typed as people type it; shown as it is written on the car.
    form.get_by_label(hebrew["parking.plate"]).fill("1234567")
    form.get_by_label(hebrew["parking.relation.owner"]).check()
    form.get_by_role("button", name=hebrew["parking.register"]).click()
    expect(page.locator("#vehicle-status")).to_have_text(
        hebrew["parking.registered"].format(plate=isolated("12-345-67"))
    )
    vehicle = page.locator("#vehicle-list li")
    expect(vehicle).to_have_count(1)
    expect(vehicle.locator(".plate")).to_have_text("12-345-67")
    expect(vehicle).to_contain_text(hebrew["parking.relation_short.owner"])
    # The same plate again is refused in the resident's words, not a raw error.
    form.get_by_label(hebrew["parking.plate"]).fill("12 345 67")
    form.get_by_role("button", name=hebrew["parking.register"]).click()
    expect(page.locator("#vehicle-status")).to_have_text(hebrew["parking.error.plate_taken"])

    # The wallet offers the permit for the zone of the address; the form applies for it too.
    expect(page.locator("#parking-offer-text")).to_have_text(
        hebrew["parking.offer"].format(zone="הדר מערב")
    )
    page.locator("#permit-form").get_by_label(hebrew["parking.permit_vehicle"]).select_option(
        "12-345-67"
    )
    page.locator("#permit-form").get_by_role("button", name=hebrew["parking.apply"]).click()
    expect(page.locator("#permit-status")).to_contain_text(
        hebrew["parking.granted"]
        .split("{date}")[0]
        .format(plate=isolated("12-345-67"), zone="הדר מערב")
    )
    expect(page.locator("#permit-status")).to_be_visible()
    expect(page.locator("#parking-offer")).to_be_hidden()
    expect(page.locator("#permit-form")).to_be_hidden()  # every vehicle has its permit

    api = api_as(live_server, driver)
    listed = api.get("/parking/permits/me").json()
    assert [(p["status"], p["plate"], p["zone"]) for p in listed] == [
        ("active", "12-345-67", "hadar_west")
    ]
    permit = section.locator(f'li.permit[data-permit="{listed[0]["id"]}"]')
    expect(permit.locator(".permit-state")).to_have_text(hebrew["parking.state.active"])
    expect(permit.locator("h4")).to_have_text("12-345-67 · הדר מערב")
    steps = permit.locator(".steps li")
    expect(steps).to_have_count(4)
    expect(steps.nth(0)).to_have_text(hebrew["parking.step.applied"])
    expect(steps.nth(1)).to_have_text(hebrew["parking.step.granted"])
    expect(steps.nth(2)).to_have_text(hebrew["parking.step.active"])
    expect(steps.nth(2)).to_have_attribute("aria-current", "step")
    expect(steps.nth(3)).to_contain_text(hebrew["parking.step.ends"].split("{date}")[0])
    expect(permit.locator("dl")).to_contain_text(hebrew["parking.valid_until"])

    # The pass on the screen is the pass the API issued, read as an inspector's scanner reads it.
    qr = permit.locator("img.pass-qr")
    expect(qr).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img.pass-qr'); return i && i.complete && i.naturalWidth > 0; }"
    )
    qr.scroll_into_view_if_needed()
    shot = tmp_path / "pass.png"
    permit.locator(".pass-frame").screenshot(path=shot)
    assert decode_qr_png(shot.read_bytes()) == listed[0]["pass_token"]
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= 200  # big enough to scan through a windscreen

    # The pass to print: a PDF, fetched with the resident's token.
    with page.expect_download() as downloading:
        permit.get_by_role("button", name=hebrew["parking.pass_pdf"]).click()
    download = downloading.value
    assert download.suggested_filename == "parking-pass-1234567.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as downloading:
        permit.get_by_role("button", name=hebrew["parking.pass_svg"]).click()
    assert b"<svg" in Path(downloading.value.path()).read_bytes()

    assert no_sideways_scroll(page)
    page.screenshot(path=tmp_path / "parking-he.png", full_page=True)


def test_cancelling_a_permit_asks_first_and_then_its_pass_is_gone(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None
) -> None:
    english = texts("en")
    driver = make_driver(live_server, clock, plate="1234567", permit=True)
    page = open_parking(browser, driver, locale="en-GB")
    permit = page.locator("li.permit").first
    expect(permit.locator("img.pass-qr")).to_be_visible()

    # Changing one's mind changes nothing.
    permit.get_by_role("button", name=english["parking.cancel"]).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(
        english["parking.cancel_title"].format(plate=isolated("12-345-67"))
    )
    dialog.get_by_role("button", name=english["parking.keep"]).click()
    expect(dialog).to_be_hidden()
    expect(permit).to_have_attribute("data-status", "active")

    permit.get_by_role("button", name=english["parking.cancel"]).click()
    dialog.get_by_role("button", name=english["parking.cancel_confirm"]).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#parking-status")).to_have_text(
        english["parking.cancelled"].format(plate=isolated("12-345-67"))
    )
    expect(permit).to_have_attribute("data-status", "cancelled")
    expect(permit.locator(".permit-state")).to_have_text(english["parking.state.cancelled"])
    expect(permit.locator(".steps li").last).to_have_text(english["parking.step.cancelled"])
    expect(permit.locator("img.pass-qr")).to_have_count(0)
    expect(permit.get_by_role("button", name=english["parking.cancel"])).to_have_count(0)

    listed = api_as(live_server, driver).get("/parking/permits/me").json()
    assert [(p["status"], p["end_reason"], p["pass_token"]) for p in listed] == [
        ("cancelled", "cancelled", None)
    ]
    # And the wallet offers the zone's permit again, one tap away.
    expect(page.locator('#parking-offer-actions button[data-plate="12-345-67"]')).to_be_visible()


def test_removing_a_vehicle_asks_first_ends_its_permit_and_not_while_it_is_parked(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None
) -> None:
    english = texts("en")
    driver = make_driver(live_server, clock, plate="12345678", permit=True)
    page = open_parking(browser, driver, locale="en-GB")
    vehicle = page.locator("#vehicle-list li")
    expect(vehicle.locator(".plate")).to_have_text("123-45-678")
    page.locator("#session-form").get_by_role("button", name=english["parking.start"]).click()
    expect(page.locator("#parking-running")).to_be_visible()

    # Parked: the city keeps the vehicle until the session stops, and says so in the dialog.
    vehicle.get_by_role(
        "button", name=english["parking.remove_label"].format(plate="123-45-678")
    ).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text(
        english["parking.remove_title"].format(plate=isolated("123-45-678"))
    )
    expect(dialog).to_contain_text(english["parking.remove_explain"])
    dialog.get_by_role("button", name=english["parking.remove_confirm"]).click()
    expect(page.locator("#parking-confirm-status")).to_have_text(
        english["parking.error.vehicle_parked"]
    )
    dialog.get_by_role("button", name=english["parking.keep"]).click()
    expect(vehicle).to_have_count(1)

    clock.advance(minutes=5)
    page.get_by_role("button", name=english["parking.stop"]).click()
    expect(page.locator("#parking-running")).to_be_hidden()
    vehicle.get_by_role(
        "button", name=english["parking.remove_label"].format(plate="123-45-678")
    ).click()
    dialog.get_by_role("button", name=english["parking.remove_confirm"]).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#vehicle-list-status")).to_have_text(
        english["parking.removed"].format(plate=isolated("123-45-678"))
    )
    expect(vehicle).to_have_count(0)
    expect(page.locator("#vehicles-empty")).to_be_visible()
    permit = page.locator("li.permit").first
    expect(permit).to_have_attribute("data-status", "ended")
    expect(permit.locator(".steps li").last).to_have_text(
        english["parking.step.ended.vehicle_removed"]
    )
    expect(page.locator("#session-form")).to_be_hidden()
    expect(page.locator("#session-needs-vehicle")).to_be_visible()


# --- free parking time ----------------------------------------------------------------------------


def test_parking_on_free_time_starts_runs_and_stops_with_the_minutes_taken_off(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None, tmp_path: Path
) -> None:
    english = texts("en")
    driver = make_driver(live_server, clock, plate="1234567")
    page = open_parking(browser, driver, locale="en-GB")
    expect(page.locator("#parking-minutes")).to_have_text("2 hours")
    expect(page.locator("#sessions-empty")).to_have_text(english["parking.no_sessions"])

    form = page.locator("#session-form")
    expect(form.get_by_label(english["parking.vehicle"])).to_have_value("12-345-67")
    # The zone of the resident's own address is picked to begin with.
    expect(form.get_by_label(english["parking.place"])).to_have_value("hadar_west")
    form.get_by_role("button", name=english["parking.start"]).click()

    running = page.locator("#parking-running")
    expect(running).to_be_visible()
    expect(page.locator("#parking-running .running-what")).to_contain_text("Hadar West")
    expect(page.locator("#parking-running .elapsed-figure")).to_have_text(
        re.compile(r"^\d+:\d\d:\d\d$")
    )
    expect(page.locator("#session-list li").first).to_have_attribute("data-status", "running")
    page.locator("#parking").screenshot(path=tmp_path / "parking-running.png")
    expect(form).to_be_hidden()  # the one car is parked: nothing else to start

    clock.advance(minutes=25)
    running.get_by_role("button", name=english["parking.stop"]).click()
    expect(page.locator("#session-status")).to_have_text(
        english["parking.stopped"].format(minutes="25 minutes", free="25 minutes", paid="0 minutes")
    )
    expect(running).to_be_hidden()
    expect(page.locator("#parking-minutes")).to_have_text("1 hour 35 minutes")
    last = page.locator("#session-list li").first
    expect(last).to_have_attribute("data-status", "stopped")
    expect(last.locator(".session-figures")).to_have_text(
        english["parking.session_minutes"].format(
            minutes="25 minutes", free="25 minutes", paid="0 minutes"
        )
    )

    # Past the month's free minutes the rest is paid time, and the page says how much.
    form.get_by_role("button", name=english["parking.start"]).click()
    expect(running).to_be_visible()
    clock.advance(minutes=100)
    running.get_by_role("button", name=english["parking.stop"]).click()
    expect(page.locator("#session-status")).to_have_text(
        english["parking.stopped"].format(
            minutes="1 hour 40 minutes", free="1 hour 35 minutes", paid="5 minutes"
        )
    )
    expect(page.locator("#parking-minutes")).to_have_text("0 minutes")
    page.locator("#parking").screenshot(path=tmp_path / "parking-stopped.png")
    assert api_as(live_server, driver).get("/parking/me/minutes").json()["available"] == 0

    # Past the retention period a session keeps where and when, not which car.
    with live_server.database.session() as db:
        now = clock.now()
        assert parking_time.anonymise_sessions(db, now + timedelta(seconds=1), now) == 2
        db.commit()
    page.reload()
    last = page.locator("#session-list li").first
    expect(last.locator(".session-what")).to_have_text("Hadar West")
    expect(last.locator(".plate")).to_have_count(0)


def test_the_zone_is_picked_from_the_phones_position_when_the_resident_allows_it(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None
) -> None:
    english = texts("en")
    driver = make_driver(live_server, clock, plate="1234567")
    page = open_parking(browser, driver, locale="en-GB")
    page.context.grant_permissions(["geolocation"], origin=live_server.base_url)
    page.context.set_geolocation({"latitude": 32.81, "longitude": 35.008})  # Hadar East

    page.get_by_role("button", name=english["parking.locate"]).click()
    expect(page.locator("#session-status")).to_have_text(
        english["parking.located"].format(zone="Hadar East")
    )
    expect(page.get_by_label(english["parking.place"])).to_have_value("hadar_east")

    page.context.set_geolocation({"latitude": 31.0, "longitude": 34.0})  # far from the city
    page.get_by_role("button", name=english["parking.locate"]).click()
    expect(page.locator("#session-status")).to_have_text(english["parking.error.no_zone_here"])
    expect(page.get_by_label(english["parking.place"])).to_have_value("hadar_east")


# --- a move -----------------------------------------------------------------------------------------


def test_after_a_move_the_new_zones_permit_is_one_tap_away(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None
) -> None:
    english = texts("en")
    driver = make_driver(live_server, clock, plate="1234567", permit=True)
    with live_server.database.session() as db:  # the registry moves them to Herzl 70: Hadar East
        resident = residents.get_resident(db, driver.resident_id)
        assert resident is not None
        resident.house_number = 70
        db.commit()
    clock.advance(minutes=10)  # the new permit is the newer one

    page = open_parking(browser, driver, locale="en-GB")
    expect(page.locator("#parking-zone")).to_have_text(
        english["parking.zone_is"].format(zone="Hadar East")
    )
    expect(page.locator("#parking-moved")).to_have_text(
        english["parking.moved"].format(zone="Hadar East", old="Hadar West")
    )
    page.locator('#parking-offer-actions button[data-plate="12-345-67"]').click()

    expect(page.locator("#parking-status")).to_contain_text(
        english["parking.granted"]
        .split("{date}")[0]
        .format(plate=isolated("12-345-67"), zone="Hadar East")
    )
    expect(page.locator("#parking-offer")).to_be_hidden()
    permits = page.locator("li.permit")
    expect(permits).to_have_count(2)
    new, old = permits.nth(0), permits.nth(1)
    expect(new.locator("h4")).to_have_text("12-345-67 · Hadar East")
    expect(new).to_have_attribute("data-status", "active")
    expect(old.locator("h4")).to_have_text("12-345-67 · Hadar West")
    expect(old).to_have_attribute("data-status", "ended")
    expect(old.locator(".steps li").last).to_have_text(english["parking.step.ended.moved"])


# --- languages, the phone, and a city without parking ---------------------------------------------


def test_the_parking_section_in_each_language_at_360_px(
    browser: Browser, live_server: LiveServer, clock: SetClock, parking_city: None, tmp_path: Path
) -> None:
    driver = make_driver(live_server, clock, plate="1234567", permit=True)
    refused = make_driver(live_server, clock, house_number=500, plate="7654321")  # in no zone
    page = open_parking(browser, driver)
    for language in LANGUAGES:
        words = texts(language)
        choose_language(page, language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        zone = ZONE_NAMES["hadar_west"][language]
        expect(
            page.get_by_role("heading", name=words["parking.heading"], exact=True)
        ).to_be_visible()
        expect(page.locator("#parking-zone")).to_have_text(
            words["parking.zone_is"].format(zone=zone)
        )
        permit = page.locator("li.permit").first
        expect(permit.locator("h4")).to_have_text(f"12-345-67 · {zone}")
        expect(permit.locator(".permit-state")).to_have_text(words["parking.state.active"])
        expect(permit.locator(".steps li").nth(1)).to_have_text(words["parking.step.granted"])
        expect(page.locator("#parking-minutes")).to_have_text(hours_minutes(language, 120))
        expect(page.locator("#session-zone option:checked")).to_have_text(zone)
        expect(permit.locator("img.pass-qr")).to_be_visible()
        assert no_sideways_scroll(page), language
        targets = page.evaluate(TARGETS, "#parking")
        assert len(targets) >= 8
        assert [(what, h) for what, h in targets if h < TAP] == [], language
        page.screenshot(path=tmp_path / f"parking-{language}.png", full_page=True)

    # A refusal says why, in the resident's language, the reasons open.
    other = open_parking(browser, refused, locale="ar")
    arabic = texts("ar")
    expect(other.locator("#parking-zone")).to_have_text(arabic["parking.no_zone"])
    other.locator("#permit-form").get_by_role("button", name=arabic["parking.apply"]).click()
    expect(other.locator("#permit-status")).to_have_text(
        arabic["parking.refused"].format(plate=isolated("76-543-21"))
    )
    permit = other.locator("li.permit").first
    expect(permit.locator(".permit-state")).to_have_text(arabic["parking.state.refused"])
    expect(permit.locator(".steps li")).to_have_count(2)
    expect(permit.locator(".steps li").last).to_have_text(arabic["parking.step.refused"])
    reasons = permit.locator(".reasons li[data-outcome=fail]")
    expect(reasons.first).to_be_visible()
    expect(reasons.first).to_contain_text(
        "التصريح مخصّص لسكان منطقة وقوف، وعنوانكم لا يقع في أي منطقة وقوف."
    )
    assert no_sideways_scroll(other)


@pytest.mark.parametrize("modules", [["cashback"]])
def test_a_city_without_parking_shows_no_parking_section(
    browser: Browser, live_server: LiveServer, clock: SetClock
) -> None:
    driver = make_driver(live_server, clock, minutes=False)
    page = browser.open("/", locale="en-GB", viewport=SMALL_PHONE)
    sign_in(page, driver.account, lands_on="/wallet")
    expect(page.locator("section#residency")).to_be_visible()
    answer = api_as(live_server, driver).get("/parking/me")
    assert answer.status_code == 404
    expect(page.locator("section#parking")).to_be_hidden()
