"""Every page of the app, as the person who uses it sees it, over the demo city's data.

The tests that sweep every page (text that fits at 200 %, words in each language, axe) read
``EVERY_PAGE``: a new page is added there once, with who opens it and what shows when it is ready,
and every sweep covers it. They run on ``demo_city`` (conftest): one server per test module with
``toshav demo load``'s data, shared because a sweep only looks and never changes what another reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page, ViewportSize, expect

from tests.web.conftest import Account, Browser, choose_language, goto, sign_in

LOCALES = {"he": "he-IL", "ar": "ar-IL", "en": "en-GB"}

# Where each demo login lands after signing in.
HOMES = {
    "resident": "/wallet",
    "admin": "/clerk",
    "auditor": "/clerk",
    "inspector": "/inspect",
    "merchant": "/till",
}


@dataclass(frozen=True)
class Visit:
    """A page, who opens it (a demo login, or nobody signed in), and what shows once it is ready."""

    path: str
    visitor: str | None = None
    shows: str = "main h1"

    @property
    def name(self) -> str:
        """The test id: the path and the visitor."""
        return f"{self.path.strip('/') or 'landing'}-{self.visitor or 'anyone'}"


EVERY_PAGE: list[Visit] = [
    Visit("/"),
    Visit("/signin"),
    Visit("/enrol", shows="#enrol-form"),
    Visit("/forgot-password"),
    Visit("/reset-password"),
    Visit("/confirm-email"),
    Visit("/no-such-page"),
    Visit("/", "resident"),
    Visit("/wallet", "resident", shows="#card-qr-image"),
    Visit("/clerk", "admin", shows="#queue-list li"),
    Visit("/clerk", "auditor", shows="#queue-list li"),
    Visit("/inspect", "inspector", shows="#zone option[value]:not([value=''])"),
    Visit("/till", "merchant", shows="#business:not(:empty)"),
    Visit("/business/apply", "resident"),
    Visit("/business", "merchant"),
    Visit("/neighbourhoods", shows="#neighbourhood-list li"),
    Visit("/neighbourhoods/hadar", shows="#figure-tables table"),
    Visit("/dashboard", "admin", shows="#figures[aria-busy=false]"),
    Visit("/privacy", shows="#retention-rows li"),
    Visit("/accessibility", shows="#coordinator-phone:not(:empty)"),
]
VISIT_IDS = [visit.name for visit in EVERY_PAGE]


def open_visit(browser: Browser, visit: Visit, viewport: ViewportSize) -> Page:
    """Open the page as its visitor would: signed in with the demo login, in Hebrew first."""
    page = browser.open("/signin" if visit.visitor else visit.path, viewport=viewport)
    if visit.visitor:
        password = browser.server.database.settings.demo_password.get_secret_value()
        home = HOMES[visit.visitor]
        sign_in(page, Account(visit.visitor, password), lands_on=home)
        goto(page, visit.path)
    expect(page.locator(visit.shows).first).to_be_attached()
    return page


def show_in(page: Page, visit: Visit, language: str) -> None:
    """Choose the language in the header's menu, then open the page afresh in it and let it settle."""
    choose_language(page, language)
    goto(page, visit.path)
    expect(page.locator(visit.shows).first).to_be_attached()
    page.wait_for_load_state("networkidle")
