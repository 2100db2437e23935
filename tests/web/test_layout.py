"""The shared layout on a small phone: nothing scrolls sideways, everything is big enough to tap,
the languages are a small menu in the header, and the footer leads to what the service owes."""

from __future__ import annotations

import re
import tarfile

import pytest
from playwright.sync_api import ViewportSize, expect

from tests.web.conftest import Browser, choose_language

pytestmark = pytest.mark.browser
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
TAP = 44  # px: WCAG 2.5.5's target size, which IS 5568 asks of touch screens
LANGUAGE_NAMES = {"he": "עברית", "ar": "العربية", "en": "English"}

# Each visible control that is tapped directly (radios and check boxes are tapped through their
# label, which is the 44 px row measured here), with its height.
TARGET_HEIGHTS = """() => [...document.querySelectorAll(
    "button, a.button, input, select, textarea, label.choice, label.check")]
  .filter((e) => e.offsetParent !== null && !["radio", "checkbox", "hidden"].includes(e.type))
  .map((e) => [e.id || e.className || e.tagName, e.getBoundingClientRect().height])"""


FOCUSED = """() => {
  const e = document.activeElement;
  return [e.id || e.dataset.lang || e.tagName, e.type, getComputedStyle(e).outlineStyle];
}"""


@pytest.mark.parametrize("path", ["/", "/enrol", "/signin"])
def test_the_pages_fit_a_360_pixel_phone(browser: Browser, path: str) -> None:
    page = browser.open(path, locale="he-IL", viewport=SMALL_PHONE)
    for language in LANGUAGE_NAMES:
        choose_language(page, language)

        fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, (path, language)
        heights = page.evaluate(TARGET_HEIGHTS)
        assert len(heights) > 3
        too_small = [(what, height) for what, height in heights if height < TAP]
        assert too_small == [], (path, language)


def test_every_control_reached_by_tab_shows_its_focus(browser: Browser) -> None:
    page = browser.open("/enrol", locale="he-IL", viewport=SMALL_PHONE)
    submit = page.locator("#enrol-form button[type=submit]")

    reached: set[str] = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        name, kind, outline = page.evaluate(FOCUSED)
        # A date field's last stop is the browser's own calendar button, which rings itself.
        if kind != "date":
            assert outline == "solid", name
        reached.add(name)
        if submit.evaluate("e => e === document.activeElement"):
            break
    expect(submit).to_be_focused()
    assert {
        "language-open",
        "username",
        "password",
        "first_name",
        "street",
        "house_number",
    } <= reached


def test_the_language_menu_works_from_the_keyboard(browser: Browser) -> None:
    """The menu opens from its summary, which says the language now; a choice closes it, and the
    focus comes back to the summary, which then says the new one."""
    page = browser.open("/signin", locale="he-IL", viewport=SMALL_PHONE)
    summary = page.locator("#language-open")
    expect(summary).to_have_accessible_name("שפה עברית")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#language-menu")).to_have_attribute("open", "")
    expect(page.locator("button[data-lang=he]")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name=LANGUAGE_NAMES["en"]).focus()
    page.keyboard.press("Enter")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#language-menu")).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
    expect(summary).to_have_accessible_name("Language English")

    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=LANGUAGE_NAMES["ar"])).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name=LANGUAGE_NAMES["ar"])).to_be_hidden()
    expect(summary).to_be_focused()


def test_every_page_s_footer_leads_to_privacy_accessibility_and_the_source(
    browser: Browser,
) -> None:
    """The footer's links, by keyboard-reachable name: the privacy notice with the periods the
    running settings give, the accessibility statement, and the source as a download."""
    page = browser.open("/signin", locale="en-GB")
    footer = page.get_by_role("navigation", name="Privacy, accessibility and source")

    footer.get_by_role("link", name="Privacy").click()
    expect(page).to_have_url(re.compile(r"/privacy$"))
    kept = page.locator("#retention-rows li", has_text="Inspectors' checks of a vehicle")
    expect(kept).to_contain_text("Kept for 90 days.")

    page.get_by_role("navigation", name="Privacy, accessibility and source").get_by_role(
        "link", name="Accessibility statement"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    expect(page.locator("#coordinator-phone")).to_have_text("106")

    with page.expect_download() as downloading:
        page.get_by_role("navigation", name="Privacy, accessibility and source").get_by_role(
            "link", name="Source code"
        ).click()
    download = downloading.value
    assert re.fullmatch(r"toshav-[\w.]+\.tar\.gz", download.suggested_filename)
    with tarfile.open(download.path(), mode="r:gz") as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "LICENSE", "toshav/obligations.py"} <= names
