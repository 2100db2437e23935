"""Every page, as its visitor sees it over the demo city, in he, ar and en: axe finds no serious
violation, the Hebrew and Arabic pages say nothing in code or in English, the header is one line on a
phone, and at 200 % text on 320 px nothing runs off, is cut off or lies over another text.

One sweep opens each page once and checks it all in each language: the page is signed in and loaded
once per language, not once per check.
"""

from __future__ import annotations

import pytest

from tests.web.axe import serious_violations
from tests.web.conftest import Browser
from tests.web.every_page import EVERY_PAGE, LOCALES, VISIT_IDS, Visit, open_visit, show_in
from tests.web.fitting import PHONE, big_text_problems, header_problems
from tests.web.words import leaks

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("visit", EVERY_PAGE, ids=VISIT_IDS)
def test_every_page_reads_right_fits_and_is_accessible_in_every_language(
    demo_browser: Browser, visit: Visit
) -> None:
    page = open_visit(demo_browser, visit, PHONE)
    found: list[str] = []
    for language in LOCALES:
        page.set_viewport_size(PHONE)
        show_in(page, visit, language)
        found += [f"{language}, axe: {problem}" for problem in serious_violations(page)]
        if language in ("he", "ar"):
            found += [f"{language}, words: {leak}" for leak in leaks(page)]
        found += [f"{language}, phone: {problem}" for problem in header_problems(page, visit)]
        found += [f"{language}, 200 % text at 320 px: {p}" for p in big_text_problems(page)]
    assert found == [], "\n".join(found)
