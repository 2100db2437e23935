"""Every page in each language, checked by axe: no serious or critical violation."""

from __future__ import annotations

import pytest

from tests.web.axe import assert_accessible, serious_violations
from tests.web.conftest import Browser
from tests.web.every_page import EVERY_PAGE, LOCALES, VISIT_IDS, Visit, open_visit, show_in
from tests.web.test_text_fits import PHONE

pytestmark = pytest.mark.browser


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize("language", list(LOCALES))
@pytest.mark.parametrize("path", ["/", "/signin", "/enrol", "/business/apply"])
def test_a_signed_out_page_has_no_serious_violation(
    browser: Browser, path: str, language: str
) -> None:
    page = browser.open(path, locale=LOCALES[language])
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page)


@pytest.mark.usefixtures("city")
def test_axe_finds_a_planted_violation(browser: Browser) -> None:
    page = browser.open("/signin", locale="en-GB")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x>')")
    assert any(found.startswith("image-alt") for found in serious_violations(page))


@pytest.mark.parametrize("visit", EVERY_PAGE, ids=VISIT_IDS)
def test_every_page_has_no_serious_violation_in_any_language(
    demo_browser: Browser, visit: Visit
) -> None:
    """Each page of the sweep, as its visitor sees it over the demo city, in he, ar and en."""
    page = open_visit(demo_browser, visit, PHONE)
    found: list[str] = []
    for language in LOCALES:
        show_in(page, visit, language)
        found += [f"{language}: {problem}" for problem in serious_violations(page)]
    assert found == [], "\n".join(found)
