"""Phone-size Hebrew screenshots of the wallet, the scanner and the till, over the demo data.

    .venv/bin/python docs/screenshots/make.py

Makes a database of its own in a temporary folder (``toshav db upgrade`` and ``toshav demo load``),
serves it on a free port, and opens each page at 360×800 in the system's Chromium as its demo login
would: the resident's wallet, the inspector checking the demo resident's car, the shop's till. The
PNGs are written beside this file, for the README.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
PHONE: ViewportSize = {"width": 360, "height": 800}
# The demo resident's car and the zone of its permit (parking/demo.py).
DEMO_PLATE = "12-345-67"
DEMO_ZONE = "hadar_west"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sign_in(page: Page, base: str, username: str, password: str, lands_on: str) -> None:
    page.goto(f"{base}/signin")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_url(f"**{lands_on}")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")


def shoot(base: str, password: str) -> None:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])

        def person() -> Page:
            context = browser.new_context(
                viewport=PHONE, device_scale_factor=2, locale="he-IL", timezone_id="Asia/Jerusalem"
            )
            return context.new_page()

        wallet = person()
        sign_in(wallet, base, "resident", password, "/wallet")
        expect(wallet.locator("#card-qr-image")).to_be_visible()
        wallet.wait_for_load_state("networkidle")
        wallet.screenshot(path=HERE / "wallet.png")

        scanner = person()
        sign_in(scanner, base, "inspector", password, "/inspect")
        expect(scanner.locator(f"#zone option[value={DEMO_ZONE}]")).to_be_attached()
        scanner.locator("#zone").select_option(DEMO_ZONE)
        scanner.locator("#plate").fill(DEMO_PLATE)
        scanner.locator("#plate").press("Enter")
        verdict = scanner.locator("#verdict")
        expect(verdict).to_be_visible()
        verdict.scroll_into_view_if_needed()
        scanner.screenshot(path=HERE / "scanner.png")

        till = person()
        sign_in(till, base, "merchant", password, "/till")
        expect(till.locator("#business")).to_be_visible()
        till.wait_for_load_state("networkidle")
        till.screenshot(path=HERE / "till.png")
        browser.close()


def main() -> None:
    password = os.environ.get("TOSHAV_DEMO_PASSWORD", "toshav-demo-2026")
    with tempfile.TemporaryDirectory(prefix="toshav-screenshots-") as folder:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "TOSHAV_DATABASE_URL": f"sqlite:///{folder}/toshav.db",
            "TOSHAV_VAR_DIR": folder,
            "TOSHAV_PUBLIC_URL": base,
            "TOSHAV_DEMO_PASSWORD": password,
        }
        for command in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run(  # noqa: S603 (our own command, fixed arguments)
                [BIN / "toshav", *command], env=env, check=True, capture_output=True
            )
        server = subprocess.Popen(  # noqa: S603 (our own command, fixed arguments)
            [BIN / "toshav", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    httpx.get(base, timeout=2)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(f"the server did not start ({server.poll()})") from None
                    time.sleep(0.5)
            shoot(base, password)
        finally:
            server.terminate()
            server.wait(timeout=20)
    written = ", ".join(sorted(path.name for path in HERE.glob("*.png")))
    sys.stdout.write(f"wrote {written}\n")


if __name__ == "__main__":
    main()
