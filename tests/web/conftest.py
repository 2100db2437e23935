"""The web pages in a real headless Chromium (the system's /usr/bin/chromium; never a downloaded one).

Browser tests drive the real app (``live_server``) over a fresh database, on SQLite only: the pages
see the same API on both backends, and the API's own tests cover PostgreSQL. Without Chromium they
are skipped, saying why; with ``TOSHAV_REQUIRE_BROWSER=1`` (CI) a missing Chromium fails the run.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import uvicorn
from playwright.sync_api import (
    Browser as PlaywrightBrowser,
)
from playwright.sync_api import (
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from cashback.web import pages as cashback_pages
from figures.web import pages as figures_pages
from kernel import pages as site
from kernel.database import make_engine
from kernel.i18n import Language
from parking.web import pages as parking_pages
from resident_card.accounts.models import Role
from resident_card.city.service import load_city
from resident_card.web import pages as card_pages
from tests.conftest import Backend, FreshDatabase, LiveServer, _free_port, make_settings
from tests.factories import DEFAULT_PASSWORD, create_user, israeli_id
from toshav import plug_ins
from toshav.app import create_app
from toshav.demo import load_everything
from toshav.domains import EVERY
from toshav.web import pages as toshav_pages
from toshav.web.pages import Shell

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("TOSHAV_REQUIRE_BROWSER") == "1"
PHONE: ViewportSize = {"width": 390, "height": 844}
STRONG_PASSWORD = "a-long-enough-passphrase"

# Generous: a passing test never waits for these, and on a shared 2-CPU machine a cold Chromium
# start or a first page load under load has taken longer than 10 s.
BROWSER_TIMEOUT_MS = 30_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run on SQLite only; their PostgreSQL twin is skipped before it builds anything."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if (
            item.get_closest_marker("browser") is not None
            and callspec is not None
            and callspec.params.get("backend") == "postgresql"
        ):
            item.add_marker(
                pytest.mark.skip(reason="browser tests run on SQLite only (the API is the same)")
            )


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver, for one test module: while it runs, its event loop is the thread's
    running loop, so it is stopped before the next module's tests, which may run a loop of their
    own (``asyncio.run``) in the same test process."""
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM}: the browser tests need the system's Chromium"
        if REQUIRE_BROWSER:
            pytest.fail(message + " (TOSHAV_REQUIRE_BROWSER=1 makes this a failure)")
        pytest.skip(message + " (set TOSHAV_REQUIRE_BROWSER=1 to make this a failure)")
    with sync_playwright() as driver:
        yield driver


@dataclass
class Chromium:
    """One Chromium for a test module, started when first asked for: a person's pages open in a
    context of their own in it (cookies, storage and service workers apart, as in a browser of
    their own), which costs a fraction of starting a browser for each."""

    driver: Playwright
    _started: PlaywrightBrowser | None = None

    def __call__(self) -> PlaywrightBrowser:
        if self._started is None or not self._started.is_connected():
            self._started = self.driver.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        return self._started

    def close(self) -> None:
        if self._started is not None and self._started.is_connected():
            self._started.close()


@pytest.fixture(scope="module")
def chromium(playwright_driver: Playwright) -> Iterator[Chromium]:
    shared = Chromium(playwright_driver)
    try:
        yield shared
    finally:
        shared.close()


@dataclass
class Browser:
    """Opens pages of the live app, each person in a fresh context of the module's Chromium; one
    that needs Chromium started with switches of its own (a fake camera) gets a Chromium of its
    own, with a fresh profile."""

    chromium: Chromium
    server: LiveServer
    folder: Path
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def open(
        self,
        path: str = "/",
        *,
        locale: str = "he-IL",
        viewport: ViewportSize | None = None,
        timezone_id: str | None = None,
        args: Sequence[str] = (),
        cookies: list[Any] | None = None,
    ) -> Page:
        """A fresh Chromium on ``path``; ``args`` are more of Chromium's switches (a fake camera);
        ``cookies`` (another browser's, as ``context.cookies()`` gives them) as if that browser had
        restarted."""
        if args:
            profile = self.folder / f"chromium-profile-{next(self._numbers)}"
            context = self.chromium.driver.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                headless=True,
                args=[*CHROMIUM_ARGS, *args],
                locale=locale,
                timezone_id=timezone_id,
                viewport=viewport or PHONE,
                base_url=self.server.base_url,
            )
        else:
            context = self.chromium().new_context(
                locale=locale,
                timezone_id=timezone_id,
                viewport=viewport or PHONE,
                base_url=self.server.base_url,
            )
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        context.set_default_navigation_timeout(BROWSER_TIMEOUT_MS)
        self.contexts.append(context)
        if cookies:
            context.add_cookies(cookies)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        goto(page, path)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browser(chromium: Chromium, live_server: LiveServer, tmp_path: Path) -> Iterator[Browser]:
    opened = Browser(chromium, live_server, tmp_path)
    try:
        yield opened
    finally:
        opened.close()
    assert opened.errors == [], "the pages' scripts threw"


def goto(page: Page, path: str) -> None:
    """Open a page and wait until its script has put it in its language and wired it."""
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("data-ready", "true")


# The pages, files and texts of a deployment that runs every domain.
SHELL = Shell.of(EVERY)
PAGES: tuple[site.Page, ...] = (
    toshav_pages.LANDING,
    *card_pages.PAGES,
    *parking_pages.PAGES,
    *cashback_pages.PAGES,
    *figures_pages.PAGES,
)
STATIC_FOLDERS = SHELL.layers[site.STATIC_URL]


def static_file(name: str) -> Path:
    """The file served at /static/<name>, whichever domain's folder holds it."""
    found = [folder / name for folder in STATIC_FOLDERS if (folder / name).is_file()]
    assert len(found) == 1, (name, found)
    return found[0]


def texts(language: str) -> dict[str, str]:
    return SHELL.texts(cast(Language, language))


@pytest.fixture
def city(live_server: LiveServer) -> None:
    """The bundled street list in the live database."""
    with live_server.database.session() as session:
        load_city(session)
        session.commit()


@dataclass(frozen=True)
class Account:
    username: str
    password: str


def make_staff(live_server: LiveServer, role: Role) -> Account:
    """A clerk (admin) or an auditor who can sign in to the live app."""
    with live_server.database.session() as session:
        user = create_user(session, live_server.database.settings, role=role)
        session.commit()
        return Account(user.username, DEFAULT_PASSWORD)


_seeds = itertools.count(7_000)


def enrol_by_api(live_server: LiveServer, **overrides: Any) -> dict[str, Any]:
    """A pending resident, enrolled through the API as the form would."""
    seed = next(_seeds)
    body: dict[str, Any] = {
        "username": f"resident{seed}",
        "password": STRONG_PASSWORD,
        "first_name": "Yael",
        "last_name": "Cohen",
        "date_of_birth": "1990-05-17",
        "street_code": "herzl",
        "house_number": 12,
        "email": f"resident{seed}@example.org",
        "identifier": {"kind": "israeli_id", "value": israeli_id(seed)},
    }
    body.update(overrides)
    response = httpx.post(f"{live_server.base_url}/api/v1/residents", json=body, timeout=10)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return {**answer, "username": body["username"], "password": body["password"]}


def choose_language(page: Page, language: str) -> None:
    """Choose a language in the header's language menu, as a person would."""
    if page.locator("#language-menu[open]").count() == 0:
        page.locator("#language-open").click()
    page.locator(f"#language-menu button[data-lang={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def sign_in(page: Page, account: Account | dict[str, Any], *, lands_on: str) -> None:
    """Sign in through the sign-in page, as a person would."""
    username = account.username if isinstance(account, Account) else account["username"]
    password = account.password if isinstance(account, Account) else account["password"]
    goto(page, "/signin")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_url(f"**{lands_on}")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")


def wait_for_held(page: Page, held: list[Any], count: int = 1) -> None:
    """Let the page run until a route handler has held ``count`` requests (it answers them later)."""
    for _ in range(200):
        if len(held) >= count:
            break
        page.wait_for_timeout(50)
    assert len(held) == count


def access_token(page: Page) -> str | None:
    """The access token the page holds (in its memory only)."""
    token: str | None = page.evaluate(
        "() => import('/static/js/api.js').then((api) => api.tokens.access)"
    )
    return token


def spoil_access_token(page: Page) -> None:
    """As if the page's access token had run out."""
    page.evaluate(
        "() => import('/static/js/api.js').then((api) => api.tokens.save({access_token: 'expired.or.forged'}))"
    )


def refresh_cookie(page: Page) -> str | None:
    """The browser's refresh token (HttpOnly: no script of the page can read it)."""
    for cookie in page.context.cookies():
        if cookie["name"] == "toshav_refresh":
            return cookie["value"]
    return None


@pytest.fixture(scope="module")
def demo_city(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served over a database holding the demo city (``toshav demo load``)."""
    plug_ins.install(EVERY)  # as the function-scoped autouse fixture does, but before the demo
    url = backend.copy()
    engine = make_engine(url)
    settings = make_settings(url, tmp_path_factory.mktemp("demo-city"))
    database = FreshDatabase(url, engine, settings)
    with database.session() as session:
        load_everything(session, settings, datetime.now(UTC))
        session.commit()
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the demo city's server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{server.config.port}", app, database)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        engine.dispose()
        backend.drop(url)


@pytest.fixture
def demo_browser(chromium: Chromium, demo_city: LiveServer, tmp_path: Path) -> Iterator[Browser]:
    opened = Browser(chromium, demo_city, tmp_path)
    try:
        yield opened
    finally:
        opened.close()
    assert opened.errors == [], "the pages' scripts threw"
