"""Three languages on every page: the browser's on a first visit, the visitor's choice after that."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Browser, choose_language, goto, texts

pytestmark = pytest.mark.browser


def test_switching_language_changes_texts_and_direction_and_is_remembered(
    browser: Browser,
) -> None:
    english, arabic, hebrew = texts("en"), texts("ar"), texts("he")
    page = browser.open("/", locale="en-US")
    html = page.locator("html")
    heading = page.get_by_role("heading", level=1)
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")
    expect(heading).to_have_text(english["landing.heading"])

    choose_language(page, "ar")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(heading).to_have_text(arabic["landing.heading"])
    expect(page).to_have_title(arabic["landing.title"])
    expect(page.get_by_role("link", name=arabic["landing.enrol"])).to_be_visible()
    expect(page.get_by_role("navigation", name=arabic["app.languages"])).to_be_visible()
    expect(page.locator("button[data-lang=ar]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("button[data-lang=en]")).to_have_attribute("aria-pressed", "false")

    # Remembered: the next page arrives in Arabic from the server, before any script runs.
    response = page.goto("/signin")
    assert response is not None
    assert '<html lang="ar" dir="rtl">' in response.text()
    expect(page.get_by_role("heading", level=1)).to_have_text(arabic["signin.heading"])
    expect(page.get_by_label(arabic["field.username"])).to_be_visible()

    choose_language(page, "he")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text(hebrew["signin.heading"])
    choose_language(page, "en")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.get_by_label(english["field.username"])).to_be_visible()
    goto(page, "/enrol")
    expect(page.get_by_role("heading", level=1)).to_have_text(english["enrol.heading"])


def test_a_first_visit_in_another_language_is_in_hebrew(browser: Browser) -> None:
    page = browser.open("/", locale="fr-FR")

    expect(page.locator("html")).to_have_attribute("lang", "he")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text(texts("he")["landing.heading"])


def test_the_tills_hebrew_keeps_cashback_and_a_refund_apart() -> None:
    """Cashback is "החזר כספי" at the till; a refund is "זיכוי", never "החזרה" beside it."""
    hebrew = texts("he")
    refund_words = [hebrew[key] for key in hebrew if key.startswith("till.refund")]
    assert refund_words
    assert [words for words in refund_words if "החזרה" in words] == []
    assert "זיכוי" in hebrew["till.refund"]
    assert "החזר כספי" in hebrew["till.check_balance"]


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_the_card_is_for_businesses_and_the_pass_for_inspectors(language: str) -> None:
    """The scanner reads parking passes, not cards: the card never sends a resident to an
    inspector, and the pass does."""
    words = texts(language)
    inspector = {"he": "פקח", "ar": "مراقب", "en": "inspector"}[language]
    card = {key: text for key, text in words.items() if key.startswith("card.")}
    assert [key for key, text in card.items() if inspector in text] == []
    assert inspector in words["parking.pass_hint"]


@pytest.mark.parametrize(
    ("language", "cashback", "refund"),
    [("he", "החזר כספי", "זיכוי"), ("ar", "استرداد", "إرجاع"), ("en", "cashback", "refund")],
)
def test_the_tills_words_for_cashback_and_a_refund_share_nothing(
    language: str, cashback: str, refund: str
) -> None:
    """The till's buttons and headings say cashback and a refund with words of different roots."""
    words = {key: text.lower() for key, text in texts(language).items()}
    refund_words = [
        words[key] for key in ("till.refund", "till.refund_heading", "till.refund_confirm")
    ]
    cashback_words = [words[key] for key in ("till.check_balance", "till.cashback_heading")]
    assert all(refund in text and cashback not in text for text in refund_words), refund_words
    assert all(cashback in text and refund not in text for text in cashback_words), cashback_words
