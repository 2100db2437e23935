"""Scanning on every phone: with no QR reader in the browser (BarcodeDetector removed, as in Safari
and Firefox), the scanner and the till read a real code from a camera (Chromium's fake camera,
playing a video made here from a real pass or card code) with the vendored ZXing decoder, in a
worker; and a resident card shown to the inspector is answered in plain words."""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from benefits.eligibility.service.programme_files import load_programmes
from parking.models import VehicleRelation
from parking.service import permits, vehicles, zones
from resident_card.accounts.models import Role
from resident_card.city.service import street_by_code
from resident_card.credentials import service as credentials
from resident_card.credentials.qr import BORDER, qr_modules
from resident_card.credentials.service import Keyring
from tests.cashback.conftest import card_token
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD, create_resident
from tests.web.axe import assert_accessible
from tests.web.cashback_support import open_shop
from tests.web.conftest import (
    Account,
    Browser,
    choose_language,
    make_staff,
    sign_in,
    texts,
)

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "toshav" / "web" / "static" / "vendor" / "zxing_wasm"
NO_QR_READER = "delete window.BarcodeDetector;"
WORKER = "/static/js/qr-reader.js"
WASM = "/static/vendor/zxing_wasm/reader/zxing_reader.wasm"


def camera_video(text: str, folder: Path, *, width: int = 640, height: int = 480) -> Path:
    """A short YUV4MPEG2 (4:2:0) video of the QR code of ``text`` held before the camera: dark
    modules on white paper, drawn from the same modules the city's QR images are made of."""
    modules = qr_modules(text)
    side = len(modules) + 2 * BORDER
    pixel = (
        min(width, height) * 9 // 10 // side
    )  # pixels per module: the code fills 90 % of the frame
    left, top = (width - side * pixel) // 2, (height - side * pixel) // 2
    paper, ink = 235, 16  # video range luma
    luma = bytearray([paper]) * (width * height)
    for row, line in enumerate(modules):
        for column, dark in enumerate(line):
            if not dark:
                continue
            x = left + (BORDER + column) * pixel
            for y in range(top + (BORDER + row) * pixel, top + (BORDER + row + 1) * pixel):
                luma[y * width + x : y * width + x + pixel] = bytes([ink]) * pixel
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    video = folder / "camera.y4m"
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii")
    video.write_bytes(header + frame * 5)
    return video


def fake_camera(video: Path) -> list[str]:
    """Chromium's switches for a camera that plays ``video``, allowed without asking."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def asked_for(page: Page) -> list[str]:
    """The addresses the page (and its workers) have asked for, as they come."""
    urls: list[str] = []
    page.context.on("request", lambda request: urls.append(request.url))
    return urls


@pytest.fixture
def parked(live_server: LiveServer) -> dict[str, str]:
    """A resident of Herzl 15 with a permit for 12-345-67 in Hadar West: the permit's pass, and a
    code of the resident's card as the wallet shows it."""
    database = live_server.database
    settings = database.settings
    now = datetime.now(UTC)
    with database.session() as db:
        zones.import_demo_zones(db)
        load_programmes(db, now=now)
        credentials.rotate_key(db, settings, now=now - timedelta(minutes=1))
        resident = create_resident(
            db, settings, street=street_by_code(db, "herzl"), house_number=15
        )
        vehicles.register_vehicle(
            db, settings, resident, plate="1234567", relation=VehicleRelation.owner, now=now
        )
        view = permits.apply_for_permit(
            db, settings, Keyring(settings), resident, plate="1234567", now=now
        )
        assert view.parking_pass is not None
        card = card_token(db, settings, Keyring(settings), resident, now)
        db.commit()
        return {"pass": view.parking_pass.token, "card": card}


@pytest.mark.browser
@pytest.mark.usefixtures("city")
def test_an_inspector_scans_a_pass_in_a_browser_without_a_qr_reader(
    browser: Browser, live_server: LiveServer, parked: dict[str, str], tmp_path: Path
) -> None:
    hebrew = texts("he")
    officer = make_staff(live_server, Role.inspector)
    page = browser.open("/signin", args=fake_camera(camera_video(parked["pass"], tmp_path)))
    page.context.add_init_script(NO_QR_READER)
    urls = asked_for(page)
    sign_in(page, officer, lands_on="/inspect")
    assert page.evaluate("'BarcodeDetector' in window") is False

    page.get_by_label(hebrew["inspect.zone"]).select_option(label="הדר מערב")
    scan = page.get_by_role("button", name=hebrew["inspect.scan"])
    expect(scan).to_be_visible()
    scan.click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-allowed", "true")
    expect(verdict).to_have_attribute("data-judged", "online")
    expect(page.locator("#verdict-reason")).to_have_text(hebrew["inspect.reason.valid_permit"])
    expect(page.locator("#pass")).to_have_value(parked["pass"])
    expect(page.locator("#camera")).to_be_hidden()
    # The frames were read by ZXing in a worker, its WebAssembly from the app itself, nothing
    # from anywhere else.
    assert [worker.url for worker in page.workers] == [f"{live_server.base_url}{WORKER}"]
    assert f"{live_server.base_url}{WORKER}" in urls
    assert f"{live_server.base_url}{WASM}" in urls
    assert [url for url in urls if not url.startswith(live_server.base_url)] == []
    for language in ("he", "ar", "en"):
        choose_language(page, language)
        expect(page.locator("#verdict-reason")).to_have_text(
            texts(language)["inspect.reason.valid_permit"]
        )
        assert_accessible(page)


@pytest.mark.browser
@pytest.mark.usefixtures("city")
def test_a_scanner_opened_online_reads_a_pass_when_the_network_goes(
    browser: Browser, live_server: LiveServer, parked: dict[str, str], tmp_path: Path
) -> None:
    """The decoder loads with the page: once the network is gone, the camera still reads a pass,
    and the phone judges it."""
    english = texts("en")
    officer = make_staff(live_server, Role.inspector)
    camera = fake_camera(camera_video(parked["pass"], tmp_path))
    page = browser.open("/signin", locale="en-GB", args=camera)
    page.context.add_init_script(NO_QR_READER)
    sign_in(page, officer, lands_on="/inspect")
    expect(page.locator("#bundle-state")).to_have_attribute("data-expired", "false")
    # No scan yet, and the worker is already there, with its decoder fetched.
    expect(page.get_by_role("button", name=english["inspect.scan"])).to_be_visible()
    assert [worker.url for worker in page.workers] == [f"{live_server.base_url}{WORKER}"]
    [worker] = page.workers
    worker.evaluate(
        "() => new Promise((done) => { const look = () => performance"
        ".getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')) ? done() "
        ": setTimeout(look, 50); look(); })"
    )

    page.context.set_offline(True)
    page.get_by_label(english["inspect.zone"]).select_option(label="Hadar West")
    page.get_by_role("button", name=english["inspect.scan"]).click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-judged", "offline")
    expect(verdict).to_have_attribute("data-allowed", "true")
    expect(page.locator("#verdict-reason")).to_have_text(english["inspect.reason.valid_permit"])


@pytest.mark.browser
def test_the_till_scans_a_card_in_a_browser_without_a_qr_reader(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    english = texts("en")
    shop = open_shop(live_server)
    token = shop.card_token()
    page = browser.open("/signin", locale="en-GB", args=fake_camera(camera_video(token, tmp_path)))
    page.context.add_init_script(NO_QR_READER)
    sign_in(page, Account(shop.staff.username, DEFAULT_PASSWORD), lands_on="/till")

    page.get_by_role("button", name=english["till.scan"]).click()

    expect(page.locator("#status")).to_have_text(english["till.scanned"])
    expect(page.get_by_label(english["till.card_code"])).to_have_value(token)
    expect(page.locator("#scanner")).to_be_hidden()
    expect(page.get_by_label(english["till.amount"])).to_be_focused()
    assert [worker.url for worker in page.workers] == [f"{live_server.base_url}{WORKER}"]
    page.get_by_label(english["till.amount"]).fill("50")
    page.get_by_label(english["till.receipt"]).fill("R-1")
    page.get_by_role("button", name=english["till.record"], exact=True).click()
    expect(page.locator("#result .figure")).to_have_text("₪5.00")
    for language in ("en", "he", "ar"):
        choose_language(page, language)
        assert_accessible(page)


def test_the_decoder_is_served_by_the_app_with_its_licences(client: TestClient) -> None:
    wasm = client.get(WASM)
    assert wasm.status_code == 200
    assert wasm.headers["content-type"] == "application/wasm"
    assert wasm.content[:4] == b"\0asm"
    for licence in ("LICENSE", "LICENSE.zxing-cpp"):
        assert client.get(f"/static/vendor/zxing_wasm/{licence}").status_code == 200
    assert "MIT License" in (VENDOR / "LICENSE").read_text()
    assert "Apache License" in (VENDOR / "LICENSE.zxing-cpp").read_text()
    # Never a CDN: the library's default place for its WebAssembly is overridden in the worker.
    worker = client.get(WORKER)
    assert "zxing_reader.wasm" in worker.text
    # The worker alone may compile WebAssembly; the pages and their other scripts may not.
    assert "script-src 'self' 'wasm-unsafe-eval'" in worker.headers["content-security-policy"]
    for path in ("/inspect", "/till", "/static/js/scan.js", "/static/js/inspect.js"):
        assert "wasm" not in client.get(path).headers["content-security-policy"], path


def test_the_package_ships_every_file_of_the_decoder() -> None:
    """The wheel carries the vendored files: each matches one of the package-data patterns."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["*"]
    files = [path for path in VENDOR.rglob("*") if path.is_file()]
    assert {path.suffix for path in files} >= {".js", ".wasm"}
    unshipped = [
        path.relative_to(ROOT).as_posix()
        for path in files
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns)
    ]
    assert unshipped == []


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_a_resident_card_is_answered_as_one_and_the_pass_asked_for(language: str) -> None:
    """One story: the wallet's card is for businesses (tests/web/test_i18n.py), the pass for
    inspectors; the scanner, given a card, says so in the inspector's language."""
    words = texts(language)
    card = {"he": "כרטיס תושב", "ar": "بطاقة مقيم", "en": "resident card"}[language]
    parking_pass = {"he": "תו החניה", "ar": "تصريح الوقوف", "en": "parking pass"}[language]
    answer = words["inspect.reason.not_a_pass"]
    assert card in answer
    assert parking_pass in answer


@pytest.mark.browser
@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(("language", "locale"), [("he", "he-IL"), ("ar", "ar"), ("en", "en-GB")])
def test_the_scanner_answers_a_card_by_asking_for_the_pass(
    browser: Browser, live_server: LiveServer, parked: dict[str, str], language: str, locale: str
) -> None:
    words = texts(language)
    officer = make_staff(live_server, Role.inspector)
    page = browser.open("/signin", locale=locale)
    sign_in(page, officer, lands_on="/inspect")

    page.get_by_label(words["inspect.pass"]).fill(parked["card"])
    page.get_by_role("button", name=words["inspect.check"]).click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-allowed", "false")
    expect(page.locator("#verdict-reason")).to_have_text(words["inspect.reason.not_a_pass"])
    # Nothing of the resident: no name, no number, no zone.
    expect(page.locator("#verdict-zone")).to_be_hidden()
    expect(page.locator("#verdict-until")).to_be_hidden()
    assert_accessible(page)
