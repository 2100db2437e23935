"""The three languages every person-facing text exists in: Hebrew (default, right-to-left), Arabic, English."""

from __future__ import annotations

from datetime import date
from typing import Literal, TypedDict

Language = Literal["he", "ar", "en"]
LANGUAGES: tuple[Language, ...] = ("he", "ar", "en")
DEFAULT_LANGUAGE: Language = "he"
RIGHT_TO_LEFT: frozenset[Language] = frozenset({"he", "ar"})


class Text(TypedDict):
    """One text in each of the city's languages."""

    he: str
    ar: str
    en: str


class Named(str):
    """A code that stands for one of the city's own records (a parking zone, a neighbourhood),
    with that record's name in each language: compared and stored as the code, shown to a person
    by the name."""

    names: Text

    def __new__(cls, code: str, names: Text) -> Named:
        named = super().__new__(cls, code)
        named.names = names
        return named


def negotiate(accept_language: str | None) -> Language:
    """Pick the best of our languages from an Accept-Language header; Hebrew when none fits."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag == "iw":  # the old code for Hebrew, still sent by some phones
            tag = "he"
        for language in LANGUAGES:
            if tag == language and quality > 0:
                ranked.append((-quality, position, language))
    if not ranked:
        return DEFAULT_LANGUAGE
    return min(ranked)[2]


# A calendar day inside a sentence, as each language writes it (never the ISO form).
ENGLISH_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


# The months' names as the pages write them (Intl's he-IL and ar-IL).
HEBREW_MONTHS = [
    "ינואר",
    "פברואר",
    "מרץ",
    "אפריל",
    "מאי",
    "יוני",
    "יולי",
    "אוגוסט",
    "ספטמבר",
    "אוקטובר",
    "נובמבר",
    "דצמבר",
]
ARABIC_MONTHS = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
]


def month_text(year: int, month: int) -> Text:
    """A month written for a sentence in each language: דצמבר 2026, ديسمبر 2026, December 2026."""
    return {
        "he": f"{HEBREW_MONTHS[month - 1]} {year}",
        "ar": f"{ARABIC_MONTHS[month - 1]} {year}",
        "en": f"{ENGLISH_MONTHS[month - 1]} {year}",
    }


def day_text(day: date) -> Text:
    """A day written for a sentence in each language: 10.12.2026, 10/12/2026, 10 December 2026."""
    return {
        "he": f"{day.day}.{day.month}.{day.year}",
        "ar": f"{day.day}/{day.month}/{day.year}",
        "en": f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}",
    }


def render(text: Text, language: Language, **params: object) -> str:
    """The text in one language, with its ``{placeholders}`` filled; a parameter given in the three
    languages (a ``Text``) is filled in this one."""
    template = text[language]
    if not params:
        return template
    chosen = {
        name: value[language] if isinstance(value, dict) and language in value else value
        for name, value in params.items()
    }
    return template.format(**chosen)
