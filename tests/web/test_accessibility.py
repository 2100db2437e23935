"""axe itself, and the signed-out pages as a newcomer opens them in each language.

Every page as its visitor sees it is checked by axe in tests/web/test_every_page.py.
"""

from __future__ import annotations

import pytest

from tests.web.axe import assert_accessible, serious_violations
from tests.web.conftest import Browser
from tests.web.every_page import LOCALES

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
